"""Rules in a member account that forward the catalog's events to the central bus.

EventBridge needs an IAM role to put events on a bus in another account; delivery failures are
retried and then land in an encrypted dead-letter queue in the member account, where an alarm
would otherwise have nothing to see: a DLQ depth alarm publishes nowhere in a member, so the
central notifier's "unrecognized event" path and the DLQ are the audit trail (see README).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_cdk import Acknowledgment, Aws, Duration, RemovalPolicy, Validations
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from constructs_lib.event_patterns import l2_pattern, set_pattern
from constructs_lib.naming import PRODUCT_PREFIX


@dataclass(frozen=True, kw_only=True)
class EventForwardingProps:
    """``patterns``: rule-name suffix -> EventBridge pattern (from the alerting catalog)."""

    central_bus_arn: str
    patterns: Mapping[str, Mapping[str, Any]]
    retry_attempts: int = 185
    max_event_age_hours: int = 24


class EventForwarding(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, props: EventForwardingProps) -> None:
        super().__init__(scope, construct_id)
        central_bus = events.EventBus.from_event_bus_arn(self, "CentralBus", props.central_bus_arn)
        self.role = iam.Role(
            self,
            "PutEventsRole",
            # Named with the product prefix, so the guardrail SCP protects it; one per region,
            # as the member baseline deploys to every target region (IAM names are global).
            role_name=f"{PRODUCT_PREFIX}forward-{Aws.REGION}",
            assumed_by=iam.ServicePrincipal("events.amazonaws.com"),
            description="mfa-guardrails: forward watched events to the central bus",
        )
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            queue_name=f"{PRODUCT_PREFIX}forward-dead-letters",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
            # Its messages are alerts that never reached the central bus: kept when the stack
            # instance is deleted (an account leaving a target OU) or an upgrade would replace it.
            removal_policy=RemovalPolicy.RETAIN,
        )
        Validations.of(self.dead_letter_queue).acknowledge(Acknowledgment(
            id="AwsSolutions::AwsSolutions-SQS3",
            reason="This queue is itself the dead-letter queue of the forwarding rules.",
        ))  # fmt: skip
        self.rules = []
        for name, pattern in props.patterns.items():
            rule = events.Rule(
                self,
                f"Forward-{name}",
                rule_name=f"{PRODUCT_PREFIX}forward-{name}"[:64],
                description=f"mfa-guardrails: forward {name} events to the central bus",
                event_pattern=l2_pattern(pattern),
            )
            set_pattern(rule, pattern)
            rule.add_target(targets.EventBus(
                central_bus, role=self.role, dead_letter_queue=self.dead_letter_queue
            ))  # fmt: skip
            # The L2 EventBus target has no retry settings; EventBridge accepts them.
            cfn_rule = rule.node.default_child
            assert isinstance(cfn_rule, events.CfnRule)
            cfn_rule.add_property_override("Targets.0.RetryPolicy", {
                "MaximumRetryAttempts": props.retry_attempts,
                "MaximumEventAgeInSeconds": props.max_event_age_hours * 3600,
            })  # fmt: skip
            self.rules.append(rule)
