"""The product's policies as deployed, read back from the synthesized templates, and the requests
the engine evaluates against them: identity policies (allow-all, Force-MFA) and the SCPs attached
at each level of the organization (root, OU, account)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from tests.policy.principals import MEMBER, ORG_ID, ORG_ROOT, Principal

PSEUDO = {"AWS::Partition": "aws", "AWS::AccountId": MEMBER, "AWS::Region": "us-east-1"}
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*",
                                                     "Resource": "*"}]}  # fmt: skip


def resolve(value: Any) -> Any:
    """Resolve the intrinsics CDK puts in policies (Ref to pseudo parameters, Fn::Join)."""
    if isinstance(value, dict):
        if set(value) == {"Ref"} and value["Ref"] in PSEUDO:
            return PSEUDO[value["Ref"]]
        if set(value) == {"Fn::Join"}:
            separator, parts = value["Fn::Join"]
            return separator.join(str(resolve(part)) for part in parts)
        return {key: resolve(item) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item) for item in value]
    return value


def resources_of(template: Mapping[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource["Properties"]
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == kind
    }


@dataclass(frozen=True)
class Request:
    """One API call: the action, the resource it targets, and request-specific context keys."""

    action: str
    resource: str = "*"
    context: Mapping[str, str | list[str]] = field(default_factory=dict)
    account: str = MEMBER  # the account that owns the resource


@dataclass(frozen=True)
class PolicySet:
    """Force-MFA, and each SCP with the targets it is attached to, as the templates say."""

    force_mfa: dict[str, Any]
    scps: dict[str, dict[str, Any]]
    targets: dict[str, tuple[str, ...]]

    @classmethod
    def from_templates(cls, templates: Mapping[str, Mapping[str, Any]]) -> PolicySet:
        (force_mfa,) = resources_of(
            templates["MfaGuardrailsManagementBaseline"], "AWS::IAM::ManagedPolicy"
        ).values()
        scps = resources_of(templates["MfaGuardrailsManagement"], "AWS::Organizations::Policy")
        return cls(
            force_mfa=resolve(force_mfa["PolicyDocument"]),
            scps={p["Name"]: p["Content"] for p in scps.values()},
            targets={p["Name"]: tuple(p.get("TargetIds", ())) for p in scps.values()},
        )

    def with_force_mfa(self, document: dict[str, Any]) -> PolicySet:
        return replace(self, force_mfa=document)

    def with_scp(self, name: str, document: dict[str, Any]) -> PolicySet:
        return replace(self, scps={**self.scps, name: document})

    def scp_levels(self, p: Principal) -> list[dict[str, Any]]:
        """Root, OU and account levels of the caller's account, each FullAWSAccess plus ours."""
        levels = [ORG_ROOT, *([p.ou] if p.ou else []), p.account]
        full = {"name": "FullAWSAccess", "policy": ALLOW_ALL}
        return [
            {
                "orgIdentifier": level,
                "policies": [full] + [
                    {"name": name, "policy": doc}
                    for name, doc in self.scps.items()
                    if level in self.targets[name]
                ],
            }
            for level in levels
        ]

    def simulation(
        self, p: Principal, r: Request, identity: Sequence[Mapping[str, Any]] | None = None
    ) -> dict[str, Any]:
        """The request as the engine evaluates it. ``identity``: the caller's own identity
        policies (a role of ours, read from its template) instead of allow-all and Force-MFA."""
        simulation = self._simulation(p, r, identity)
        if r.action.startswith("kms:") and ":key/" in r.resource:
            # KMS honours IAM policies only when the key policy delegates to the account, as
            # the key policy CDK writes for the alerting key does.
            simulation["resourcePolicy"] = {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{r.account}:root"},
                "Action": "kms:*", "Resource": "*",
            }]}  # fmt: skip
        elif r.action.startswith("sts:AssumeRole") and ":role/" in r.resource:
            # The worst case, and CDK's bootstrap default: the role trusts its whole account.
            simulation["resourcePolicy"] = {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{r.account}:root"},
                "Action": "sts:AssumeRole", "Resource": "*",
            }]}  # fmt: skip
        elif r.action == "events:PutEvents" and r.account != p.account:
            # The central bus accepts PutEvents from the organization only (its resource policy).
            simulation["resourcePolicy"] = {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": "*", "Action": "events:PutEvents",
                "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}},
            }]}  # fmt: skip
        return simulation

    def _simulation(
        self, p: Principal, r: Request, own: Sequence[Mapping[str, Any]] | None
    ) -> dict[str, Any]:
        identity: list[dict[str, Any]] = []
        if own is not None:
            identity = [{"name": f"Own{i}", "policy": doc} for i, doc in enumerate(own)]
        elif p.allow_all:
            identity = [{"name": "AllowAll", "policy": ALLOW_ALL}]
        if p.force_mfa and own is None:
            identity.append({"name": "ForceMfa", "policy": self.force_mfa})
        return {
            "request": {
                "principal": p.arn,
                "action": r.action,
                "resource": {"resource": r.resource, "accountId": r.account},
                "contextVariables": {**p.context, **r.context},
            },
            "identityPolicies": identity,
            # Management-account principals and service-linked roles are outside every SCP.
            "serviceControlPolicies": self.scp_levels(p) if p.subject_to_scps else [],
            "resourceControlPolicies": [],
        }


def mutations(document: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every copy of ``document`` with exactly one statement, or one condition key, removed."""
    found: list[tuple[str, dict[str, Any]]] = []
    statements = document["Statement"]
    for index, statement in enumerate(statements):
        sid = statement.get("Sid", str(index))
        without = [s for i, s in enumerate(statements) if i != index]
        found.append((f"-{sid}", {**document, "Statement": without}))
        for operator, keys in statement.get("Condition", {}).items():
            for key in keys:
                condition = json.loads(json.dumps(statement["Condition"]))
                del condition[operator][key]
                if not condition[operator]:
                    del condition[operator]
                changed = {**statement, "Condition": condition}
                if not condition:
                    del changed["Condition"]
                copy = [changed if i == index else s for i, s in enumerate(statements)]
                found.append((f"{sid}-{operator}:{key}", {**document, "Statement": copy}))
    return found
