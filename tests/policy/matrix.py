"""The policy evaluation matrix: principals x requests, each cell with its expected decision and
the reason it holds. README's policy tables point at its rows (``principal`` / ``request``).

The expected decisions are written from the product's promises and the configuration's
exemptions, not derived from the policies; ``tests/test_policy_matrix.py`` evaluates the policies
read back from the synthesized templates with a real IAM engine and compares. Attack chains
(``chains.py``) and catalog sweeps (``sweep.py``) carry the proof further.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from constructs_lib.naming import PROTECTED_TAG_KEY, PROTECTED_TAG_VALUE
from tests.policy.policies import Request
from tests.policy.principals import ARN, MEMBER, Exempt, Principal

FORCE_MFA_ARN = f"{ARN}:policy/mfa-guardrails-force-mfa"
ALERT_KEY = f"arn:aws:kms:us-east-1:{MEMBER}:key/0a1b2c3d-1111-2222-3333-444455556666"
# A Config rule of ours (tagged at deploy time: constructs_lib/rule_tags), and a team's own.
OUR_RULE = f"arn:aws:config:us-east-1:{MEMBER}:config-rule/config-rule-0a1b2c"
OUR_RULE_TAGS: dict[str, str | list[str]] = {
    f"aws:ResourceTag/{PROTECTED_TAG_KEY}": PROTECTED_TAG_VALUE
}
TEAM_RULE = f"arn:aws:config:us-east-1:{MEMBER}:config-rule/config-rule-7e7e7e"


@dataclass(frozen=True)
class NamedRequest:
    name: str
    request: Request
    target: str = "any"  # "own-user": the caller's own user (users only); "root": root only
    groups: frozenset[str] = field(default_factory=frozenset)


def _r(name: str, action: str, resource: str = "*", *groups: str, target: str = "any",
       context: dict[str, str | list[str]] | None = None) -> NamedRequest:  # fmt: skip
    return NamedRequest(name, Request(action, resource, context or {}), target, frozenset(groups))


OWN = "{own}"  # replaced by the caller's own user ARN
ACCT = f"arn:aws:account::{MEMBER}:account"
EVENTS = f"arn:aws:events:us-east-1:{MEMBER}"
REQUESTS = (
    _r("create-virtual-device", "iam:CreateVirtualMFADevice", f"{ARN}:mfa/alice-phone",
       "console-bootstrap", "root-self"),
    _r("enable-own-device", "iam:EnableMFADevice", OWN, "console-bootstrap", target="own-user"),
    _r("resync-own-device", "iam:ResyncMFADevice", OWN, "console-bootstrap", target="own-user"),
    _r("change-own-password", "iam:ChangePassword", OWN, "console-bootstrap", target="own-user"),
    _r("get-own-user", "iam:GetUser", OWN, "console-bootstrap", "keys-bootstrap",
       target="own-user"),
    _r("list-own-devices", "iam:ListMFADevices", OWN, "console-bootstrap", "keys-bootstrap",
       target="own-user"),
    # Enrolling a security key reads the new device back (AWS's self-manage-MFA example).
    _r("get-own-device", "iam:GetMFADevice", OWN, "console-bootstrap", "keys-bootstrap",
       target="own-user"),
    _r("deactivate-own-device", "iam:DeactivateMFADevice", OWN, "own-removal",
       target="own-user"),
    _r("list-virtual-devices", "iam:ListVirtualMFADevices", "*", "console-bootstrap",
       "keys-bootstrap", "root-self"),
    _r("get-session-token", "sts:GetSessionToken", "*", "console-bootstrap", "keys-bootstrap"),
    _r("enable-root-device", "iam:EnableMFADevice", "*", "root-self", target="root"),
    _r("deactivate-root-device", "iam:DeactivateMFADevice", "*", "root-self",
       target="root"),
    _r("enable-device-on-other-user", "iam:EnableMFADevice", f"{ARN}:user/bob", "others-enrol"),
    _r("resync-other-users-device", "iam:ResyncMFADevice", f"{ARN}:user/bob", "others-enrol"),
    _r("deactivate-other-users-device", "iam:DeactivateMFADevice", f"{ARN}:user/bob",
       "others-device", "removal"),
    _r("deactivate-device-of-user-with-path", "iam:DeactivateMFADevice",
       f"{ARN}:user/eng/carol", "others-device", "removal"),
    _r("delete-virtual-device", "iam:DeleteVirtualMFADevice", f"{ARN}:mfa/bob-phone", "removal",
       "root-self"),
    _r("get-other-user", "iam:GetUser", f"{ARN}:user/bob", "others-read"),
    _r("get-account-summary", "iam:GetAccountSummary", "*", "root-self"),
    _r("list-buckets", "s3:ListAllMyBuckets"),
    _r("run-instances", "ec2:RunInstances", f"arn:aws:ec2:us-east-1:{MEMBER}:instance/*"),
    _r("put-contact-information", "account:PutContactInformation", ACCT, "contact"),
    _r("put-alternate-contact", "account:PutAlternateContact", ACCT, "contact"),
    _r("delete-alternate-contact", "account:DeleteAlternateContact", ACCT, "contact"),
    _r("start-primary-email-update", "account:StartPrimaryEmailUpdate", "*", "contact"),
    _r("accept-primary-email-update", "account:AcceptPrimaryEmailUpdate", "*", "contact"),
    _r("disable-alert-rule", "events:DisableRule",
       f"{EVENTS}:rule/mfa-guardrails-mfa-device-deactivated", "guardrail"),
    _r("disable-forwarding-rule", "events:DisableRule",
       f"{EVENTS}:rule/mfa-guardrails-forward-mfa-removed", "guardrail"),
    _r("remove-central-alert-target", "events:RemoveTargets",
       f"{EVENTS}:rule/mfa-guardrails-central/mfa-guardrails-mfa-removed", "guardrail"),
    _r("put-team-rule", "events:PutRule", f"{EVENTS}:rule/team-rule"),
    _r("update-notifier-code", "lambda:UpdateFunctionCode",
       f"arn:aws:lambda:us-east-1:{MEMBER}:function:mfa-guardrails-notifier", "guardrail"),
    _r("throttle-notifier-to-zero", "lambda:PutFunctionConcurrency",
       f"arn:aws:lambda:us-east-1:{MEMBER}:function:mfa-guardrails-notifier", "guardrail"),
    _r("delete-alert-topic", "sns:DeleteTopic",
       f"arn:aws:sns:us-east-1:{MEMBER}:mfa-guardrails-alerts", "guardrail"),
    _r("purge-dead-letters", "sqs:PurgeQueue",
       f"arn:aws:sqs:us-east-1:{MEMBER}:mfa-guardrails-forward-dead-letters", "guardrail"),
    _r("schedule-alert-key-deletion", "kms:ScheduleKeyDeletion", ALERT_KEY, "guardrail",
       context={"kms:ResourceAliases": ["alias/mfa-guardrails-alerting"]}),
    _r("new-force-mfa-policy-version", "iam:CreatePolicyVersion", FORCE_MFA_ARN, "guardrail"),
    _r("detach-mfa-required-group-policy", "iam:DetachGroupPolicy", f"{ARN}:group/MfaRequired",
       "guardrail", context={"iam:PolicyARN": FORCE_MFA_ARN}),
    _r("remove-user-from-mfa-required", "iam:RemoveUserFromGroup", f"{ARN}:group/MfaRequired",
       "guardrail"),
    _r("rename-mfa-required-group", "iam:UpdateGroup", f"{ARN}:group/MfaRequired", "guardrail"),
    _r("detach-force-mfa-from-configured-group", "iam:DetachGroupPolicy",
       f"{ARN}:group/Developers", "guardrail", context={"iam:PolicyARN": FORCE_MFA_ARN}),
    _r("detach-force-mfa-from-configured-role", "iam:DetachRolePolicy",
       f"{ARN}:role/ConsoleUsers", "guardrail", context={"iam:PolicyARN": FORCE_MFA_ARN}),
    _r("detach-other-policy-from-configured-group", "iam:DetachGroupPolicy",
       f"{ARN}:group/Developers",
       context={"iam:PolicyARN": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
    _r("deny-policy-on-forwarding-role", "iam:PutRolePolicy",
       f"{ARN}:role/mfa-guardrails-forward-us-east-1", "guardrail"),
    _r("delete-forwarding-role", "iam:DeleteRole", f"{ARN}:role/mfa-guardrails-forward-us-east-1",
       "guardrail"),
    _r("create-stacksets-exec-named-role", "iam:CreateRole", f"{ARN}:role/stacksets-exec-anything",
       "guardrail"),
    _r("create-break-glass-named-role", "iam:CreateRole", f"{ARN}:role/BreakGlassAdmin",
       "guardrail"),
    _r("update-break-glass-trust", "iam:UpdateAssumeRolePolicy", f"{ARN}:role/BreakGlassAdmin",
       "guardrail"),
    _r("pass-break-glass-role", "iam:PassRole", f"{ARN}:role/BreakGlassAdmin", "guardrail"),
    _r("create-break-glass-user-access-key", "iam:CreateAccessKey", f"{ARN}:user/break-glass",
       "guardrail"),
    _r("create-role-under-identity-center-path", "iam:CreateRole",
       f"{ARN}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_ffffffffffffffff",
       "guardrail", "aws-reserved"),
    _r("assume-break-glass-role", "sts:AssumeRole", f"{ARN}:role/BreakGlassAdmin"),
    _r("create-team-role", "iam:CreateRole", f"{ARN}:role/team-app"),
    _r("put-config-rule", "config:PutConfigRule", OUR_RULE, "guardrail", context=OUR_RULE_TAGS),
    _r("delete-config-rule", "config:DeleteConfigRule", OUR_RULE, "guardrail",
       context=OUR_RULE_TAGS),
    _r("untag-config-rule", "config:UntagResource", OUR_RULE, "guardrail",
       context={**OUR_RULE_TAGS, "aws:TagKeys": [PROTECTED_TAG_KEY]}),
    _r("retag-config-rule", "config:TagResource", OUR_RULE, "guardrail",
       context={**OUR_RULE_TAGS, "aws:TagKeys": [PROTECTED_TAG_KEY]}),
    _r("delete-team-config-rule", "config:DeleteConfigRule", TEAM_RULE),
    _r("put-team-config-rule", "config:PutConfigRule", TEAM_RULE),
    _r("delete-config-service-linked-role", "iam:DeleteServiceLinkedRole",
       f"{ARN}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig", "guardrail"),
    _r("stop-config-recorder", "config:StopConfigurationRecorder",
       f"arn:aws:config:us-east-1:{MEMBER}:configuration-recorder/default/abc", "guardrail"),
    _r("put-config-recorder", "config:PutConfigurationRecorder",
       f"arn:aws:config:us-east-1:{MEMBER}:configuration-recorder/default/abc", "guardrail"),
    _r("delete-delivery-channel", "config:DeleteDeliveryChannel", "*", "guardrail"),
    _r("put-evaluations", "config:PutEvaluations"),
    _r("stop-trail-logging", "cloudtrail:StopLogging",
       f"arn:aws:cloudtrail:us-east-1:{MEMBER}:trail/org-trail", "guardrail"),
    _r("narrow-trail-event-selectors", "cloudtrail:PutEventSelectors",
       f"arn:aws:cloudtrail:us-east-1:{MEMBER}:trail/org-trail", "guardrail"),
    _r("start-trail-logging", "cloudtrail:StartLogging",
       f"arn:aws:cloudtrail:us-east-1:{MEMBER}:trail/org-trail"),
    _r("leave-organization", "organizations:LeaveOrganization", "*", "guardrail"),
    _r("write-heartbeat", "iam:TagRole", f"{ARN}:role/mfa-guardrails-canary", "heartbeat",
       "guardrail"),
    _r("tag-notifier-role", "iam:TagRole", f"{ARN}:role/mfa-guardrails-notifier", "guardrail"),
    _r("tag-team-role", "iam:TagRole", f"{ARN}:role/team-app"),
)  # fmt: skip

# What a Force-MFA holder that is an IAM user may do without MFA, by how it signed in.
CONSOLE_BOOTSTRAP = "console-bootstrap"  # aws:MultiFactorAuthPresent present and false
KEYS_BOOTSTRAP = "keys-bootstrap"  # the key absent: long-term access keys


@dataclass(frozen=True)
class Cell:
    principal: Principal
    named: NamedRequest
    allowed: bool
    reason: str

    @property
    def id(self) -> str:
        return f"{self.principal.name}:{self.named.name}"

    @property
    def request(self) -> Request:
        return self.named.request


def expected(p: Principal, r: NamedRequest, exempt: Exempt) -> tuple[bool, str]:
    """The promise each cell checks, in the order the policies apply."""
    groups = r.groups
    if "aws-reserved" in groups:
        return False, "AWS lets only Identity Center create or change roles under aws-reserved/"
    if p.kind == "root" and not p.assumed_root:
        if "root-self" in groups:
            return True, "root lock-down leaves root its own MFA devices (recovery, root-MFA fix)"
        return False, "root lock-down: a member's root user manages its own MFA devices only"
    if p.force_mfa and p.mfa != "true":
        if p.kind != "user":
            return False, "Force-MFA: a holder that is not an IAM user gets nothing without MFA"
        bootstrap = CONSOLE_BOOTSTRAP if p.mfa == "false" else KEYS_BOOTSTRAP
        if bootstrap not in groups:
            return False, (
                "Force-MFA: without MFA only the bootstrap set; long-term keys never enrol"
                if CONSOLE_BOOTSTRAP in groups else "Force-MFA: everything else needs MFA"
            )
        return True, f"Force-MFA {bootstrap}: what a first device or an MFA session needs"
    if exempt.canary(p):
        if "heartbeat" in groups and r.request.resource == p.arn:
            return True, "the canary tags its own role: the heartbeat"
        return False, "guardrail protection: the canary role does nothing but its heartbeat"
    if not p.allow_all:
        if CONSOLE_BOOTSTRAP in groups or "own-removal" in groups:
            return True, "Force-MFA grants self-service on one's own user"
        return False, "Force-MFA grants nothing else"
    device_admin = exempt.device_and_contact_admin(p)
    if "others-enrol" in groups:
        return False, "MFA-device protection: nobody enrols a device on another user"
    if "others-device" in groups and not device_admin:
        return False, "MFA-device protection: only admins change another user's devices"
    if ("removal" in groups or "own-removal" in groups) and p.mfa != "true" and not (
        device_admin or p.kind == "root"
    ):
        return False, "MFA-device protection: removing a device needs MFA"
    if "contact" in groups and not device_admin:
        return False, "recovery-contact protection: only admins change the root recovery path"
    if "guardrail" in groups and not exempt.guardrail_admin(p):
        return False, "guardrail protection: only StackSets, automation and break-glass"
    return True, "no guardrail applies: identity policy allows"


def applies(p: Principal, r: NamedRequest) -> bool:
    if r.target == "own-user":
        return p.kind == "user"
    if r.target == "root":
        return p.kind == "root"
    return True


def bind(p: Principal, r: NamedRequest) -> NamedRequest:
    """The request as this caller makes it: its own user filled in, a request on another user
    that happens to be the caller's own counted as such, and a principal of another account
    (the security account) acting on its own account's resources."""
    resource = p.arn if r.request.resource == OWN else r.request.resource
    groups = r.groups
    if resource == p.arn and "others-device" in groups:
        groups = frozenset({"own-removal"})
    request = Request(r.request.action, p.own_account(resource), r.request.context, p.account)
    return NamedRequest(r.name, request, r.target, groups)


def cells(principals: list[Principal], exempt: Exempt) -> list[Cell]:
    return [
        Cell(p, bound, *expected(p, bound, exempt))
        for p in principals
        for r in REQUESTS
        if applies(p, r)
        for bound in [bind(p, r)]
    ]
