"""The product's service control policies as ``AWS::Organizations::Policy`` resources."""

from __future__ import annotations

import json
from dataclasses import dataclass

from aws_cdk import aws_organizations as organizations
from constructs import Construct

from constructs_lib.scp.documents import Exemptions, service_control_policies

# Organizations' limit is 10,240 characters per SCP since 15 May 2026 (5,120 before; Organizations
# quotas page), whitespace included when the policy is saved through an API (as CloudFormation
# does). The minified size keeps 10 % headroom for exempt-ARN growth; and even serialized with a
# space after every separator, a policy must fit the limit.
SCP_SIZE_LIMIT = 10240
SCP_SIZE_BUDGET = 9216


def sizes(document: object) -> tuple[int, int]:
    """Characters of ``document`` minified, and with a space after each separator."""
    return len(json.dumps(document, separators=(",", ":"))), len(json.dumps(document))


@dataclass(frozen=True, kw_only=True)
class MfaServiceControlPoliciesProps:
    """``target_ids`` (OU, root or account ids) are attached only when ``attach`` is True;
    ``force_mfa_group_names``: the configured groups that hold Force-MFA besides MfaRequired."""

    exemptions: Exemptions
    force_mfa_group_names: tuple[str, ...] = ()
    target_ids: tuple[str, ...] = ()
    attach: bool = False


class MfaServiceControlPolicies(Construct):
    """Account protection (root lock-down, MFA devices, recovery contacts) and guardrail
    protection (the product's resources, exempt identities, trails, Config)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, props: MfaServiceControlPoliciesProps
    ) -> None:
        super().__init__(scope, construct_id)
        self.policies: dict[str, organizations.CfnPolicy] = {}
        for policy in service_control_policies(props.exemptions, props.force_mfa_group_names):
            minified, spaced = sizes(policy.document)
            if minified > SCP_SIZE_BUDGET or spaced > SCP_SIZE_LIMIT:
                raise ValueError(
                    f"SCP {policy.name} is {minified} characters minified ({spaced} spaced), "
                    f"over the {SCP_SIZE_BUDGET} budget (Organizations' limit is "
                    f"{SCP_SIZE_LIMIT}): list "
                    "fewer exempt ARNs, or cover several with one pattern in the same account, "
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
