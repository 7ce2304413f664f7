"""A deploy-time custom resource that tags the product's Config rules.

``AWS::Config::ConfigRule`` has no ``Tags`` (the CloudFormation schema says ``taggable: false``)
and a rule's ARN is ``config-rule/config-rule-<id>``: without a tag the guardrail SCP could only
protect every rule of an account, a team's own included. AWS Config authorizes changes to a rule
on its tags (``aws:ResourceTag`` on the ConfigRule resource type, Service Authorization Reference,
AWS Config), so this tags ours, and the SCP protects what carries the tag, and the tag itself.

The function's code is inline (the member StackSet must be asset-free) and its role may tag these
rules and write its own logs, nothing else. A rule that cannot be tagged fails the deployment.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import Acknowledgment, CustomResource, Duration, RemovalPolicy, Validations
from aws_cdk import aws_config as config
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from constructs_lib.naming import PRODUCT_PREFIX, PROTECTED_TAG_KEY, PROTECTED_TAG_VALUE
from constructs_lib.rule_tags.runtime.tagger import TAG_KEY_ENV, TAG_VALUE_ENV

TAGGER_NAME_PREFIX = f"{PRODUCT_PREFIX}rule-tagger-"
HANDLER = Path(__file__).resolve().parent / "runtime" / "tagger.py"
# CloudFormation's limit for inline (ZipFile) function code.
INLINE_CODE_LIMIT = 4096


def expected_rule(rule: config.IRule) -> dict[str, Any]:
    """A rule as its template makes it (read from its CloudFormation resource, so the two cannot
    differ): the tagger refuses to tag a rule another caller changed between CloudFormation's
    write and the tag (until then, anyone may change it)."""
    resource = rule.node.default_child
    if not isinstance(resource, config.CfnConfigRule) or not isinstance(
        resource.source, config.CfnConfigRule.SourceProperty
    ):
        raise TypeError(f"{rule.node.path}: not a Config rule with a literal source")
    return {
        "Arn": rule.config_rule_arn, "Name": resource.config_rule_name,
        "Owner": resource.source.owner, "SourceIdentifier": resource.source.source_identifier,
        "MaximumExecutionFrequency": resource.maximum_execution_frequency,
        "InputParameters": resource.input_parameters or {},
    }  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class ConfigRuleTagsProps:
    """``name``: the tagger's own (role, function, log group ``mfa-guardrails-rule-tagger-<name>``),
    distinct per stack of one account (the security account gets the member StackSet's and its
    own)."""

    name: str
    rules: Sequence[config.IRule]
    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR

    def __post_init__(self) -> None:
        problems = []
        if not self.rules:
            problems.append("rules is empty: tag at least one rule")
        if not re.fullmatch(r"[a-z][a-z0-9-]{0,30}", self.name):
            problems.append(f"name {self.name!r} must be 1-31 lowercase letters, digits or '-'")
        if problems:
            raise ValueError(f"invalid ConfigRuleTagsProps: {'; '.join(problems)}")

    @property
    def tagger_name(self) -> str:
        return f"{TAGGER_NAME_PREFIX}{self.name}"


class ConfigRuleTags(Construct):
    """Tags ``props.rules`` with the product's protection tag on create and update."""

    def __init__(
        self, scope: Construct, construct_id: str, *, props: ConfigRuleTagsProps
    ) -> None:
        super().__init__(scope, construct_id)
        code = HANDLER.read_text()
        if len(code.encode()) > INLINE_CODE_LIMIT:
            raise ValueError(f"{HANDLER.name} is over CloudFormation's {INLINE_CODE_LIMIT}-byte "
                             "inline code limit: shorten it")  # fmt: skip
        rule_arns = [rule.config_rule_arn for rule in props.rules]
        log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"/aws/lambda/{props.tagger_name}",
            retention=props.log_retention,
            removal_policy=RemovalPolicy.RETAIN,
        )
        role = iam.Role(
            self,
            "Role",
            role_name=props.tagger_name,
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="mfa-guardrails: tags the product's Config rules at deploy time",
        )
        policy = iam.Policy(
            self,
            "Policy",
            statements=[
                iam.PolicyStatement(
                    sid="TagOurRules",
                    actions=["config:TagResource"],
                    resources=rule_arns,
                    # The key and its one value: an admin who may invoke our functions (replaying
                    # dead letters) must not turn the tagger into an untagger.
                    conditions={
                        "ForAllValues:StringEquals": {"aws:TagKeys": [PROTECTED_TAG_KEY]},
                        "StringEquals": {
                            f"aws:RequestTag/{PROTECTED_TAG_KEY}": PROTECTED_TAG_VALUE
                        },
                    },
                ),
                iam.PolicyStatement(
                    sid="CompareOurRules",
                    actions=["config:DescribeConfigRules"],
                    resources=["*"],  # names no resource
                ),
                iam.PolicyStatement(
                    sid="WriteOwnLogs",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[log_group.log_group_arn],
                ),
            ],
        )
        role.attach_inline_policy(policy)
        Validations.of(policy).acknowledge(Acknowledgment(
            id="AwsSolutions::AwsSolutions-IAM5[Resource::*]",
            reason="config:DescribeConfigRules accepts no resource ARN; it is read-only (the "
            "tagger compares our rules with their templates before tagging them).",
        ))  # fmt: skip
        function = lambda_.Function(
            self,
            "Function",
            function_name=props.tagger_name,
            description="mfa-guardrails: tags the product's Config rules (CloudFormation cannot)",
            runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64,
            handler="index.handler",
            code=lambda_.Code.from_inline(code),
            role=iam.Role.from_role_arn(self, "RoleRef", role.role_arn, mutable=False),
            log_group=log_group,
            timeout=Duration.minutes(1),
            environment={TAG_KEY_ENV: PROTECTED_TAG_KEY, TAG_VALUE_ENV: PROTECTED_TAG_VALUE},
        )
        function.node.add_dependency(policy)
        self.resource = CustomResource(
            self,
            "Tags",
            service_token=function.function_arn,
            resource_type="Custom::MfaGuardrailsConfigRuleTags",
            properties={
                "Rules": [expected_rule(rule) for rule in props.rules],
                # Applied from the function's environment; here so a change of the tag updates
                # this resource (and re-tags), and so the template says what our rules carry.
                "Tags": {PROTECTED_TAG_KEY: PROTECTED_TAG_VALUE},
            },
            service_timeout=Duration.minutes(2),
        )
