"""Sweeps over whole action catalogs: every action the engine knows (the iam-data catalog that
ships with @cloud-copilot/iam-simulate) for the services that matter, x MFA true/false/absent x
every principal kind, proving the invariants the product promises:

(a) a Force-MFA holder without MFA gets nothing beyond the documented bootstrap set (a console
    session: enrol a device, change the password, read its own user; long-term keys: read its own
    user and ask for an MFA session; a role: nothing);
(b) no principal but the guardrail administrators changes a protected resource or identity (and
    none but the device/contact admins changes another user's MFA device or a recovery contact);
(c) the guardrail administrators can still make every one of those changes.

``python -m tests.policy.sweep`` runs the whole sweep (``make sweep``) and prints cells and
seconds; ``tests/test_policy_sweep.py`` runs a fixed sample of it in ``make test``.
"""

from __future__ import annotations

import json
import random
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path
from typing import Any

from tests.policy.engine import ROOT
from tests.policy.matrix import ALERT_KEY, FORCE_MFA_ARN
from tests.policy.policies import PolicySet, Request
from tests.policy.principals import (
    ARN,
    MEMBER,
    SECURITY,
    SSO_SUFFIX,
    Exempt,
    Principal,
    base_principals,
    concrete,
)

SERVICES = ("iam", "sts", "account", "organizations", "cloudtrail", "config", "events", "sns",
            "sqs", "lambda", "kms", "cloudwatch", "cloudformation",
            # The planes: Sign-In's console authorization, the CDK bootstrap (bucket, parameter,
            # repository), the heartbeat table, the functions' log groups.
            "signin", "s3", "ssm", "ecr", "dynamodb", "logs")  # fmt: skip
CATALOG = ("node_modules", "@cloud-copilot", "iam-data", "data")
CHANGES = {"Write", "Permissions management", "Tagging"}
# What the product promises anyone may still do to a protected resource: use it as the alert path
# does, and start what was stopped. Written from the promise, not copied from the policy.
USE = {
    "events:PutEvents", "kms:Decrypt", "kms:Encrypt",
    "kms:GenerateDataKey", "kms:GenerateDataKeyPair", "kms:GenerateDataKeyPairWithoutPlaintext",
    "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo",
    "cloudtrail:StartLogging", "cloudtrail:CreateTrail", "config:StartConfigRulesEvaluation",
    "config:StartConfigurationRecorder",
    "iam:AddUserToGroup",  # onboarding: joining MfaRequired only adds the guardrail
}  # fmt: skip
# Replaying dead letters (README, "replay"): the device and contact admins may, besides the
# guardrail administrators (the notifier alone of our functions); publishing an alert or
# feeding a queue is the product's own.
REPLAY = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
          "lambda:InvokeFunction"}  # fmt: skip
# Console session without MFA, and long-term keys, of a Force-MFA user: (action, target).
CONSOLE_BOOTSTRAP = {
    ("iam:GetUser", "own"), ("iam:ListMFADevices", "own"), ("iam:ListVirtualMFADevices", "*"),
    ("iam:GetMFADevice", "own"),  # a security key is read back when enrolled
    ("iam:GetAccountPasswordPolicy", "*"), ("iam:CreateVirtualMFADevice", "mfa"),
    ("iam:EnableMFADevice", "own"), ("iam:ResyncMFADevice", "own"),
    ("iam:ChangePassword", "own"), ("sts:GetSessionToken", "*"),
    # AWS answers GetCallerIdentity whatever the policies say (STS API reference).
    ("sts:GetCallerIdentity", "*"),
}  # fmt: skip
KEYS_BOOTSTRAP = {
    ("iam:GetUser", "own"), ("iam:ListMFADevices", "own"), ("iam:ListVirtualMFADevices", "*"),
    ("iam:GetMFADevice", "own"),  # a security key is read back when enrolled
    ("iam:GetAccountPasswordPolicy", "*"), ("sts:GetSessionToken", "*"),
    ("sts:GetCallerIdentity", "*"),
}  # fmt: skip
MFA_DEVICE_ENROLMENT = {"iam:EnableMFADevice", "iam:ResyncMFADevice"}
MFA_DEVICE_CHANGES = {*MFA_DEVICE_ENROLMENT, "iam:DeactivateMFADevice"}
RECOVERY_CONTACTS = {
    "account:PutContactInformation", "account:PutAlternateContact",
    "account:DeleteAlternateContact", "account:StartPrimaryEmailUpdate",
    "account:AcceptPrimaryEmailUpdate",
}  # fmt: skip
# Actions whose every resource type has the same ARN shape (a Lambda version or alias), so the
# engine cannot tell which applies: reported by the sweep, and left to the cells and chains.
UNTYPEABLE = {
    "lambda:DeleteProvisionedConcurrencyConfig", "lambda:GetProvisionedConcurrencyConfig",
    "lambda:PutProvisionedConcurrencyConfig",
}  # fmt: skip
RESOURCELESS_PROTECTED = {
    "config:DeleteDeliveryChannel", "config:PutDeliveryChannel", "organizations:LeaveOrganization",
    "events:PutPermission", "events:RemovePermission",
    # Console sign-in restricted to a network locks out root and break-glass.
    "signin:PutConsoleAuthorizationConfiguration", "signin:DeleteConsoleAuthorizationConfiguration",
    "signin:PutResourcePermissionStatement", "signin:DeleteResourcePermissionStatement",
}  # fmt: skip
# Changes the product promises only guardrail administrators make, on resources anyone else
# may otherwise change as they like: (action, resource, context) of each.
SWITCHES = {
    "account:EnableRegion": (f"arn:aws:account::{MEMBER}:account",
                             {"account:TargetRegion": "me-central-1"}),
    "account:DisableRegion": (f"arn:aws:account::{MEMBER}:account",
                              {"account:TargetRegion": "eu-south-1"}),
    "events:UpdateEventBus": (f"arn:aws:events:us-east-1:{MEMBER}:event-bus/default", {}),
    "organizations:DisablePolicyType": (
        "arn:aws:organizations::111111111111:root/o-a1b2c3d4e5/r-ab12", {}),
    **{f"organizations:{name}Policy": (
        "arn:aws:organizations::111111111111:policy/o-a1b2c3d4e5/service_control_policy/p-0a1b",
        {"organizations:PolicyType": "SERVICE_CONTROL_POLICY"})
       for name in ("Create", "Update", "Delete", "Attach", "Detach")},
    "cloudformation:CreateStackSet": ("*", {}),  # names no resource
    **{f"cloudformation:{name}": (f"arn:aws:cloudformation:us-east-1:{MEMBER}:stackset/team:0a1b",
                                  {})
       for name in ("UpdateStackSet", "DeleteStackSet", "CreateStackInstances",
                    "UpdateStackInstances", "DeleteStackInstances", "ImportStacksToStackSet")},
}  # fmt: skip


@dataclass(frozen=True)
class Action:
    service: str
    name: str
    access_level: str
    resource_types: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{self.service}:{self.name}"


@dataclass(frozen=True)
class SweepCell:
    invariant: str
    principal: Principal
    request: Request
    allowed: bool

    @property
    def id(self) -> str:
        request = self.request
        return f"{self.invariant}:{self.principal.name}:{request.action}:{request.resource}"


def _catalog_dir() -> Path:
    return ROOT.joinpath(*CATALOG)


@cache
def catalog() -> tuple[Action, ...]:
    """Every action the engine knows for SERVICES, with its access level and resource types."""
    found = []
    for service in SERVICES:
        actions = json.loads((_catalog_dir() / "actions" / f"{service}.json").read_text())
        for data in actions.values():
            types = tuple(r["name"].lower() for r in data["resourceTypes"])
            found.append(Action(service, data["name"], data["accessLevel"], types))
    return tuple(found)


@cache
def arn_templates(service: str) -> dict[str, str]:
    data = json.loads((_catalog_dir() / "resourceTypes" / f"{service}.json").read_text())
    return {key: value["arn"] for key, value in data.items()}


def sample_arn(service: str, resource_type: str) -> str:
    """An ordinary (unprotected) resource of the type, in the member account."""
    template = arn_templates(service)[resource_type]
    filled = template.replace("${Partition}", "aws").replace("${Account}", MEMBER)
    filled = filled.replace("${Region}", "us-east-1")
    return re.sub(r"\$\{[^}]+\}", "team-sample", filled)


def protected_resources(
    templates: dict[str, dict[str, Any]], identities: tuple[str, ...]
) -> dict[tuple[str, str], list[Request]]:
    """(service, resource type) -> requests' resource and context of each protected resource:
    the product's own resources read from every synthesized template, every exempt identity and
    name an exemption matches, and the lifeline (trails, Config's recorder and service-linked
    role); our Config rules by the tag their template gives them."""
    found: dict[tuple[str, str], list[Request]] = {}

    def add(service: str, kind: str, arn: str, **context: str | list[str]) -> None:
        found.setdefault((service, kind), []).append(Request("", arn, context))

    region = f"us-east-1:{MEMBER}"
    for template in templates.values():
        for resource in template["Resources"].values():
            props, kind = resource.get("Properties", {}), resource["Type"]
            name = props.get("RoleName") or props.get("QueueName") or props.get("FunctionName")
            name = name or props.get("TopicName") or props.get("Name") or props.get("AlarmName")
            if not isinstance(name, str):
                continue  # names with tokens (per-region roles) are added below
            if kind == "AWS::IAM::Role":
                add("iam", "role", f"{ARN}:role/{name}")
            elif kind == "AWS::Lambda::Function":
                add("lambda", "function", f"arn:aws:lambda:{region}:function:{name}")
            elif kind == "AWS::SNS::Topic":
                add("sns", "topic", f"arn:aws:sns:{region}:{name}")
            elif kind == "AWS::SQS::Queue":
                add("sqs", "queue", f"arn:aws:sqs:{region}:{name}")
            elif kind == "AWS::Events::Rule":
                bus = "mfa-guardrails-central/" if props.get("EventBusName") else ""
                rule_type = "rule-on-custom-event-bus" if bus else "rule-on-default-event-bus"
                add("events", rule_type, f"arn:aws:events:{region}:rule/{bus}{name}")
            elif kind == "AWS::Events::EventBus":
                add("events", "event-bus", f"arn:aws:events:{region}:event-bus/{name}")
            elif kind == "AWS::CloudWatch::Alarm":
                add("cloudwatch", "alarm", f"arn:aws:cloudwatch:{region}:alarm:{name}")
    # A few of each kind: every rule or queue of ours is protected by the same name pattern.
    found = {key: list({r.resource: r for r in rs}.values())[:3] for key, rs in found.items()}
    add("iam", "role", f"{ARN}:role/mfa-guardrails-forward-eu-west-1")
    add("iam", "role", f"{ARN}:role/mfa-guardrails-canary")
    sso = f"{ARN}:role/aws-reserved/sso.amazonaws.com"
    add("iam", "role", f"{sso}/AWSReservedSSO_Admin_{SSO_SUFFIX}")
    for pattern in identities:
        arn = concrete(pattern)
        add("iam", "user" if ":user/" in arn else "role", arn)
    add("iam", "group", f"{ARN}:group/MfaRequired")
    add("iam", "policy", FORCE_MFA_ARN)
    add("kms", "key", ALERT_KEY, **{"kms:ResourceAliases": ["alias/mfa-guardrails-alerting"]})
    add("kms", "alias", f"arn:aws:kms:{region}:alias/mfa-guardrails-alerting")
    add("cloudtrail", "trail", f"arn:aws:cloudtrail:{region}:trail/org-trail")
    for stack in templates:
        add("cloudformation", "stack", f"arn:aws:cloudformation:{region}:stack/{stack}/0a1b")
    add("cloudformation", "stack",
        f"arn:aws:cloudformation:{region}:stack/StackSet-mfa-guardrails-member-baseline-0a1b/0a1b")
    add("iam", "role", f"{ARN}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig")
    add("config", "configurationrecorder",
        f"arn:aws:config:{region}:configuration-recorder/default/0a1b")
    return _merged(found, [*_plane_resources(region), *_tagged_config_rules(templates, region)])


def _tagged_config_rules(
    templates: dict[str, dict[str, Any]], region: str
) -> list[tuple[tuple[str, str], Request]]:
    """Our Config rules, known by the tags their templates' tagging resource gives them (a rule's
    ARN carries an id, not its name)."""
    rule = f"arn:aws:config:{region}:config-rule/config-rule-0a1b2c"
    return [
        (("config", "configrule"), Request("", rule, {
            f"aws:ResourceTag/{key}": value for key, value in resource["Properties"]["Tags"].items()
        }))
        for template in templates.values()
        for resource in template["Resources"].values()
        if resource["Type"] == "Custom::MfaGuardrailsConfigRuleTags"
    ][:1]  # every rule of ours carries the same tag


def _merged(
    found: dict[tuple[str, str], list[Request]], more: list[tuple[tuple[str, str], Request]]
) -> dict[tuple[str, str], list[Request]]:
    for key, request in more:
        found.setdefault(key, []).append(request)
    return found


def _plane_resources(region: str) -> list[tuple[tuple[str, str], Request]]:
    """The heartbeat table, a function's log group, and the security account's CDK bootstrap
    (its bucket's name carries the account; every stack there is protected)."""
    sec, qualifier = SECURITY, "hnb659fds"
    bucket = f"arn:aws:s3:::cdk-{qualifier}-assets-{sec}-us-east-1"
    found = [
        ("dynamodb", "table", f"arn:aws:dynamodb:{region}:table/mfa-guardrails-heartbeats"),
        ("logs", "log-group", f"arn:aws:logs:{region}:log-group:/aws/lambda/mfa-guardrails-x"),
        ("s3", "bucket", bucket),
        ("s3", "object", f"{bucket}/0a1b2c3d.json"),
        ("ssm", "parameter", f"arn:aws:ssm:us-east-1:{sec}:parameter/cdk-bootstrap/{qualifier}/v"),
        ("ecr", "repository", f"arn:aws:ecr:us-east-1:{sec}:repository/cdk-{qualifier}-container-"
                              f"assets-{sec}-us-east-1"),
        ("iam", "role", f"arn:aws:iam::{sec}:role/cdk-{qualifier}-lookup-role-{sec}-us-east-1"),
        ("cloudformation", "stack", f"arn:aws:cloudformation:us-east-1:{sec}:stack/Team/0a1b"),
    ]  # fmt: skip
    return [((service, kind), Request("", arn)) for service, kind, arn in found]


def force_mfa_cells(
    principals: list[Principal], identities: tuple[str, ...] = ()
) -> Iterator[SweepCell]:
    """(a): every action x (own user, another user, a sample resource) for holders without MFA.
    A user named like an exempt one under another path (a squatter, which can no longer be
    created) is itself a protected identity: it may read itself, never change itself."""
    under_a_path = tuple(f"{head}/*/{name}" for head, _, name in
                         (arn.rpartition("/") for arn in identities))  # fmt: skip
    for p in principals:
        if not p.force_mfa or p.mfa == "true" or not p.allow_all:
            continue
        allowed = {("sts:GetCallerIdentity", "*")} if p.kind != "user" else (
            CONSOLE_BOOTSTRAP if p.mfa == "false" else KEYS_BOOTSTRAP)  # fmt: skip
        if any(fnmatchcase(p.arn, pattern) for pattern in under_a_path):
            allowed = {(a, t) for a, t in allowed if t != "own" or a.split(":")[1][:3] in
                       {"Get", "Lis"}}  # fmt: skip
        for action in catalog():
            targets: list[tuple[str, str]] = []
            for kind in action.resource_types or ("*",):
                if kind == "user":
                    own = [("own", p.arn)] if p.kind == "user" else []
                    targets += [*own, ("other", f"{ARN}:user/bob")]
                elif kind == "mfa":
                    targets.append(("mfa", f"{ARN}:mfa/new-phone"))
                elif kind == "*":
                    targets.append(("*", "*"))
                else:
                    targets.append((kind, sample_arn(action.service, kind)))
            for target, resource in targets:
                yield SweepCell("a:force-mfa-bootstrap-only", p, Request(action.id, resource),
                                (action.id, target) in allowed)


def protection_cells(
    principals: list[Principal],
    exempt: Exempt,
    protected: dict[tuple[str, str], list[Request]],
) -> Iterator[SweepCell]:
    """(b) and (c): every change of a protected resource, by every principal."""
    guardrail_admin = {p: exempt.guardrail_admin(p) for p in principals}
    device_admin = {p: exempt.device_and_contact_admin(p) for p in principals}
    for action in catalog():
        if action.access_level not in CHANGES or action.id in USE:
            continue
        for template in _protected_requests(action, protected):
            for p in principals:
                if p.assumed_root:
                    continue  # task policies confine these sessions to the root user anyway
                # Each principal acts on the protected resources of its own account.
                resource = p.own_account(template.resource)
                if action.service == "sts" and not exempt.deployer(resource):
                    continue  # who assumes any other protected role: its trust policy decides
                request = Request(action.id, resource, template.context, p.account)
                admin = _may_change(p, action.id, resource, guardrail_admin[p], exempt)
                admin = admin or (_replays(action.id, resource) and device_admin[p])
                if action.id in MFA_DEVICE_CHANGES:  # other users' devices: device admins only
                    admin = admin and device_admin[p]
                if action.id in MFA_DEVICE_ENROLMENT:  # on another user: nobody
                    admin = resource == p.arn or not p.subject_to_scps
                if admin and "/aws-reserved/" in resource:
                    continue  # AWS itself lets only Identity Center change these roles
                if admin and p.force_mfa and p.mfa != "true":
                    continue  # an exempt user still signs in with MFA (Force-MFA)
                yield SweepCell("b:protected" if not admin else "c:admins-can", p, request, admin)
        yield from _device_and_contact_cells(action, principals, device_admin)


def _replays(action: str, resource: str) -> bool:
    """What replaying dead letters needs: their queues, and invoking the notifier (no other
    function of ours: README, "replay")."""
    if action == "lambda:InvokeFunction":
        return resource.endswith(":function:mfa-guardrails-notifier")
    return action in REPLAY


def _protected_requests(
    action: Action, protected: dict[tuple[str, str], list[Request]]
) -> list[Request]:
    """The protected resources (with their context) an action can change."""
    if action.id in SWITCHES:
        resource, context = SWITCHES[action.id]
        return [Request("", resource, context)]
    if not action.resource_types and action.id in RESOURCELESS_PROTECTED:
        return [Request("", "*")]
    requests = [r for kind in action.resource_types
                for r in protected.get((action.service, kind), [])]  # fmt: skip
    if action.id in {"iam:DetachGroupPolicy", "iam:DetachRolePolicy"}:
        target = "group/Developers" if "Group" in action.name else "role/ConsoleUsers"
        requests.append(Request("", f"{ARN}:{target}", {"iam:PolicyARN": FORCE_MFA_ARN}))
    return requests


def _may_change(p: Principal, action: str, resource: str, admin: bool, exempt: Exempt) -> bool:
    """Whether ``p`` may change a protected resource before the device rules: a guardrail
    administrator may; the canary role only tags itself (its heartbeat)."""
    if exempt.canary(p):
        return action == "iam:TagRole" and resource == p.arn
    return admin


def _device_and_contact_cells(
    action: Action, principals: list[Principal], device_admin: dict[Principal, bool]
) -> Iterator[SweepCell]:
    """(b) and (c) for other users' MFA devices and recovery contacts: only device/contact
    admins remove another user's device or change a contact; nobody enrols a device on another
    user (with their password or keys, the enroller's device would pass their MFA)."""
    if action.id not in MFA_DEVICE_CHANGES | RECOVERY_CONTACTS:
        return
    resources = {
        "user": f"{ARN}:user/bob",
        "account": f"arn:aws:account::{MEMBER}:account",
        "accountinorganization": f"arn:aws:account::111111111111:account/o-a1b2c3d4e5/{MEMBER}",
    }
    for kind in action.resource_types:
        for p in principals:
            if p.assumed_root or (p.force_mfa and p.mfa != "true"):
                continue
            admin = not p.subject_to_scps or (
                device_admin[p] and action.id not in MFA_DEVICE_ENROLMENT
            )
            # A user or the account of the caller's own account; a member's contacts through
            # the organization (Account Management's delegated administrator, from anywhere).
            resource = resources[kind]
            if kind != "accountinorganization":
                resource = p.own_account(resource)
            yield SweepCell("b:devices-and-contacts" if not admin else "c:admins-can",
                            p, Request(action.id, resource, account=p.account), admin)  # fmt: skip


def sweep_cells(
    templates: dict[str, dict[str, Any]], exempt: Exempt, identities: tuple[str, ...],
    principals: list[Principal],
) -> list[SweepCell]:  # fmt: skip
    protected = protected_resources(templates, identities)
    return [*force_mfa_cells(principals, identities),
            *protection_cells(principals, exempt, protected)]


def sample(cells: list[SweepCell], fraction: float, seed: int = 11) -> list[SweepCell]:
    """A fixed, reproducible slice that keeps every invariant represented."""
    rng = random.Random(seed)
    return [c for c in cells if rng.random() < fraction]


def failures(cells: list[SweepCell], decided: list[tuple[bool, str | None]]) -> list[str]:
    """Cells whose decision breaks the invariant. Each action is tried with a sample of each of
    its resource types; one the engine cannot type (an ARN that fits several types) fails only
    when no other type of the same action and principal could be evaluated."""
    evaluated = {
        (c.invariant, c.principal, c.request.action)
        for c, (_, error) in zip(cells, decided, strict=True)
        if not error
    }
    found = []
    for c, (allowed, error) in zip(cells, decided, strict=True):
        if error and (c.invariant, c.principal, c.request.action) not in evaluated:
            if c.request.action not in UNTYPEABLE:
                found.append(f"{c.id}: not evaluated: {error}")
        elif not error and allowed != c.allowed:
            found.append(f"{c.id}: expected {'Allow' if c.allowed else 'Deny'}")
    return found


def main() -> int:
    """The whole sweep on the organization example: cells, seconds, failures."""
    import tempfile

    from tests.policy.engine import Engine
    from tests.policy.principals import all_principals
    from tests.synth import ORGANIZATION_EXAMPLE, Synthesized

    started = time.perf_counter()
    synth = Synthesized(ORGANIZATION_EXAMPLE, Path(tempfile.mkdtemp()))
    policies = PolicySet.from_templates(synth.templates)
    exempt, identities, base = context_of(synth.config)
    cells = sweep_cells(synth.templates, exempt, identities, all_principals(base))
    prepared = time.perf_counter()
    with Engine() as engine:
        decided = engine.decide([policies.simulation(c.principal, c.request) for c in cells])
    finished = time.perf_counter()
    failed = failures(cells, decided)
    by_invariant: dict[str, int] = {}
    for cell in cells:
        by_invariant[cell.invariant] = by_invariant.get(cell.invariant, 0) + 1
    actions = len({c.request.action for c in cells})
    print(f"policy sweep: {len(cells)} cells ({actions} actions, "
          f"{len({c.principal for c in cells})} principals) evaluated in "
          f"{finished - prepared:.1f} s (synth and set-up {prepared - started:.1f} s)")
    for invariant, count in sorted(by_invariant.items()):
        print(f"  {invariant}: {count} cells")
    for line in [f for f in failed if f.startswith("c:")][:40]:
        print(f"  FAIL {line}")
    kinds: dict[str, int] = {}
    for line in failed:
        invariant, _, rest = line.partition(":")
        key = invariant + ":" + rest.split(":")[1] + " " + ":".join(rest.split(":")[2:4])
        kinds[key] = kinds.get(key, 0) + 1
    for key, count in sorted(kinds.items())[:80]:
        print(f"  {count:5d} {key}")
    print(f"{len(failed)} failure(s)")
    return 1 if failed else 0


# The canary role, as the product promises to let it tag itself (README, "How you know it
# works").
CANARY_ROLES = ("arn:aws:iam::*:role/mfa-guardrails-canary",)
# The StackSet execution roles, as the product promises to exempt them (README).
STACKSET_ROLES = (
    "arn:aws:iam::*:role/stacksets-exec-*",
    "arn:aws:iam::*:role/AWSCloudFormationStackSetExecutionRole",
)


def context_of(config: Any) -> tuple[Exempt, tuple[str, ...], list[Principal]]:
    """The exemptions, protected identities and principal kinds of a configuration, read from
    the configuration itself (the promise), not from the policies under test."""
    guardrail_admins = (*STACKSET_ROLES, *config.break_glass_principal_arns,
                        *config.guardrail_automation_arns)  # fmt: skip
    device_admins = (*config.break_glass_principal_arns, *config.admin_principal_arns)
    deployers = (*STACKSET_ROLES, *config.guardrail_automation_arns)
    exempt = Exempt(guardrail_admins, device_admins, deployers, CANARY_ROLES)
    base = base_principals(
        security_account=config.security_account_id,
        exempt_patterns={
            "canary": CANARY_ROLES,
            "stackset": STACKSET_ROLES,
            "break-glass": config.break_glass_principal_arns,
            "admin": config.admin_principal_arns,
            "automation": config.guardrail_automation_arns,
        },
    )
    return exempt, (*guardrail_admins, *config.admin_principal_arns), base


if __name__ == "__main__":
    sys.exit(main())
