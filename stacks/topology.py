"""Which stacks a configuration deploys, and where."""

from __future__ import annotations

from aws_cdk import Environment, Stack, Tags
from constructs import Construct

from constructs_lib.alerting.construct import EVENTS_REGION
from constructs_lib.naming import VERSION_TAG_KEY
from constructs_lib.pipeline_role import GitHubDeployRoleProps
from mfa_guardrails.config import GuardrailsConfig, Topology
from mfa_guardrails.version import VERSION
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
            description="deploy role for GitHub Actions (OIDC)",
        ))  # fmt: skip
    mark_version(scope)
    return stacks


def mark_version(scope: Construct) -> None:
    """The release in every stack's description (StackSet templates included: their instances
    show it) and as a tag on every taggable resource. Neither is a create-only property of any
    resource type we use (tests/test_versioning.py), so a new version replaces nothing."""
    Tags.of(scope).add(VERSION_TAG_KEY, VERSION)
    for stack in (construct for construct in scope.node.find_all() if isinstance(construct, Stack)):
        purpose = stack.template_options.description
        assert purpose, f"{stack.node.path}: every stack says what it holds"
        stack.template_options.description = f"mfa-guardrails {VERSION}: {purpose}"


def _topology_stacks(scope: Construct, config: GuardrailsConfig) -> list[Stack]:
    if config.topology is Topology.SINGLE_ACCOUNT:
        return [
            AccountBaselineStack(
                scope,
                "MfaGuardrails",
                config=config,
                env=Environment(region=config.home_region),
                description="account baseline (Force-MFA policy and group)",
            ),
            AlertingStack(
                scope,
                "MfaGuardrailsAlerting",
                config=config,
                env=Environment(region=EVENTS_REGION),
                description="alert rules, notifier and topics (us-east-1)",
            ),
        ]
    management = Environment(account=config.management_account_id, region=config.home_region)
    return [
        ManagementStack(
            scope,
            "MfaGuardrailsManagement",
            config=config,
            env=management,
            description="SCPs and the member-baseline StackSet",
        ),
        # Service-managed StackSets and SCPs never apply to the management account itself.
        AccountBaselineStack(
            scope,
            "MfaGuardrailsManagementBaseline",
            config=config,
            env=management,
            description="account baseline for the management account",
        ),
        SecurityStack(
            scope,
            "MfaGuardrailsSecurity",
            config=config,
            env=Environment(account=config.security_account_id, region=config.home_region),
            description="central event bus, alerting (security account)",
        ),
    ]
