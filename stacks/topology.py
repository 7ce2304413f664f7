"""Which stacks a configuration deploys, and where."""

from __future__ import annotations

from aws_cdk import Environment, Stack
from constructs import Construct

from constructs_lib.alerting.construct import EVENTS_REGION
from constructs_lib.pipeline_role import GitHubDeployRoleProps
from mfa_guardrails.config import GuardrailsConfig, Topology
from stacks.account_baseline import AccountBaselineStack
from stacks.alerting import AlertingStack
from stacks.management import ManagementStack
from stacks.pipeline import PipelineStack
from stacks.security import SecurityStack


def add_topology(scope: Construct, config: GuardrailsConfig) -> list[Stack]:
    """Instantiate every stack of the configured topology (and the optional pipeline role)."""
    stacks = _topology_stacks(scope, config)
    if config.pipeline_github_repository:
        stacks.append(PipelineStack(
            scope,
            "MfaGuardrailsPipeline",
            props=GitHubDeployRoleProps(
                repository=config.pipeline_github_repository,
                environment=config.pipeline_github_environment,
                existing_provider_arn=config.pipeline_oidc_provider_arn,
                other_account_ids=tuple(
                    account
                    for account in (config.security_account_id,)
                    if account is not None and account != config.management_account_id
                ),
            ),
            env=Environment(account=config.management_account_id, region=config.home_region),
            description="mfa-guardrails: deploy role for GitHub Actions (OIDC)",
        ))  # fmt: skip
    return stacks


def _topology_stacks(scope: Construct, config: GuardrailsConfig) -> list[Stack]:
    if config.topology is Topology.SINGLE_ACCOUNT:
        return [
            AccountBaselineStack(
                scope,
                "MfaGuardrails",
                config=config,
                env=Environment(region=config.home_region),
                description="mfa-guardrails: account baseline (Force-MFA policy and group)",
            ),
            AlertingStack(
                scope,
                "MfaGuardrailsAlerting",
                config=config,
                env=Environment(region=EVENTS_REGION),
                description="mfa-guardrails: alert rules, notifier and topics (us-east-1)",
            ),
        ]
    management = Environment(account=config.management_account_id, region=config.home_region)
    return [
        ManagementStack(
            scope,
            "MfaGuardrailsManagement",
            config=config,
            env=management,
            description="mfa-guardrails: SCPs and the member-baseline StackSet",
        ),
        # Service-managed StackSets and SCPs never apply to the management account itself.
        AccountBaselineStack(
            scope,
            "MfaGuardrailsManagementBaseline",
            config=config,
            env=management,
            description="mfa-guardrails: account baseline for the management account",
        ),
        SecurityStack(
            scope,
            "MfaGuardrailsSecurity",
            config=config,
            env=Environment(account=config.security_account_id, region=config.home_region),
            description="mfa-guardrails: central event bus, alerting (security account)",
        ),
    ]
