"""A custom event bus that every account of the organization, and only those, may put events on.

The resource policy names the organization (``aws:PrincipalOrgID``), not account ids: accounts
that join later are covered, and the policy stays far below EventBridge's 10 KB limit whatever
the organization's size.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from constructs import Construct


@dataclass(frozen=True, kw_only=True)
class CentralEventBusProps:
    event_bus_name: str
    organization_id: str


class CentralEventBus(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, props: CentralEventBusProps) -> None:
        super().__init__(scope, construct_id)
        self.bus = events.EventBus(self, "Bus", event_bus_name=props.event_bus_name)
        # The policy is the bus's own Policy property, not an AWS::Events::EventBusPolicy: cdk-nag's
        # check of that resource (EVB1) reads its deprecated `principal` and printed a
        # deprecation warning on every synth. tests/test_organization.py asserts what EVB1 would:
        # a "*" principal only with the organization condition.
        bus_arn = Stack.of(self).format_arn(
            service="events", resource="event-bus", resource_name=props.event_bus_name
        )
        statement = iam.PolicyStatement(
            sid="AllowPutEventsFromTheOrganizationOnly",
            principals=[iam.AnyPrincipal()],
            actions=["events:PutEvents"],
            resources=[bus_arn],
            conditions={"StringEquals": {"aws:PrincipalOrgID": props.organization_id}},
        )
        cfn_bus = self.bus.node.default_child
        assert isinstance(cfn_bus, events.CfnEventBus)
        cfn_bus.policy = iam.PolicyDocument(statements=[statement]).to_json()
