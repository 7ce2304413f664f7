"""The per-account baseline: what every protected account holds."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from constructs import Construct

from constructs_lib.force_mfa import ForceMfa, ForceMfaProps
from mfa_guardrails.config import GuardrailsConfig


class AccountBaselineStack(Stack):
    """Force-MFA policy and group for one account (single-account topology, or a member)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: GuardrailsConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.force_mfa = ForceMfa(
            self,
            "ForceMfa",
            props=ForceMfaProps(
                attach=config.enforcing,
                attach_to_group_names=config.attach_to_group_names,
                attach_to_role_names=config.attach_to_role_names,
            ),
        )
