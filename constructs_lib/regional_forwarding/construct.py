"""One account's events, from every region they can be recorded in, forwarded to one bus.

CloudTrail records an IAM user's console sign-in in the region of the sign-in endpoint, an
AssumeRoot call in the region of the STS endpoint, and changes to trails, recorders and rules in
their own region; EventBridge sees each only there. One environment-agnostic template (the
:class:`~constructs_lib.forwarding.EventForwarding` rules) is deployed to every watched region of
this one account by a self-managed StackSet: one synth, one template, whatever the region count.
The StackSet's administration and execution roles are created here, named with the product
prefix (so the guardrail SCP protects them where SCPs apply), the execution role allowed to
manage the forwarding resources and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import Acknowledgment, Aws, CfnResource, Stack, Validations
from aws_cdk import aws_iam as iam
from cdk_stacksets import (
    Capability,
    DeploymentType,
    OperationPreferences,
    RegionConcurrencyType,
    StackSet,
    StackSetStack,
    StackSetTarget,
    StackSetTemplate,
)
from constructs import Construct

from constructs_lib.forwarding import EventForwarding, EventForwardingProps
from constructs_lib.naming import PRODUCT_PREFIX, REGIONAL_FORWARDING_ROLE_PREFIX

EXECUTION_ROLE_NAME = f"{REGIONAL_FORWARDING_ROLE_PREFIX}execution"
FORWARDING_NAMES = f"{PRODUCT_PREFIX}forward-*"


@dataclass(frozen=True, kw_only=True)
class RegionalForwardingProps:
    """``target_bus_arn``: where every region's events go (the default bus of us-east-1 in one
    account, or the organization's central bus). ``regions``: where to forward from (the target
    bus's own region is left out when it is this account's: a rule there would loop)."""

    stack_set_name: str
    target_bus_arn: str
    patterns: Mapping[str, Mapping[str, Any]]
    regions: Sequence[str]

    def __post_init__(self) -> None:
        if not self.regions:
            raise ValueError("RegionalForwardingProps.regions must name at least one region")
        if not self.patterns:
            raise ValueError("RegionalForwardingProps.patterns must not be empty")


class ForwardingTemplate(StackSetStack):
    """The template every region gets: the forwarding rules, their role and dead-letter queue."""

    def __init__(self, scope: Construct, construct_id: str, *, props: EventForwardingProps) -> None:
        super().__init__(scope, construct_id)
        self.template_options.description = "event forwarding of one region (StackSet instance)"
        self.forwarding = EventForwarding(self, "Forwarding", props=props)


class RegionalForwarding(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, props: RegionalForwardingProps
    ) -> None:
        super().__init__(scope, construct_id)
        self.template = ForwardingTemplate(
            self,
            "Template",
            props=EventForwardingProps(central_bus_arn=props.target_bus_arn,
                                       patterns=props.patterns),
        )  # fmt: skip
        self.admin_role = iam.Role(
            self,
            "AdministrationRole",
            role_name=f"{REGIONAL_FORWARDING_ROLE_PREFIX}admin-{Aws.REGION}",
            assumed_by=iam.ServicePrincipal("cloudformation.amazonaws.com"),
            description="mfa-guardrails: administers the regional forwarding StackSet",
        )
        execution_role_arn = f"arn:{Aws.PARTITION}:iam::{Aws.ACCOUNT_ID}:role/{EXECUTION_ROLE_NAME}"
        self.admin_role.add_to_policy(iam.PolicyStatement(
            actions=["sts:AssumeRole"], resources=[execution_role_arn],
        ))  # fmt: skip
        self.execution_role = iam.Role(
            self,
            "ExecutionRole",
            role_name=EXECUTION_ROLE_NAME,
            assumed_by=iam.ArnPrincipal(self.admin_role.role_arn),
            description="mfa-guardrails: creates the forwarding rules in each region",
            inline_policies={"ForwardingResourcesOnly": _execution_policy(props.stack_set_name)},
        )
        self.stack_set = StackSet(
            self,
            "StackSet",
            stack_set_name=props.stack_set_name,
            description="mfa-guardrails: forward watched events from every region",
            template=StackSetTemplate.from_stack_set_stack(self.template),
            target=StackSetTarget.from_accounts(
                accounts=[Aws.ACCOUNT_ID], regions=list(props.regions)
            ),
            deployment_type=DeploymentType.self_managed(
                admin_role=self.admin_role, execution_role_name=EXECUTION_ROLE_NAME
            ),
            capabilities=[Capability.NAMED_IAM],
            # One account: every region at once; a failing region stops nothing else.
            operation_preferences=OperationPreferences(
                region_concurrency_type=RegionConcurrencyType.PARALLEL,
                failure_tolerance_percentage=100,
                max_concurrent_percentage=100,
            ),
        )
        # The execution role is referenced by name only, so CloudFormation must create it (and the
        # administration role's policy) first; cdk-stacksets also lists the administration role,
        # which its GetAtt already orders (cfn-lint W3005), so the list is written here.
        stack = Stack.of(self)
        cfn_stack_set = self.stack_set.node.default_child
        assert isinstance(cfn_stack_set, CfnResource)
        admin_policy = self.admin_role.node.find_child("DefaultPolicy").node.default_child
        assert isinstance(admin_policy, CfnResource)
        execution = self.execution_role.node.default_child
        assert isinstance(execution, CfnResource)
        cfn_stack_set.add_override("DependsOn", [
            stack.get_logical_id(admin_policy), stack.get_logical_id(execution)
        ])  # fmt: skip
        scoped = {
            "Action::cloudformation:*": "CloudFormation runs the StackSet's own stacks through "
            "this role (create, update, delete, describe); the resource is those stacks only",
            f"Resource::arn:<AWS::Partition>:cloudformation:*:<AWS::AccountId>:stack/StackSet-"
            f"{props.stack_set_name}-*": "this StackSet's instance stacks, one per region",
            "Resource::arn:<AWS::Partition>:events:*:<AWS::AccountId>:rule/mfa-guardrails-"
            "forward-*": "the forwarding rules the template creates, in each region",
            "Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/mfa-guardrails-forward-*":
            "the forwarding role of each region (IAM names are global: one per region)",
            "Resource::arn:<AWS::Partition>:sqs:*:<AWS::AccountId>:mfa-guardrails-forward-*":
            "the forwarding dead-letter queue of each region",
            f"Resource::arn:<AWS::Partition>:iam::*:role/{EXECUTION_ROLE_NAME}":
            "cdk-stacksets lets the administration role assume the execution role by name in "
            "the target accounts; the only target is this account",
        }
        for finding, reason in scoped.items():
            # The partition is a literal where the stack's region is known (CDK feature flag).
            for spelled in {finding, finding.replace("<AWS::Partition>", "aws")}:
                Validations.of(self).acknowledge(Acknowledgment(
                    id=f"AwsSolutions::AwsSolutions-IAM5[{spelled}]", reason=reason + ".",
                ))  # fmt: skip


def _execution_policy(stack_set_name: str) -> iam.PolicyDocument:
    """What CloudFormation needs to create, update and delete the forwarding template."""
    account = Aws.ACCOUNT_ID
    return iam.PolicyDocument(statements=[
        iam.PolicyStatement(
            sid="StackSetStacks",
            actions=["cloudformation:*"],
            resources=[
                f"arn:{Aws.PARTITION}:cloudformation:*:{account}:stack/StackSet-{stack_set_name}-*"
            ],
        ),
        iam.PolicyStatement(
            sid="ForwardingRules",
            actions=["events:PutRule", "events:DeleteRule", "events:DescribeRule",
                     "events:EnableRule", "events:DisableRule", "events:PutTargets",
                     "events:RemoveTargets", "events:ListTargetsByRule", "events:TagResource",
                     "events:UntagResource"],
            resources=[f"arn:{Aws.PARTITION}:events:*:{account}:rule/{FORWARDING_NAMES}"],
        ),
        iam.PolicyStatement(
            sid="ForwardingRole",
            actions=["iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:PutRolePolicy",
                     "iam:DeleteRolePolicy", "iam:GetRolePolicy", "iam:TagRole", "iam:UntagRole",
                     "iam:UpdateAssumeRolePolicy", "iam:UpdateRoleDescription"],
            resources=[f"arn:{Aws.PARTITION}:iam::{account}:role/{FORWARDING_NAMES}"],
        ),
        iam.PolicyStatement(
            sid="PassForwardingRoleToEventBridge",
            actions=["iam:PassRole"],
            resources=[f"arn:{Aws.PARTITION}:iam::{account}:role/{FORWARDING_NAMES}"],
            conditions={"StringEquals": {"iam:PassedToService": "events.amazonaws.com"}},
        ),
        iam.PolicyStatement(
            sid="ForwardingDeadLetterQueue",
            actions=["sqs:CreateQueue", "sqs:DeleteQueue", "sqs:GetQueueAttributes",
                     "sqs:SetQueueAttributes", "sqs:GetQueueUrl", "sqs:TagQueue",
                     "sqs:UntagQueue", "sqs:ListQueueTags"],
            resources=[f"arn:{Aws.PARTITION}:sqs:*:{account}:{FORWARDING_NAMES}"],
        ),
    ])  # fmt: skip
