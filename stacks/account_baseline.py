"""The per-account baseline: what every protected account holds."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_config as config_service
from constructs import Construct

from constructs_lib.alerting.construct import ALERT_TOPIC_NAME, EVENTS_REGION
from constructs_lib.canary import Canary, CanaryProps
from constructs_lib.detective import DetectiveControls, DetectiveControlsProps
from constructs_lib.force_mfa import ForceMfa, ForceMfaProps
from constructs_lib.naming import ORG_READINESS_ACCOUNT_ROLE_NAME
from constructs_lib.readiness_reader import ReadinessReader, ReadinessReaderProps
from mfa_guardrails.config import GuardrailsConfig, Topology

_FREQUENCIES = {
    "One_Hour": config_service.MaximumExecutionFrequency.ONE_HOUR,
    "Three_Hours": config_service.MaximumExecutionFrequency.THREE_HOURS,
    "Six_Hours": config_service.MaximumExecutionFrequency.SIX_HOURS,
    "Twelve_Hours": config_service.MaximumExecutionFrequency.TWELVE_HOURS,
    "TwentyFour_Hours": config_service.MaximumExecutionFrequency.TWENTY_FOUR_HOURS,
}


def force_mfa_props(config: GuardrailsConfig) -> ForceMfaProps:
    return ForceMfaProps(
        attach=config.enforcing,
        attach_to_group_names=config.attach_to_group_names,
        attach_to_role_names=config.attach_to_role_names,
    )


def detective_props(
    config: GuardrailsConfig, *, recovery_readiness: bool
) -> DetectiveControlsProps:
    """Config rules of a baseline that lives in the home region (the global rules' one region)."""
    return DetectiveControlsProps(
        include_global_rules=True,
        recovery_readiness=recovery_readiness,
        maximum_execution_frequency=_FREQUENCIES[config.config_rule_frequency],
        require_hardware_root_mfa=config.require_hardware_root_mfa,
        require_operations_contact=config.require_operations_contact,
    )


def readiness_reader_props(config: GuardrailsConfig) -> ReadinessReaderProps:
    """The organization report runs in the security account (the delegated administrator,
    which may list the accounts), as one of its break-glass or admin principals: they already
    hold the recovery powers, and nobody else there learns which users are weakest."""
    assert config.security_account_id is not None  # config requires it in this topology
    # With named principals, the scheduled run's account function is one of them (without,
    # the whole security account is trusted, the function included).
    run = (f"arn:aws:iam::{config.security_account_id}:role/{ORG_READINESS_ACCOUNT_ROLE_NAME}",)
    return ReadinessReaderProps(
        trusted_account_id=config.security_account_id,
        trusted_principal_arns=config.exempt_admin_arns + run if config.exempt_admin_arns else (),
    )


class AccountBaselineStack(Stack):
    """Force-MFA policy and group, the MFA Config rules and the recovery-readiness check, for
    one account (single-account topology, or the management account), in the home region."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: GuardrailsConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.force_mfa = ForceMfa(self, "ForceMfa", props=force_mfa_props(config))
        self.canary = Canary(self, "Canary", props=CanaryProps())
        if config.topology is Topology.ORGANIZATION:  # the management account, in the report
            self.readiness_reader = ReadinessReader(
                self, "ReadinessReader", props=readiness_reader_props(config)
            )
        # Its readiness rule also checks this account's part of the alert path: the alerting
        # rules and topic in us-east-1 (single account), or its forwarding rules (management).
        single = config.topology is Topology.SINGLE_ACCOUNT
        self.detective = DetectiveControls(
            self,
            "Detective",
            props=replace(
                detective_props(config, recovery_readiness=True),
                alert_rules_region=EVENTS_REGION if single else config.home_region,
                alert_topic_arn=(
                    f"arn:aws:sns:{EVENTS_REGION}:{self.account}:{ALERT_TOPIC_NAME}"
                    if single else None
                ),
            ),
        )  # fmt: skip
