"""The product's service control policies as ``AWS::Organizations::Policy`` resources."""

from __future__ import annotations

import json
from dataclasses import dataclass

from aws_cdk import aws_organizations as organizations
from constructs import Construct

from constructs_lib.scp.documents import service_control_policies

# Organizations rejects an SCP over 5,120 characters; keep headroom for exempt-ARN growth.
SCP_SIZE_BUDGET = 4000


@dataclass(frozen=True, kw_only=True)
class MfaServiceControlPoliciesProps:
    """``target_ids`` (OU or root ids) are attached only when ``attach`` is True (enforce mode)."""

    break_glass_principal_arns: tuple[str, ...]
    exempt_admin_arns: tuple[str, ...]
    target_ids: tuple[str, ...] = ()
    attach: bool = False


class MfaServiceControlPolicies(Construct):
    """Root lock-down, MFA-device protection, recovery-contact protection, guardrail protection."""

    def __init__(
        self, scope: Construct, construct_id: str, *, props: MfaServiceControlPoliciesProps
    ) -> None:
        super().__init__(scope, construct_id)
        self.policies: dict[str, organizations.CfnPolicy] = {}
        for policy in service_control_policies(
            break_glass=props.break_glass_principal_arns, exempt_admins=props.exempt_admin_arns
        ):
            size = len(json.dumps(policy.document, separators=(",", ":")))
            if size > SCP_SIZE_BUDGET:
                raise ValueError(
                    f"SCP {policy.name} is {size} characters minified, over the {SCP_SIZE_BUDGET} "
                    "budget (Organizations' limit is 5,120): use fewer or wildcard exempt ARNs, "
                    "e.g. arn:aws:iam::*:role/BreakGlass*"
                )
            self.policies[policy.name] = organizations.CfnPolicy(
                self,
                policy.name.removeprefix("mfa-guardrails-").title().replace("-", ""),
                name=policy.name,
                description=policy.description,
                type="SERVICE_CONTROL_POLICY",
                content=policy.document,
                target_ids=list(props.target_ids) if props.attach else None,
            )
