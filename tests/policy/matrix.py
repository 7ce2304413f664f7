"""The policy evaluation matrix: principals x requests, each cell with its expected decision and
the reason it holds. This file is the specification of the preventive guardrails; README's policy
tables point at its rows (``principal`` / ``request`` names).

The expected decisions are written from the product's promises, not derived from the policies;
``tests/test_policy_matrix.py`` evaluates the policies read back from the synthesized templates
with a real IAM engine and compares.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
MEMBER = "333333333333"
ARN = f"arn:aws:iam::{MEMBER}"


@dataclass(frozen=True)
class Principal:
    name: str
    arn: str
    kind: str  # "user" | "role" | "root"
    mfa: str | None  # "true" | "false" | None (key absent: long-term access keys, most roles)
    username: str | None = None
    assumed_root: bool = False
    break_glass: bool = False
    admin: bool = False
    stackset: bool = False
    # Identity policies besides Force-MFA: an admin-like allow-all, so that only the guardrails'
    # denies decide. A user whose only policy is the MfaRequired group proves Force-MFA's allows.
    allow_all: bool = True

    @property
    def context(self) -> dict[str, str]:
        context = {"aws:PrincipalArn": self.arn, "aws:PrincipalAccount": MEMBER}
        if self.mfa is not None:
            context["aws:MultiFactorAuthPresent"] = self.mfa
        if self.username:
            context["aws:username"] = self.username
        if self.assumed_root:
            context["aws:AssumedRoot"] = "true"
        return context


PRINCIPALS = (
    Principal("user-with-mfa", f"{ARN}:user/alice", "user", "true", "alice"),
    Principal("user-console-without-mfa", f"{ARN}:user/alice", "user", "false", "alice"),
    Principal("user-access-key", f"{ARN}:user/alice", "user", None, "alice"),
    Principal("group-only-user-with-mfa", f"{ARN}:user/alice", "user", "true", "alice",
              allow_all=False),
    Principal("group-only-user-without-mfa", f"{ARN}:user/alice", "user", "false", "alice",
              allow_all=False),
    Principal("workload-role", f"{ARN}:role/Developer", "role", None),
    Principal("workload-role-with-mfa", f"{ARN}:role/Developer", "role", "true"),
    Principal("break-glass-role", f"{ARN}:role/BreakGlassAdmin", "role", None, break_glass=True),
    Principal("break-glass-user", f"{ARN}:user/break-glass", "user", "true", "break-glass",
              break_glass=True),
    Principal(
        "admin-role",
        f"{ARN}:role/aws-reserved/sso.amazonaws.com/us-east-1/AWSReservedSSO_AdministratorAccess_0a1b",
        "role", None, admin=True,
    ),
    Principal("stackset-execution-role", f"{ARN}:role/stacksets-exec-5f2c9d", "role", None,
              stackset=True),
    Principal("root-with-mfa", f"{ARN}:root", "root", "true"),
    Principal("root-alternative-factors", f"{ARN}:root", "root", None),
    Principal("assume-root-session", f"{ARN}:root", "root", None, assumed_root=True),
)  # fmt: skip


@dataclass(frozen=True)
class Request:
    name: str
    action: str
    resource: str
    on_self: bool = False  # resource is the calling user's own user (only asked of IAM users)

    def resource_for(self, p: Principal) -> str:
        return self.resource.format(me=p.username)


REQUESTS = (
    Request("create-virtual-device", "iam:CreateVirtualMFADevice", f"{ARN}:mfa/alice-phone"),
    Request("enable-own-device", "iam:EnableMFADevice", f"{ARN}:user/{{me}}", on_self=True),
    Request("enable-device-on-other-user", "iam:EnableMFADevice", f"{ARN}:user/bob"),
    Request("resync-own-device", "iam:ResyncMFADevice", f"{ARN}:user/{{me}}", on_self=True),
    Request("resync-other-users-device", "iam:ResyncMFADevice", f"{ARN}:user/bob"),
    Request("deactivate-own-device", "iam:DeactivateMFADevice", f"{ARN}:user/{{me}}", on_self=True),
    Request("deactivate-other-users-device", "iam:DeactivateMFADevice", f"{ARN}:user/bob"),
    Request("delete-virtual-device", "iam:DeleteVirtualMFADevice", f"{ARN}:mfa/bob-phone"),
    Request("change-own-password", "iam:ChangePassword", f"{ARN}:user/{{me}}", on_self=True),
    Request("get-own-user", "iam:GetUser", f"{ARN}:user/{{me}}", on_self=True),
    Request("get-other-user", "iam:GetUser", f"{ARN}:user/bob"),
    Request("list-own-devices", "iam:ListMFADevices", f"{ARN}:user/{{me}}", on_self=True),
    Request("list-virtual-devices", "iam:ListVirtualMFADevices", "*"),
    Request("get-account-summary", "iam:GetAccountSummary", "*"),
    Request("get-session-token", "sts:GetSessionToken", "*"),
    Request("list-buckets", "s3:ListAllMyBuckets", "*"),
    Request("run-instances", "ec2:RunInstances", f"arn:aws:ec2:us-east-1:{MEMBER}:instance/*"),
    Request("put-contact-information", "account:PutContactInformation",
            f"arn:aws:account::{MEMBER}:account"),
    Request("put-alternate-contact", "account:PutAlternateContact",
            f"arn:aws:account::{MEMBER}:account"),
    Request("delete-alternate-contact", "account:DeleteAlternateContact",
            f"arn:aws:account::{MEMBER}:account"),
    Request("start-primary-email-update", "account:StartPrimaryEmailUpdate", "*"),
    Request("accept-primary-email-update", "account:AcceptPrimaryEmailUpdate", "*"),
    Request("disable-alert-rule", "events:DisableRule",
            f"arn:aws:events:us-east-1:{MEMBER}:rule/mfa-guardrails-mfa-device-deactivated"),
    Request("disable-forwarding-rule", "events:DisableRule",
            f"arn:aws:events:us-east-1:{MEMBER}:rule/mfa-guardrails-forward-mfa-removed"),
    Request("remove-central-alert-target", "events:RemoveTargets",
            f"arn:aws:events:us-east-1:{MEMBER}:rule/mfa-guardrails-central/mfa-guardrails-mfa-removed"),
    Request("create-baseline-policy", "iam:CreatePolicy", f"{ARN}:policy/mfa-guardrails-force-mfa"),
    Request("put-team-rule", "events:PutRule", f"arn:aws:events:us-east-1:{MEMBER}:rule/team-rule"),
    Request("update-notifier-code", "lambda:UpdateFunctionCode",
            f"arn:aws:lambda:us-east-1:{MEMBER}:function:mfa-guardrails-notifier"),
    Request("delete-alert-topic", "sns:DeleteTopic",
            f"arn:aws:sns:us-east-1:{MEMBER}:mfa-guardrails-alerts"),
    Request("new-force-mfa-policy-version", "iam:CreatePolicyVersion",
            f"{ARN}:policy/mfa-guardrails-force-mfa"),
    Request("detach-mfa-required-group-policy", "iam:DetachGroupPolicy",
            f"{ARN}:group/MfaRequired"),
    Request("delete-config-rule", "config:DeleteConfigRule",
            f"arn:aws:config:us-east-1:{MEMBER}:config-rule/config-rule-0a1b2c"),
    Request("stop-config-recorder", "config:StopConfigurationRecorder", "*"),
)  # fmt: skip

# Groups of requests, named as the promises speak of them.
ROOT_MFA_SELF_SERVICE = {
    "create-virtual-device", "enable-own-device", "enable-device-on-other-user",
    "resync-own-device", "resync-other-users-device", "deactivate-own-device",
    "deactivate-other-users-device", "delete-virtual-device", "list-own-devices",
    "list-virtual-devices", "get-account-summary",
}  # fmt: skip
SELF_SERVICE_WITHOUT_MFA = {
    "create-virtual-device", "enable-own-device", "resync-own-device", "change-own-password",
    "get-own-user", "list-own-devices", "list-virtual-devices", "get-session-token",
}  # fmt: skip
SELF_SERVICE_ON_OTHERS = {
    "enable-device-on-other-user",
    "resync-other-users-device",
    "get-other-user",
}
DEVICE_REMOVAL = {"deactivate-own-device", "deactivate-other-users-device", "delete-virtual-device"}
CONTACT_CHANGES = {
    "put-contact-information", "put-alternate-contact", "delete-alternate-contact",
    "start-primary-email-update", "accept-primary-email-update",
}  # fmt: skip
GUARDRAIL_TAMPERING = {
    "disable-alert-rule", "disable-forwarding-rule", "remove-central-alert-target",
    "update-notifier-code", "delete-alert-topic",
    "new-force-mfa-policy-version", "detach-mfa-required-group-policy", "delete-config-rule",
    "stop-config-recorder",
}  # fmt: skip


@dataclass(frozen=True)
class Cell:
    principal: Principal
    request: Request
    allowed: bool
    reason: str

    @property
    def id(self) -> str:
        return f"{self.principal.name}:{self.request.name}"


def expected(p: Principal, r: Request) -> tuple[bool, str]:
    """The promise each cell checks, in the order the policies apply."""
    if p.kind == "root" and not p.assumed_root:
        if r.name in ROOT_MFA_SELF_SERVICE:
            return True, "root lock-down leaves root its own MFA devices (recovery, root-MFA fix)"
        return False, "root lock-down: a member's root user may only manage MFA devices"
    if not p.allow_all:
        return _group_only_user(p, r)
    if p.kind == "user" and p.mfa != "true":
        if r.name in SELF_SERVICE_ON_OTHERS:
            return False, "Force-MFA: without MFA, self-service only on one's own user"
        if r.name not in SELF_SERVICE_WITHOUT_MFA:
            return False, "Force-MFA: everything but MFA self-service needs MFA (BoolIfExists)"
        return True, "Force-MFA self-service: enrol a device / fix a password before MFA"
    exempt_admin = p.break_glass or p.admin or p.kind == "root"
    if r.name in DEVICE_REMOVAL and not exempt_admin:
        if p.mfa != "true":
            return False, "MFA-device protection: removing a device needs MFA"
        if r.name == "deactivate-other-users-device":
            return False, "MFA-device protection: only admins deactivate another user's device"
    if r.name in CONTACT_CHANGES and not (p.break_glass or p.admin):
        return False, "recovery-contact protection: only admins change the root recovery path"
    if r.name in GUARDRAIL_TAMPERING and not (p.break_glass or p.stackset):
        return False, "guardrail protection: only StackSets and break-glass change the guardrails"
    if p.break_glass:
        return True, "break-glass is never locked out"
    if p.stackset:
        return True, "the StackSet execution role can deploy and update the baseline"
    return True, "no guardrail applies: identity policy allows"


def _group_only_user(p: Principal, r: Request) -> tuple[bool, str]:
    """A user whose only policy is Force-MFA: it grants the self-service and nothing else."""
    if r.name in SELF_SERVICE_WITHOUT_MFA:
        return True, "Force-MFA grants MFA self-service on one's own user"
    if r.name == "deactivate-own-device" and p.mfa == "true":
        return True, "Force-MFA grants deactivating one's own device, with MFA"
    if r.name == "deactivate-own-device":
        return False, "Force-MFA: deactivating one's own device needs MFA"
    return False, "Force-MFA grants nothing else"


def cells() -> list[Cell]:
    return [
        Cell(p, r, *expected(p, r))
        for p in PRINCIPALS
        for r in REQUESTS
        if p.kind == "user" or not r.on_self
    ]


# ---------------------------------------------------------------------------------------------
# Reading policies from a synthesized template, and evaluating them.
# ---------------------------------------------------------------------------------------------

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


@dataclass
class PolicySet:
    """The product's policies as deployed to a member account, read from templates."""

    force_mfa: dict[str, Any]
    scps: dict[str, dict[str, Any]] = field(default_factory=dict)

    def simulation(self, p: Principal, r: Request) -> dict[str, Any]:
        identity = [{"name": "AllowAll", "policy": ALLOW_ALL}] if p.allow_all else []
        if p.kind == "user":  # IAM users are in the MfaRequired group
            identity.append({"name": "ForceMfa", "policy": self.force_mfa})
        scps = [{"name": "FullAWSAccess", "policy": ALLOW_ALL}]
        scps += [{"name": name, "policy": doc} for name, doc in self.scps.items()]
        return {
            "request": {
                "principal": p.arn,
                "action": r.action,
                "resource": {"resource": r.resource_for(p), "accountId": MEMBER},
                "contextVariables": p.context,
            },
            "identityPolicies": identity,
            "serviceControlPolicies": [{"orgIdentifier": "ou-ab12-workload1", "policies": scps}],
            "resourceControlPolicies": [],
        }


def evaluate(simulations: Sequence[Mapping[str, Any]], workers: int = 2) -> list[bool]:
    """Evaluate every simulation in ``workers`` Node processes; True where allowed."""
    size = -(-len(simulations) // workers)
    batches = [simulations[i : i + size] for i in range(0, len(simulations), size)]
    script = str(Path(__file__).with_name("simulate.cjs"))

    def run(batch: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        result = subprocess.run(
            ["node", script],
            cwd=ROOT,
            input=json.dumps(batch),
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        if result.returncode != 0:
            raise RuntimeError(f"policy simulator failed: {result.stderr}")
        decided: list[dict[str, Any]] = json.loads(result.stdout)
        return decided

    with ThreadPoolExecutor(max_workers=workers) as pool:
        decisions = [d for batch in pool.map(run, batches) for d in batch]
    errors = [d["error"] for d in decisions if d["error"]]
    if errors:
        raise AssertionError(f"simulator rejected {len(errors)} request(s): {errors[:3]}")
    return [d["decision"] == "Allowed" for d in decisions]


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
