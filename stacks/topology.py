"""Which stacks a configuration deploys, and where."""

from __future__ import annotations

from aws_cdk import Environment, Stack
from constructs import Construct

from mfa_guardrails.config import GuardrailsConfig
from stacks.account_baseline import AccountBaselineStack


def add_topology(scope: Construct, config: GuardrailsConfig) -> list[Stack]:
    """Instantiate every stack of the configured topology under ``scope``."""
    baseline = AccountBaselineStack(
        scope,
        "MfaGuardrails",
        config=config,
        env=Environment(region=config.home_region),
        description="mfa-guardrails: account baseline (Force-MFA policy and group)",
    )
    return [baseline]
