"""The management-account stack of the organization topology."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from cdk_stacksets import (
    Capability,
    DeploymentType,
    OperationPreferences,
    RegionConcurrencyType,
    StackSet,
    StackSetTarget,
    StackSetTemplate,
)
from constructs import Construct

from constructs_lib.naming import PRODUCT_PREFIX
from constructs_lib.regional_forwarding import RegionalForwarding, RegionalForwardingProps
from constructs_lib.scp import Exemptions, MfaServiceControlPolicies, MfaServiceControlPoliciesProps
from mfa_guardrails.config import GuardrailsConfig
from stacks.alerting import forwarded_patterns
from stacks.member_baseline import MemberBaselineStack, central_bus_arn

# Why these numbers: README, "Rolling out to the organization".
OPERATION_PREFERENCES = OperationPreferences(
    max_concurrent_percentage=25,
    failure_tolerance_percentage=10,
    region_concurrency_type=RegionConcurrencyType.PARALLEL,
)


def member_regions(config: GuardrailsConfig) -> tuple[str, ...]:
    """The target regions (where the baseline runs) and every other watched region (where
    members' events can be recorded: forwarding only, the rest is home-region-only)."""
    return tuple(dict.fromkeys((*config.target_regions, *config.watched_regions)))


class ManagementStack(Stack):
    """SCPs attached to the configured targets, and the service-managed StackSet that puts the
    member baseline into every account of those targets (only the management account can own
    either)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: GuardrailsConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.scps = MfaServiceControlPolicies(
            self,
            "ServiceControlPolicies",
            props=MfaServiceControlPoliciesProps(
                exemptions=Exemptions(
                    break_glass=config.break_glass_principal_arns,
                    admins=config.admin_principal_arns,
                    automation=config.guardrail_automation_arns,
                    bootstrap_account=config.security_account_under_scps,
                    lifeline=config.lifeline_resource_arns,
                ),
                force_mfa_group_names=config.attach_to_group_names,
                target_ids=config.scp_target_ids,
                attach=config.enforcing,
            ),
        )
        self.member_baseline = MemberBaselineStack(self, "MemberBaseline", config=config)
        self.stack_set = StackSet(
            self,
            "MemberBaselineStackSet",
            stack_set_name=f"{PRODUCT_PREFIX}member-baseline",
            description="mfa-guardrails: Force-MFA, Config rules and event forwarding",
            template=StackSetTemplate.from_stack_set_stack(self.member_baseline),
            target=StackSetTarget.from_organizational_units(
                organizational_units=list(config.target_ou_ids),
                regions=list(member_regions(config)),
            ),
            # The management account deploys it itself; cdk-stacksets defaults to calling as a
            # delegated administrator, which the management account is not.
            deployment_type=DeploymentType.service_managed(
                auto_deploy_enabled=True, auto_deploy_retain_stacks=False, delegated_admin=False
            ),
            capabilities=[Capability.NAMED_IAM],
            operation_preferences=OPERATION_PREFERENCES,
        )
        # The management account's own events, from every watched region (service-managed
        # StackSets never reach it, so it forwards through a StackSet of its own).
        self.regional_forwarding = RegionalForwarding(
            self,
            "RegionalForwarding",
            props=RegionalForwardingProps(
                stack_set_name=f"{PRODUCT_PREFIX}management-forwarding",
                target_bus_arn=central_bus_arn(config),
                patterns=forwarded_patterns(config),
                regions=config.watched_regions,
            ),
        )
