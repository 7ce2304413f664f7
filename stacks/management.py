"""The management-account stack of the organization topology."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from constructs import Construct

from constructs_lib.scp import MfaServiceControlPolicies, MfaServiceControlPoliciesProps
from mfa_guardrails.config import GuardrailsConfig


class ManagementStack(Stack):
    """SCPs attached to the configured OUs/root (only the management account can own them)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: GuardrailsConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.scps = MfaServiceControlPolicies(
            self,
            "ServiceControlPolicies",
            props=MfaServiceControlPoliciesProps(
                break_glass_principal_arns=config.break_glass_principal_arns,
                exempt_admin_arns=config.exempt_admin_arns,
                target_ids=config.target_ou_ids,
                attach=config.enforcing,
            ),
        )
