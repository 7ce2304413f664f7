"""Attack chains: multi-step scenarios whose steps feed each other, written from the attacker's
side, each naming the step where the guardrails stop it. And lock-out chains (runbooks): what the
guardrails must never stop, each step of which must be allowed.

Steps are evaluated one by one in the real engine; a chain holds when its first denied step is
the one it names (``stopped_at``; None: every step allowed).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from constructs_lib.naming import PROTECTED_TAG_KEY
from tests.policy.engine import Engine
from tests.policy.matrix import ALERT_KEY, FORCE_MFA_ARN, OUR_RULE, OUR_RULE_TAGS, TEAM_RULE
from tests.policy.policies import PolicySet, Request
from tests.policy.principals import (
    ARN,
    DELEGATED_ADMIN,
    MEMBER,
    MEMBER_OU,
    SSO_SUFFIX,
    Principal,
)
from tests.policy.principals import (
    SECURITY as SEC,
)

EVENTS = f"arn:aws:events:us-east-1:{MEMBER}"
NOTIFIER = "function:mfa-guardrails-notifier"


@dataclass(frozen=True)
class Step:
    actor: Principal
    request: Request
    gains: str  # what the step would give the attacker, or what the runbook step does
    # AWS itself refuses this step, whatever the policies say (the reason, with its source).
    refused_by_aws: str = ""


@dataclass(frozen=True)
class Chain:
    name: str
    story: str
    steps: tuple[Step, ...]
    stopped_at: int | None


def _user(name: str, path: str = "") -> Principal:
    return Principal(f"user:{path}{name}", f"{ARN}:user/{path}{name}", "user", username=name,
                     force_mfa=True)  # fmt: skip


def _role(
    name: str, *, force_mfa: bool = False, account: str = MEMBER, in_target_ou: bool | None = None
) -> Principal:
    """A role; by default, a member's sits in a target OU and the security account in none
    (``in_target_ou`` says otherwise: the security account may sit in a target OU too)."""
    arn = f"arn:aws:iam::{account}:role/{name}"
    inside = account == MEMBER if in_target_ou is None else in_target_ou
    ou = MEMBER_OU if inside else None
    return Principal(f"role:{name}", arn, "role", force_mfa=force_mfa, account=account, ou=ou)


def _keys(p: Principal) -> Principal:
    """The same identity, calling with its long-term access keys (no MFA key at all)."""
    return replace(p, name=f"{p.name}[keys]", mfa=None)


def _mfa_session(p: Principal) -> Principal:
    """What sts:GetSessionToken with a device's code returns: MFA present and true."""
    return replace(p, name=f"{p.name}[mfa-session]", mfa="true")


def _console(p: Principal, mfa: str = "false") -> Principal:
    return replace(p, name=f"{p.name}[console]", mfa=mfa)


def _session(p: Principal, mfa: str | None = None) -> Principal:
    return replace(p, name=f"{p.name}[session]", mfa=mfa)


def _stolen_keys_chain(victim: Principal) -> Chain:
    own = victim.arn
    keys = _keys(victim)
    attacker = _mfa_session(victim)
    return Chain(
        f"stolen-keys-enrol-second-device:{victim.arn.split('user/')[1]}",
        "Stolen long-term keys of a user who already has a device: enrol a second device, "
        "exchange it for an MFA session, remove the real device, mint new keys.",
        (
            Step(keys, Request("iam:ListMFADevices", own), "sees the victim's devices"),
            Step(keys, Request("iam:CreateVirtualMFADevice", f"{ARN}:mfa/attacker-phone"),
                 "a device the attacker holds"),
            Step(keys, Request("iam:EnableMFADevice", own), "a second device on the victim"),
            Step(keys, Request("sts:GetSessionToken"), "an MFA session from keys + that device"),
            Step(attacker, Request("iam:DeactivateMFADevice", own), "the real device is gone"),
            Step(attacker, Request("iam:CreateAccessKey", own), "keys the victim does not know"),
        ),
        stopped_at=1,
    )  # fmt: skip


def attack_chains() -> list[Chain]:
    alice, carol = _user("alice"), _user("carol", "eng/")
    developer = _session(_role("Developer"))
    squatter = _session(_role("stacksets-exec-anything"))
    console_users = _session(_role("ConsoleUsers", force_mfa=True), "false")
    root_alt = Principal("root[alternative-factors]", f"{ARN}:root", "root", mfa=None)
    security = _session(_role("Developer", account=SEC))
    sso_admin = replace(_session(_role("x"), "false"), name="sso-admin",
                        arn=f"{ARN}:role/aws-reserved/sso.amazonaws.com/eu-west-1/"
                        "AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b")  # fmt: skip
    forwarding_role = f"{ARN}:role/mfa-guardrails-forward-us-east-1"
    canary = _session(_role("mfa-guardrails-canary"))
    return [
        _stolen_keys_chain(alice),
        _stolen_keys_chain(carol),
        Chain(
            "stolen-keys-session-token-then-enrol",
            "Stolen keys of a user without a device: a session token without MFA looks like a "
            "console session (MFA present, false), so enrol through it. AWS refuses every IAM call "
            "from GetSessionToken credentials obtained without MFA; the policy stops it earlier "
            "for keys used directly.",
            (
                Step(_keys(alice), Request("sts:GetSessionToken"), "a session (MFA false)"),
                Step(_session(alice, "false"), Request("iam:CreateVirtualMFADevice",
                     f"{ARN}:mfa/attacker-phone"), "a first device",
                     refused_by_aws="credentials from GetSessionToken without MFA cannot call "
                     "IAM APIs (STS API reference, GetSessionToken)"),
                Step(_keys(alice), Request("iam:CreateVirtualMFADevice",
                                           f"{ARN}:mfa/attacker-phone"), "the same, with keys"),
            ),
            stopped_at=1,
        ),
        Chain(
            "squat-exempt-role-name",
            "A member role without MFA creates a role whose name an exemption matches, then "
            "uses it to silence the alerts.",
            (
                Step(developer, Request("iam:CreateRole", f"{ARN}:role/stacksets-exec-anything"),
                     "a role the guardrail SCP exempts"),
                Step(developer, Request("sts:AssumeRole", f"{ARN}:role/stacksets-exec-anything"),
                     "acts as the exempt role"),
                Step(squatter, Request("events:DeleteRule",
                                       f"{EVENTS}:rule/mfa-guardrails-forward-mfa-removed"),
                     "the forwarding rule is gone"),
            ),
            stopped_at=0,
        ),
        Chain(
            "squat-break-glass-name",
            "In an account that lacks it, create the break-glass role, then assume it.",
            (
                Step(developer, Request("iam:CreateRole", f"{ARN}:role/BreakGlassAdmin"),
                     "a role named like break-glass"),
                Step(developer, Request("iam:PutRolePolicy", f"{ARN}:role/BreakGlassAdmin"),
                     "gives it admin"),
            ),
            stopped_at=0,
        ),
        Chain(
            "take-over-break-glass",
            "Change the trust policy of the existing break-glass role, then assume it.",
            (
                Step(developer, Request("iam:GetRole", f"{ARN}:role/BreakGlassAdmin"),
                     "reads the role"),
                Step(developer, Request("iam:UpdateAssumeRolePolicy",
                                        f"{ARN}:role/BreakGlassAdmin"), "trusts the attacker"),
            ),
            stopped_at=1,
        ),
        Chain(
            "run-code-as-break-glass",
            "Pass the break-glass role to a new Lambda function and run code as it.",
            (
                Step(developer, Request("lambda:CreateFunction",
                                        f"arn:aws:lambda:us-east-1:{MEMBER}:function:evil"),
                     "a function"),
                Step(developer, Request("iam:PassRole", f"{ARN}:role/BreakGlassAdmin",
                                        {"iam:PassedToService": "lambda.amazonaws.com"}),
                     "running as break-glass"),
            ),
            stopped_at=1,
        ),
        Chain(
            "take-over-break-glass-user",
            "Give the break-glass user keys, a password or a device the attacker holds.",
            (
                Step(developer, Request("iam:CreateAccessKey", f"{ARN}:user/break-glass"), "keys"),
            ),
            stopped_at=0,
        ),
        Chain(
            "rename-then-detach",
            "Rename the MfaRequired group so its name is no longer protected, then detach.",
            (
                Step(developer, Request("iam:UpdateGroup", f"{ARN}:group/MfaRequired"),
                     "the group is now 'Staff'"),
                Step(developer, Request("iam:DetachGroupPolicy", f"{ARN}:group/Staff",
                                        {"iam:PolicyARN": FORCE_MFA_ARN}), "Force-MFA is off"),
            ),
            stopped_at=0,
        ),
        Chain(
            "remove-victim-from-group",
            "Take the victim out of MfaRequired, then use the stolen keys freely.",
            (Step(developer, Request("iam:RemoveUserFromGroup", f"{ARN}:group/MfaRequired"),
                  "the victim is no longer forced to MFA"),),
            stopped_at=0,
        ),
        Chain(
            "detach-force-mfa-from-configured-group",
            "Detach Force-MFA from a configured group (a name the product does not own).",
            (Step(developer, Request("iam:DetachGroupPolicy", f"{ARN}:group/Developers",
                                     {"iam:PolicyARN": FORCE_MFA_ARN}), "Force-MFA is off"),),
            stopped_at=0,
        ),
        Chain(
            "break-the-forwarding-role",
            "Deny the forwarding role its PutEvents, or delete it: events stop leaving.",
            (
                Step(developer, Request("iam:PutRolePolicy", forwarding_role), "forwarding fails"),
                Step(developer, Request("iam:DeleteRole", forwarding_role), "forwarding is gone"),
            ),
            stopped_at=0,
        ),
        Chain(
            "blind-the-lifeline",
            "Stop the trail (no CloudTrail event reaches EventBridge), then act unseen.",
            (
                Step(developer, Request("cloudtrail:StopLogging",
                                        f"arn:aws:cloudtrail:us-east-1:{MEMBER}:trail/org-trail"),
                     "no more events"),
                Step(developer, Request("iam:DeactivateMFADevice", f"{ARN}:user/bob"),
                     "unseen"),
            ),
            stopped_at=0,
        ),
        Chain(
            "blind-config",
            "Overwrite an MFA Config rule, then stop the recorder.",
            (
                Step(developer, Request("config:PutConfigRule", OUR_RULE, OUR_RULE_TAGS),
                     "the rule checks nothing"),
                Step(developer, Request("config:PutConfigurationRecorder",
                     f"arn:aws:config:us-east-1:{MEMBER}:configuration-recorder/default/abc"),
                     "records nothing"),
            ),
            stopped_at=0,
        ),
        Chain(
            "silence-the-notifier",
            "Set the notifier's concurrency to zero: no alert is ever sent.",
            (Step(developer, Request("lambda:PutFunctionConcurrency",
                                     f"arn:aws:lambda:us-east-1:{MEMBER}:{NOTIFIER}"),
                  "no alert is ever sent"),),
            stopped_at=0,
        ),
        Chain(
            "delete-the-alert-key",
            "Schedule the alerting key for deletion (its ARN carries no name), then the topics "
            "and queues can no longer encrypt.",
            (
                Step(developer, Request("kms:DescribeKey", ALERT_KEY,
                     {"kms:ResourceAliases": ["alias/mfa-guardrails-alerting"]}), "finds it"),
                Step(developer, Request("kms:ScheduleKeyDeletion", ALERT_KEY,
                     {"kms:ResourceAliases": ["alias/mfa-guardrails-alerting"]}),
                     "topics cannot encrypt"),
            ),
            stopped_at=1,
        ),
        Chain(
            "leave-the-organization",
            "Leave the organization: every SCP is gone at once.",
            (Step(developer, Request("organizations:LeaveOrganization"), "no SCP applies"),),
            stopped_at=0,
        ),
        Chain(
            "force-mfa-role-enrols-on-a-user",
            "A role holding Force-MFA (attach-to-role-names), without MFA: aws:username is "
            "absent for it, so enrol a device on someone else, then remove theirs.",
            (
                Step(console_users, Request("iam:CreateVirtualMFADevice",
                                            f"{ARN}:mfa/attacker-phone"), "a device"),
                Step(console_users, Request("iam:EnableMFADevice", f"{ARN}:user/bob"),
                     "on bob's user"),
            ),
            stopped_at=0,
        ),
        Chain(
            "root-alternative-factors-on-users",
            "Root signed in with alternative factors (no MFA) enrols a device on an IAM user.",
            (
                Step(root_alt, Request("iam:DeactivateMFADevice", "*"),
                     "its own lost device: allowed"),
                Step(root_alt, Request("iam:EnableMFADevice", f"{ARN}:user/bob"),
                     "a device on bob"),
            ),
            stopped_at=1,
        ),
        Chain(
            "security-account-changes-member-contacts",
            "The Account Management delegated administrator changes a member's recovery e-mail.",
            (
                Step(security, Request("account:StartPrimaryEmailUpdate",
                     f"arn:aws:account::222222222222:account/o-a1b2c3d4e5/{MEMBER}",
                     account="222222222222"), "the root recovery e-mail"),
                Step(security, Request("account:PutContactInformation",
                     f"arn:aws:account::222222222222:account/o-a1b2c3d4e5/{MEMBER}",
                     account="222222222222"), "the recovery phone"),
            ),
            stopped_at=0,
        ),
        Chain(
            "security-account-silences-alerting",
            "A principal of the security account changes the central alerting itself.",
            (Step(security, Request("lambda:UpdateFunctionCode",
                  f"arn:aws:lambda:us-east-1:222222222222:{NOTIFIER}", account="222222222222"),
                  "the notifier drops alerts"),),
            stopped_at=0,
        ),
        Chain(
            "delete-the-security-stack",
            "Delete or update the alerting stack: CloudFormation reuses the stack's stored "
            "(exempt) CDK execution role, so the caller needs no PassRole.",
            (Step(security, Request("cloudformation:DeleteStack",
                  f"arn:aws:cloudformation:us-east-1:{SEC}:stack/MfaGuardrailsSecurity/0a1b",
                  account=SEC), "the notifier, topics, bus and key are gone"),),
            stopped_at=0,
        ),
        Chain(
            "assume-a-deployment-role",
            "CDK's bootstrap roles trust their whole account: assume the deploy role (or a "
            "member's StackSet execution role), and act as an exempt principal.",
            (
                Step(security, Request("sts:AssumeRole",
                     f"arn:aws:iam::{SEC}:role/cdk-hnb659fds-deploy-role-{SEC}-us-east-1",
                     account=SEC), "an exempt session"),
                Step(developer, Request("sts:AssumeRole",
                     f"{ARN}:role/stacksets-exec-5f2c9d"), "or, in a member, the StackSet's"),
            ),
            stopped_at=0,
        ),
        Chain(
            "replace-the-central-bus-policy",
            "Replace the central bus's resource policy (the API names no bus resource): every "
            "member's forwarded event is refused.",
            (Step(security, Request("events:PutPermission", account=SEC),
                  "forwarding is refused"),),
            stopped_at=0,
        ),
        Chain(
            "mute-the-alarms",
            "Disable the alarms on the dead-letter queues, so undelivered alerts stay unseen.",
            (Step(security, Request("cloudwatch:DisableAlarmActions",
                  f"arn:aws:cloudwatch:us-east-1:{SEC}:alarm:mfa-guardrails-rule-dead-letters",
                  account=SEC), "nobody hears of dead letters"),),
            stopped_at=0,
        ),
        Chain(
            "admin-enrols-own-device-on-a-user",
            "An Identity Center admin (exempt to remove lost devices) enrols its own device on "
            "a user, gives it keys and exchanges them for an MFA session as that user.",
            (
                Step(sso_admin, Request("iam:CreateVirtualMFADevice",
                                        f"{ARN}:mfa/attacker-phone"), "a device"),
                Step(sso_admin, Request("iam:EnableMFADevice", f"{ARN}:user/alice"),
                     "on alice"),
                Step(sso_admin, Request("iam:CreateAccessKey", f"{ARN}:user/alice"), "keys"),
            ),
            stopped_at=1,
        ),
        Chain(
            "borrow-the-canary-role",
            "The canary role is the one non-administrator the guardrail SCP lets change a "
            "protected resource: pass it to a schedule of one's own that calls anything else.",
            (Step(developer, Request("iam:PassRole", f"{ARN}:role/mfa-guardrails-canary"),
                  "the canary's identity for one's own schedule"),),
            stopped_at=0,
        ),
        *(Chain(
            f"canary-role-{name}",
            "Whoever acts as the canary role (a broken identity policy, the worst case: allow "
            "all) gets its heartbeat and nothing more.",
            (Step(canary, request, gains),),
            stopped_at=0,
        ) for name, request, gains in (
            ("widens-itself", Request("iam:PutRolePolicy", canary.arn), "an inline allow-all"),
            ("tags-break-glass", Request("iam:TagRole", f"{ARN}:role/BreakGlassAdmin"),
             "tags on an exempt role"),
            ("tags-another-product-role",
             Request("iam:TagRole", f"{ARN}:role/mfa-guardrails-forward-us-east-1"),
             "tags on the forwarding role"),
            ("disables-an-alert-rule", Request("events:DisableRule",
             f"{EVENTS}:rule/mfa-guardrails-forward-mfa-removed"), "a muted forwarding rule"),
            ("runs-instances", Request("ec2:RunInstances",
             f"arn:aws:ec2:us-east-1:{MEMBER}:instance/*"), "compute"),
            ("untags-itself", Request("iam:UntagRole", canary.arn), "a silenced heartbeat tag"),
        )),
    ]  # fmt: skip


def _one_step(name: str, story: str, actor: Principal, request: Request, gains: str) -> Chain:
    """An attack stopped at its first step: the step is the whole of what it would gain."""
    return Chain(name, story, (Step(actor, request, gains),), stopped_at=0)


def plane_attack_chains(security_account: str = SEC) -> list[Chain]:
    """Attacks from the planes around the guardrails: the product's own runtime identities, the
    security account's admins and CDK bootstrap, delegated administrators, account switches,
    and exemptions broader than they look (README, "Attacks and where they stop").

    A delegated administrator's Organizations calls are evaluated in its own account: the
    management account's delegation policy lets it act (the worst case: delegated for all)."""
    sec = security_account
    sec_admin = _session(_role("Admin", account=sec))
    sec_sso_admin = replace(_session(_role("x", account=sec)), name="security-sso-admin",
                            arn=f"arn:aws:iam::{sec}:role/aws-reserved/sso.amazonaws.com/"
                            f"AWSReservedSSO_AdministratorAccess_{SSO_SUFFIX}")  # fmt: skip
    delegated = _session(_role("Admin", account=DELEGATED_ADMIN, in_target_ou=True))
    developer = _session(_role("Developer"))
    sec_engineer = replace(_session(_role("x", account=sec)), name="security-engineer",
                           arn=f"arn:aws:iam::{sec}:role/aws-reserved/sso.amazonaws.com/"
                           f"AWSReservedSSO_SecurityEngineer_{SSO_SUFFIX}")  # fmt: skip
    lookalike = replace(_session(_role("x")), name="lookalike-permission-set",
                        arn=f"{ARN}:role/aws-reserved/sso.amazonaws.com/eu-west-1/"
                        f"AWSReservedSSO_AdministratorAccess_x_{SSO_SUFFIX}")  # fmt: skip
    # A break-glass user outside MfaRequired: only the SCP holds it to MFA.
    break_glass_keys = Principal("user:break-glass[keys]", f"{ARN}:user/break-glass", "user",
                                 username="break-glass")  # fmt: skip
    head = f"us-east-1:{sec}"
    bucket = f"arn:aws:s3:::cdk-hnb659fds-assets-{sec}-us-east-1"
    scp = ("arn:aws:organizations::111111111111:policy/o-a1b2c3d4e5/service_control_policy/"
           "p-0a1b2c3d")  # fmt: skip
    scp_type = {"organizations:PolicyType": "SERVICE_CONTROL_POLICY"}
    rule_tags = {**OUR_RULE_TAGS, "aws:TagKeys": [PROTECTED_TAG_KEY]}
    return [
        Chain("unmark-then-delete-our-config-rule", "Remove the protection tag from one of our "
              "Config rules (or overwrite it), then delete the rule: the MFA findings stop.", (
            Step(developer, Request("config:UntagResource", OUR_RULE, rule_tags), "unprotected"),
            Step(developer, Request("config:TagResource", OUR_RULE,
                                    {**OUR_RULE_TAGS, "aws:TagKeys": [PROTECTED_TAG_KEY]}),
                 "the tag's value changed"),
            Step(developer, Request("config:DeleteConfigRule", OUR_RULE), "no findings"),
        ), stopped_at=0),
        _one_step("wipe-our-rule-results", "Delete the evaluation results of our rule, so the "
                  "non-compliant users vanish from the report.", sec_admin,
                  Request("config:DeleteEvaluationResults",
                          f"arn:aws:config:{head}:config-rule/config-rule-9f8e", OUR_RULE_TAGS,
                          account=sec), "findings gone"),
        _one_step("delete-configs-service-linked-role", "Delete the role the recorder records "
                  "as: every rule stops evaluating.", developer,
                  Request("iam:DeleteServiceLinkedRole",
                          f"{ARN}:role/aws-service-role/config.amazonaws.com/"
                          "AWSServiceRoleForConfig"), "recorder blind"),
        _one_step("become-a-product-role", "Create a role named like the product's, whose "
                  "grants the SCPs let through.", sec_admin,
                  Request("iam:CreateRole", f"arn:aws:iam::{sec}:role/mfa-guardrails-x",
                          account=sec), "a role the runtime exemption matches"),
        _one_step("pass-the-notifier-role", "Run code of one's own as the notifier's role.",
                  sec_admin, Request("iam:PassRole", f"arn:aws:iam::{sec}:role/"
                                     "mfa-guardrails-notifier", account=sec),
                  "a function acting as the notifier"),
        _one_step("trust-the-reader-role", "Let one's own account assume the readiness reader.",
                  developer, Request("iam:UpdateAssumeRolePolicy",
                                     f"{ARN}:role/mfa-guardrails-readiness-reader"),
                  "the reader's identity"),
        _one_step("act-as-the-readiness-reader", "The security account's Identity Center admin "
                  "(which the reader trusts) acts as the reader in a member: were the reader "
                  "exempt like the runtime roles, any grant it ever gained would be unguarded.",
                  _session(_role("mfa-guardrails-readiness-reader")),
                  Request("cloudtrail:StopLogging", f"arn:aws:cloudtrail:us-east-1:{MEMBER}:"
                          "trail/org-trail"), "the trail stopped"),
        _one_step("replace-the-notifier-code", "Replace the notifier's code.", sec_sso_admin,
                  Request("lambda:UpdateFunctionCode", f"arn:aws:lambda:{head}:{NOTIFIER}",
                          account=sec), "alerts say what the attacker wants"),
        _one_step("forge-a-heartbeat", "Write a heartbeat for a silent account.", sec_sso_admin,
                  Request("dynamodb:PutItem",
                          f"arn:aws:dynamodb:{head}:table/mfa-guardrails-heartbeats",
                          account=sec), "the silence alarm stays quiet"),
        _one_step("delete-the-notifier-logs", "Delete the notifier's log group.", sec_sso_admin,
                  Request("logs:DeleteLogGroup", f"arn:aws:logs:{head}:log-group:/aws/lambda/"
                          "mfa-guardrails-notifier:*", account=sec), "no trace of what it did"),
        _one_step("publish-a-forged-alert", "Publish an alert with phishing 'what to do'.",
                  sec_admin, Request("sns:Publish", f"arn:aws:sns:{head}:mfa-guardrails-alerts",
                                     account=sec), "every recipient reads the forgery"),
        _one_step("inject-a-dead-letter", "Put a crafted event in a dead-letter queue for the "
                  "next replay.", sec_sso_admin, Request(
                      "sqs:SendMessage", f"arn:aws:sqs:{head}:mfa-guardrails-rule-dead-letters",
                      account=sec), "replay --apply delivers it"),
        _one_step("hide-a-dead-letter", "Receive a dead letter under a long visibility timeout.",
                  sec_admin, Request("sqs:ReceiveMessage",
                                     f"arn:aws:sqs:{head}:mfa-guardrails-rule-dead-letters",
                                     account=sec), "an alert nobody sees"),
        _one_step("write-the-silence-metric", "Write the heartbeat monitor's metric.",
                  sec_admin, Request("cloudwatch:PutMetricData",
                                     context={"cloudwatch:namespace": "mfa-guardrails"},
                                     account=sec), "the silence alarm reads the attacker's data"),
        _one_step("plant-a-bootstrap-asset", "Put a template under the next asset's hash in "
                  "the security account's CDK staging bucket: the CLI skips the upload and the "
                  "exempt execution role deploys the plant.", sec_sso_admin,
                  Request("s3:PutObject", f"{bucket}/0a1b2c3d.json", account=sec),
                  "an exempt BreakGlassAdmin in the security account"),
        _one_step("plant-through-an-access-point", "Create an access point on the staging "
                  "bucket, then write through it (another ARN than the bucket's).", sec_admin,
                  Request("s3:CreateAccessPoint", f"arn:aws:s3:us-east-1:{sec}:accesspoint/plant",
                          account=sec), "a way into the bucket"),
        _one_step("open-the-bootstrap-bucket", "Rewrite the staging bucket's policy.",
                  sec_admin, Request("s3:PutBucketPolicy", bucket, account=sec),
                  "anyone may plant"),
        _one_step("assume-the-file-publishing-role", "Upload as the bootstrap's publisher.",
                  sec_sso_admin, Request("sts:AssumeRole", f"arn:aws:iam::{sec}:role/"
                                         f"cdk-hnb659fds-file-publishing-role-{sec}-us-east-1",
                                         account=sec), "the bucket's writer"),
        _one_step("widen-the-lookup-role", "Give the bootstrap's lookup role more rights.",
                  sec_admin, Request("iam:AttachRolePolicy", f"arn:aws:iam::{sec}:role/"
                                     f"cdk-hnb659fds-lookup-role-{sec}-us-east-1", account=sec),
                  "a role every deployer assumes"),
        _one_step("update-the-bootstrap-stack", "Update CDKToolkit with a template of one's own.",
                  sec_admin, Request("cloudformation:UpdateStack",
                                     f"arn:aws:cloudformation:{head}:stack/CDKToolkit/0a1b",
                                     account=sec), "the bootstrap roles' trust"),
        _one_step("detach-an-scp-as-delegated-admin", "A delegated administrator for policy "
                  "management detaches our SCP.", delegated,
                  Request("organizations:DetachPolicy", scp, scp_type, DELEGATED_ADMIN),
                  "no guardrail in the OU"),
        _one_step("rewrite-an-scp-as-delegated-admin", "... or rewrites it.", delegated,
                  Request("organizations:UpdatePolicy", scp, scp_type, DELEGATED_ADMIN),
                  "a guardrail that allows everything"),
        _one_step("attach-a-deny-scp-as-delegated-admin", "... or attaches an SCP of its own "
                  "that denies break-glass everything.", delegated,
                  Request("organizations:AttachPolicy", scp.replace("p-0a1b2c3d", "p-evil"),
                          scp_type, DELEGATED_ADMIN), "break-glass locked out"),
        _one_step("detach-full-aws-access-as-delegated-admin", "... or detaches FullAWSAccess "
                  "from the OU (authorized on the OU).", delegated,
                  Request("organizations:DetachPolicy", "arn:aws:organizations::111111111111:"
                          "ou/o-a1b2c3d4e5/ou-ab12-workload1", scp_type, DELEGATED_ADMIN),
                  "every account of the OU denied everything"),
        _one_step("attach-an-rcp-as-delegated-admin", "... or a resource control policy that "
                  "refuses the alert path's cross-account calls.", delegated,
                  Request("organizations:AttachPolicy", scp.replace("service_control_policy",
                                                                    "resource_control_policy"),
                          {"organizations:PolicyType": "RESOURCE_CONTROL_POLICY"},
                          DELEGATED_ADMIN), "forwarded events refused"),
        _one_step("create-a-stackset-as-delegated-admin", "A delegated administrator for "
                  "StackSets runs a template in every member as the exempt stacksets-exec-*.",
                  sec_admin, Request("cloudformation:CreateStackInstances",
                                     f"arn:aws:cloudformation:{head}:stackset/evil:0a1b",
                                     account=sec), "an exempt identity in every member"),
        _one_step("update-a-stack-deployed-by-cdk", "Update a stack of the security account that "
                  "CDK deployed: CloudFormation reuses its stored, exempt execution role.",
                  sec_admin, Request("cloudformation:UpdateStack",
                                     f"arn:aws:cloudformation:{head}:stack/Team/0a1b",
                                     account=sec), "an exempt BreakGlassAdmin"),
        _one_step("assume-root-from-the-security-account", "Take a member's root session "
                  "(centralized root access) and delete root's MFA device.", sec_admin,
                  # (evaluated in the caller's account: AWS authorizes it by the organization)
                  Request("sts:AssumeRoot", f"arn:aws:iam::{sec}:root", account=sec),
                  "root of any member"),
        _one_step("break-glass-keys-enrol-a-device", "The break-glass user's stolen keys enrol a "
                  "device of their own, then mint an MFA session.", break_glass_keys,
                  Request("iam:CreateVirtualMFADevice", f"{ARN}:mfa/attacker"),
                  "an exempt MFA session"),
        _one_step("disable-the-scp-type", "A delegated administrator disables SCPs.", delegated,
                  Request("organizations:DisablePolicyType",
                          "arn:aws:organizations::111111111111:root/o-a1b2c3d4e5/r-ab12",
                          account=DELEGATED_ADMIN), "every SCP gone"),
        _one_step("refuse-the-trail-its-bucket", "Rewrite the trail bucket's policy so that "
                  "CloudTrail can no longer deliver (lifeline-resource-arns).", developer,
                  Request("s3:PutBucketPolicy", "arn:aws:s3:::acme-org-trail-logs"),
                  "no CloudTrail event, no alert"),
        _one_step("disable-the-trail-key", "Disable the trail's KMS key.", sec_admin,
                  Request("kms:DisableKey", f"arn:aws:kms:us-east-1:{sec}:key/1234abcd-12ab-34cd-"
                          "56ef-1234567890ab", account=sec), "the trail stops delivering"),
        _one_step("break-the-recorder-role", "Make the Config recorder's role untrusted.",
                  developer, Request("iam:UpdateAssumeRolePolicy",
                                     f"{ARN}:role/aws-controltower-ConfigRecorderRole"),
                  "no Config rule evaluates"),
        _one_step("rewrite-the-identity-center-saml-provider", "Rewrite Identity Center's SAML "
                  "provider in the account, then sign in as the exempt admin role with a forged "
                  "assertion.", developer,
                  Request("iam:UpdateSAMLProvider", f"{ARN}:saml-provider/"
                          "AWSSSO_0a1b2c3d4e5f6a7b_DO_NOT_DELETE"), "the exempt admin role"),
        _one_step("mask-every-log-group", "Put an account-wide log policy over the notifier's "
                  "logs.", developer, Request("logs:PutAccountPolicy"), "logs masked or copied"),
        _one_step("restrict-console-sign-in", "Restrict console sign-in to one's own network "
                  "(root and break-glass included).", developer,
                  Request("signin:PutResourcePermissionStatement"), "nobody else signs in"),
        _one_step("enable-an-unwatched-region", "Enable an opt-in region without forwarding.",
                  developer, Request("account:EnableRegion",
                                     f"arn:aws:account::{MEMBER}:account",
                                     {"account:TargetRegion": "me-central-1"}),
                  "sign-ins nobody watches"),
        _one_step("re-encrypt-the-default-bus", "Re-encrypt the default bus with a key one then "
                  "disables.", developer, Request("events:UpdateEventBus",
                                                  f"{EVENTS}:event-bus/default"),
                  "every rule stops matching"),
        _one_step("lookalike-permission-set", "An Identity Center delegated administrator makes "
                  "a permission set AdministratorAccess_x; its role removes a user's device.",
                  lookalike, Request("iam:DeactivateMFADevice", f"{ARN}:user/bob"),
                  "the victim's device is gone"),
        _one_step("replay-an-old-run-into-the-report", "An admin (who may replay dead letters "
                  "into the notifier) invokes the organization readiness report with an old run's "
                  "results: today's findings are archived.", sec_sso_admin,
                  Request("lambda:InvokeFunction", f"arn:aws:lambda:{head}:function:"
                          "mfa-guardrails-org-readiness-report", account=sec),
                  "findings cleared until the next run"),
        _one_step("invoke-a-function-of-ours-by-its-version", "The same admin invokes the "
                  "heartbeat monitor by a version ($LATEST): a qualified call is authorized on "
                  "the function's ARN with its qualifier.", sec_sso_admin,
                  Request("lambda:InvokeFunction", f"arn:aws:lambda:{head}:function:"
                          "mfa-guardrails-heartbeat-monitor:$LATEST", account=sec),
                  "a silence report of one's own"),
        _one_step("feed-the-notifier-a-queue", "Point the notifier at a queue of one's own: "
                  "it publishes the queue's messages as alerts.", sec_engineer,
                  Request("lambda:CreateEventSourceMapping", context={
                      "lambda:FunctionArn": f"arn:aws:lambda:{head}:function:"
                                            "mfa-guardrails-notifier"}, account=sec),
                  "phishing text in the alert stream"),
        Chain("identity-center-mfa-off-from-its-delegated-administrator", "Turn Identity "
              "Center's MFA off, or bring an identity provider of one's own, or reset an "
              "admin's e-mail: every user, exempt admins included, then signs in without MFA.", (
            Step(sec_engineer, Request("sso:UpdateSSOConfiguration", account=sec), "MFA off"),
            Step(sec_engineer, Request("sso-directory:CreateExternalIdPConfigurationForDirectory",
                                       account=sec), "an IdP of one's own"),
            Step(sec_engineer, Request("identitystore:UpdateUser",
                                       "arn:aws:identitystore::222222222222:identitystore/"
                                       "d-1234567890", account=sec), "the reset mail goes out"),
        ), stopped_at=0),
        _one_step("assign-oneself-the-exempt-permission-set", "A permission set of no exemption, "
                  "in Identity Center's delegated administrator, assigns itself "
                  "AdministratorAccess: exempt from then on.", sec_engineer,
                  Request("sso:CreateAccountAssignment", f"arn:aws:sso:::account/{MEMBER}",
                          account=sec), "an exempt admin"),
        _one_step("register-a-device-on-another-identity-center-user", "Even an admin registers "
                  "a device of its own on someone else's Identity Center user.", sec_sso_admin,
                  Request("sso-directory:StartVirtualMfaDeviceRegistration", account=sec),
                  "the victim's MFA is the attacker's"),
        _one_step("security-runtime-name-in-a-member", "A role named like the security "
                  "account's notifier, made in a member before it joined a target OU, acts as "
                  "exempt.", _session(_role("mfa-guardrails-notifier")),
                  Request("cloudtrail:StopLogging",
                          f"arn:aws:cloudtrail:us-east-1:{MEMBER}:trail/org-trail"),
                  "the trail stops"),
        Chain("identity-center-plane-from-its-delegated-administrator", "From a covered "
              "account that administers Identity Center, a permission set of no exemption "
              "removes a user's MFA device, resets the password, then lets passwords alone in.", (
            Step(sec_engineer, Request("sso-directory:DeleteMfaDeviceForUser", account=sec),
                 "the victim's device is gone"),
            Step(sec_engineer, Request("sso-directory:UpdatePassword", account=sec),
                 "the victim's password is known"),
            Step(sec_engineer, Request("sso:PutMfaDeviceManagementForDirectory", account=sec),
                 "MFA no longer asked"),
        ), stopped_at=0),
        _one_step("root-deletes-users-keys", "Root, in with alternative factors (a stolen "
                  "mailbox), deletes the access keys of the account's automation users.",
                  Principal("root[alternative-factors]", f"{ARN}:root", "root", mfa=None),
                  Request("iam:DeleteAccessKey", f"{ARN}:user/ci-bot"), "the pipelines stop"),
        _one_step("permission-set-named-like-the-role-prefix", "An Identity Center "
                  "administrator names a permission set AWSReservedSSO_AdministratorAccess: its "
                  "role, AWSReservedSSO_AWSReservedSSO_AdministratorAccess_<suffix>, ends like "
                  "the exempt one and removes a user's device.",
                  replace(lookalike, name="prefix-lookalike", arn=f"{ARN}:role/aws-reserved/"
                          "sso.amazonaws.com/eu-west-1/AWSReservedSSO_AWSReservedSSO_"
                          f"AdministratorAccess_{SSO_SUFFIX}"),
                  Request("iam:DeactivateMFADevice", f"{ARN}:user/bob"),
                  "the victim's device is gone"),
        _one_step("squat-break-glass-under-a-path", "Create BreakGlassAdmin under another path: "
                  "the real one can then never be created.", developer,
                  Request("iam:CreateRole", f"{ARN}:role/evil/BreakGlassAdmin"),
                  "break-glass impossible to create"),
        _one_step("break-glass-user-without-mfa", "The break-glass user's stolen keys, without "
                  "MFA, change the break-glass role's trust.", break_glass_keys,
                  Request("iam:UpdateAssumeRolePolicy", f"{ARN}:role/BreakGlassAdmin"),
                  "an exempt role of one's own"),
    ]  # fmt: skip


def plane_runbook_chains(security_account: str = SEC) -> list[Chain]:
    """What the plane guardrails must never stop (each fails if a condition is dropped)."""
    sec = security_account
    head = f"us-east-1:{sec}"
    delegated = _session(_role("Admin", account=DELEGATED_ADMIN, in_target_ou=True))
    developer = _session(_role("Developer"))
    break_glass = _session(_role("BreakGlassAdmin"))
    break_glass_user = Principal("user:break-glass[mfa]", f"{ARN}:user/break-glass", "user",
                                 mfa="true", username="break-glass")  # fmt: skip
    publisher = _session(_role(f"cdk-hnb659fds-file-publishing-role-{sec}-us-east-1",
                               account=sec))  # fmt: skip
    own_scp = ("arn:aws:organizations::111111111111:policy/o-a1b2c3d4e5/service_control_policy/"
               "p-team")  # fmt: skip
    own_tag_policy = ("arn:aws:organizations::111111111111:policy/o-a1b2c3d4e5/tag_policy/"
                      "p-team")  # fmt: skip
    scp_type = {"organizations:PolicyType": "SERVICE_CONTROL_POLICY"}
    run_role = _session(_role("mfa-guardrails-org-readiness-run", account=sec))
    sec_sso_admin = replace(_session(_role("x", account=sec)), name="security-sso-admin",
                            arn=f"arn:aws:iam::{sec}:role/aws-reserved/sso.amazonaws.com/"
                            f"AWSReservedSSO_AdministratorAccess_{SSO_SUFFIX}")  # fmt: skip
    return [
        Chain("the-run-and-admins-do-their-work", "The organization readiness run's state "
              "machine invokes its functions; the Identity Center admin corrects a user's e-mail "
              "and the instance's MFA settings.", (
            Step(run_role, Request("lambda:InvokeFunction", f"arn:aws:lambda:{head}:function:"
                                   "mfa-guardrails-org-readiness-account", account=sec),
                 "one account checked"),
            Step(sec_sso_admin, Request("identitystore:UpdateUser",
                                        "arn:aws:identitystore::222222222222:identitystore/"
                                        "d-1234567890", account=sec), "a user's e-mail fixed"),
            Step(sec_sso_admin, Request("sso:UpdateSSOConfiguration", account=sec),
                 "MFA settings restored"),
            Step(sec_sso_admin, Request("sso:CreateAccountAssignment",
                                        f"arn:aws:sso:::account/{MEMBER}", account=sec),
                 "a new colleague assigned"),
        ), None),
        Chain("teams-keep-their-own-config-rules", "A member team creates, updates, tags and "
              "deletes its own Config rules (only ours carry the protection tag).", (
            Step(developer, Request("config:PutConfigRule", TEAM_RULE), "its rule"),
            Step(developer, Request("config:TagResource", TEAM_RULE, {"aws:TagKeys": ["team"]}),
                 "its tag"),
            Step(developer, Request("config:DeleteEvaluationResults", TEAM_RULE), "its results"),
            Step(developer, Request("config:DeleteConfigRule", TEAM_RULE), "its rule gone"),
        ), None),
        Chain("teams-keep-their-own-planes", "A delegated administrator manages the other "
              "policy types (a tag policy) and their tags; member teams write their own metrics.", (
            Step(delegated, Request("organizations:UpdatePolicy", own_tag_policy,
                                    {"organizations:PolicyType": "TAG_POLICY"}, DELEGATED_ADMIN),
                 "its own tag policy"),
            Step(delegated, Request("organizations:TagResource", own_tag_policy,
                                    {"aws:TagKeys": ["team"]}, DELEGATED_ADMIN), "its own tag"),
            Step(developer, Request("cloudwatch:PutMetricData",
                                    context={"cloudwatch:namespace": "team/app"}), "a metric"),
            Step(developer, Request("lambda:CreateEventSourceMapping", context={
                "lambda:FunctionArn": f"arn:aws:lambda:us-east-1:{MEMBER}:function:team-app"}),
                 "its own function reads its own queue"),
            # A member's own CDK bootstrap and stacks are its own (only the security account's
            # are protected).
            Step(developer, Request("iam:CreateRole", f"{ARN}:role/cdk-hnb659fds-cfn-exec-role-"
                                    f"{MEMBER}-us-east-1"), "its own bootstrap"),
            Step(developer, Request("s3:PutObject", f"arn:aws:s3:::cdk-hnb659fds-assets-{MEMBER}-"
                                    "us-east-1/0a1b.json"), "its own assets"),
            Step(developer, Request("cloudformation:UpdateStack", f"arn:aws:cloudformation:"
                                    f"us-east-1:{MEMBER}:stack/Team/0a1b"), "its own stack"),
        ), None),
        Chain("guardrail-admins-change-the-planes", "Break-glass (role, or user with MFA) "
              "changes what the planes protect.", (
            Step(break_glass, Request("organizations:UpdatePolicy", own_scp, scp_type),
                 "an SCP updated"),
            Step(break_glass, Request("lambda:CreateEventSourceMapping", context={
                "lambda:FunctionArn": f"arn:aws:lambda:us-east-1:{MEMBER}:function:"
                                      "mfa-guardrails-forward-x"}), "a mapping of ours"),
            Step(break_glass, Request("cloudformation:CreateStackInstances",
                                      f"arn:aws:cloudformation:us-east-1:{MEMBER}:stackset/"
                                      "team:0a1b"), "a StackSet rolled out"),
            Step(break_glass, Request("account:EnableRegion", f"arn:aws:account::{MEMBER}:account",
                                      {"account:TargetRegion": "me-central-1"}),
                 "a region enabled (then added to target-regions)"),
            Step(break_glass, Request("events:UpdateEventBus", f"{EVENTS}:event-bus/default"),
                 "the default bus re-encrypted"),
            Step(break_glass, Request("cloudwatch:PutMetricData",
                                      context={"cloudwatch:namespace": "mfa-guardrails"}),
                 "a test datapoint for the silence alarm"),
            Step(break_glass_user, Request("iam:UpdateAssumeRolePolicy",
                                           f"{ARN}:role/BreakGlassAdmin"), "repairs, with MFA"),
        ), None),
        Chain("cdk-publishes-to-the-security-account", "The pipeline's publishing role uploads "
              "the next assets.", (
            Step(publisher, Request("s3:PutObject", f"arn:aws:s3:::cdk-hnb659fds-assets-{sec}-"
                                    "us-east-1/0a1b2c3d.json", account=sec), "uploaded"),
        ), None),
        Chain("people-recover", "Root reads its recovery contacts after recovering; a user "
              "enrolling a security key reads it back.", (
            Step(Principal("root[alternative-factors]", f"{ARN}:root", "root", mfa=None),
                 Request("account:GetContactInformation", f"arn:aws:account::{MEMBER}:account"),
                 "the phone AWS called"),
            Step(Principal("root[alternative-factors]", f"{ARN}:root", "root", mfa=None),
                 Request("iam:GetMFADevice", "*"), "root reads back its security key"),
            Step(Principal("root[alternative-factors]", f"{ARN}:root", "root", mfa=None),
                 Request("iam:DeleteAccessKey", "*"), "root's access key removed"),
            Step(_console(_user("alice")), Request("iam:GetMFADevice", f"{ARN}:user/alice"),
                 "the new security key"),
            Step(_mfa_session(_user("alice")), Request("iam:DeleteAccessKey", f"{ARN}:user/alice"),
                 "a user retires its own old access key"),
            Step(replace(_session(_role("x", account=sec)), name="security-sso-admin",
                         arn=f"arn:aws:iam::{sec}:role/aws-reserved/sso.amazonaws.com/"
                         f"AWSReservedSSO_AdministratorAccess_{SSO_SUFFIX}"),
                 Request("sts:AssumeRoot", f"arn:aws:iam::{sec}:root", account=sec),
                 "an admin takes a member's root session to replace its lost device"),
            Step(replace(_session(_role("x", account=sec)), name="security-sso-admin",
                         arn=f"arn:aws:iam::{sec}:role/aws-reserved/sso.amazonaws.com/"
                         f"AWSReservedSSO_AdministratorAccess_{SSO_SUFFIX}"),
                 Request("sso-directory:DeleteMfaDeviceForUser", account=sec),
                 "an admin removes an Identity Center user's lost device"),
        ), None),
        Chain("security-admins-still-read", "The security account's admins read the alert "
              "path.", (
            Step(_session(_role("Admin", account=sec)), Request(
                "logs:FilterLogEvents", f"arn:aws:logs:{head}:log-group:/aws/lambda/"
                "mfa-guardrails-notifier:*", account=sec), "the notifier's logs"),
            Step(_session(_role("Admin", account=sec)), Request(
                "s3:GetObject", f"arn:aws:s3:::cdk-hnb659fds-assets-{sec}-us-east-1/0a1b.json",
                account=sec), "a staged asset"),
        ), None),
    ]  # fmt: skip


def configured_group_chain() -> Chain:
    """Needs a configuration with attach-to-group-names = ["Developers"]."""
    developer = _session(_role("Developer"))
    return Chain(
        "leave-a-configured-group",
        "Take the victim out of a configured group that holds Force-MFA (a name the product "
        "does not own), then use the stolen keys freely.",
        (Step(developer, Request("iam:RemoveUserFromGroup", f"{ARN}:group/Developers"),
              "Force-MFA no longer applies to the victim"),),
        stopped_at=0,
    )  # fmt: skip


def stopped_at(engine: Engine, policies: PolicySet, chain: Chain) -> int | None:
    """Index of the first step that is denied (by the policies, or by AWS itself)."""
    decided = engine.evaluate([policies.simulation(s.actor, s.request) for s in chain.steps])
    for index, (step, allowed) in enumerate(zip(chain.steps, decided, strict=True)):
        if step.refused_by_aws or not allowed:
            return index
    return None


def runbook_chains(security_account: str) -> list[Chain]:
    """What the guardrails must never stop (README, "Runbooks" and "Rolling out")."""
    alice, carol = _user("alice"), _user("carol", "eng/")
    sso = f"{ARN}:role/aws-reserved/sso.amazonaws.com"
    sso_admin_us_east_1 = _session(_role("x"), "false")
    sso_admin_us_east_1 = replace(sso_admin_us_east_1, name="sso-admin[us-east-1]",
                                  arn=f"{sso}/AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b")
    break_glass = _session(_role("BreakGlassAdmin"))
    stackset = _session(_role("stacksets-exec-5f2c9d"))
    stackset_slr = Principal(
        "stacksets-service-linked-role",
        f"{ARN}:role/aws-service-role/member.org.stacksets.cloudformation.amazonaws.com/"
        "AWSServiceRoleForCloudFormationStackSetsOrgMember", "service-linked-role")
    sec = security_account
    # The security account inside a target OU: the OU's SCPs apply to it as well.
    cdk_exec = _session(_role(f"cdk-hnb659fds-cfn-exec-role-{sec}-us-east-1", account=sec,
                              in_target_ou=True))  # fmt: skip
    cdk_deploy = _session(_role(f"cdk-hnb659fds-deploy-role-{sec}-us-east-1", account=sec,
                                in_target_ou=True))  # fmt: skip
    control_tower = _session(_role("AWSControlTowerExecution"))
    break_glass_in_security = _session(_role("BreakGlassAdmin", account=sec))
    notifier = _session(_role("mfa-guardrails-notifier", account=sec))
    forwarder = _session(_role("mfa-guardrails-forward-us-east-1"))
    rule_tagger = _session(_role("mfa-guardrails-rule-tagger-managed-rules"))
    canary = _session(_role("mfa-guardrails-canary"))
    operator = _session(_role("Developer", account=sec))
    security_sso_admin = replace(_session(_role("x", account=sec)), name="security-sso-admin",
                                 arn=f"arn:aws:iam::{sec}:role/aws-reserved/sso.amazonaws.com/"
                                 f"AWSReservedSSO_AdministratorAccess_{SSO_SUFFIX}")
    root_alt = Principal("root[alternative-factors]", f"{ARN}:root", "root", mfa=None)
    # An AssumeRoot session: the guardrails must not stand in the way of its task policies
    # (IAMDeleteRootUserCredentials, IAMCreateRootUserPassword), which AWS confines to the root
    # user itself. The engine has no resource type for the root user, so "*" stands for it.
    assume_root = Principal("assume-root-session", f"{ARN}:root", "root", assumed_root=True)
    sec_lambda = f"arn:aws:lambda:us-east-1:{sec}:{NOTIFIER}"
    return [
        Chain("first-device-from-console", "A new user signs in without MFA and enrols two "
              "devices, then works with MFA.", (
            Step(_console(alice), Request("iam:CreateVirtualMFADevice", f"{ARN}:mfa/alice-1"),
                 "a first device"),
            Step(_console(alice), Request("iam:EnableMFADevice", alice.arn), "enabled"),
            Step(_console(alice), Request("iam:EnableMFADevice", alice.arn), "a second one"),
            Step(_console(alice), Request("iam:ChangePassword", alice.arn), "a new password"),
            Step(_keys(alice), Request("sts:GetSessionToken"), "CLI: an MFA session"),
            Step(_mfa_session(alice), Request("s3:ListAllMyBuckets"), "works with MFA"),
        ), None),
        Chain("user-with-path-enrols-and-replaces", "A user with a path enrols, and with MFA "
              "removes their own lost second device.", (
            Step(_console(carol), Request("iam:EnableMFADevice", carol.arn), "enrols"),
            Step(_console(carol), Request("iam:ListMFADevices", carol.arn), "sees devices"),
            Step(_mfa_session(carol), Request("iam:DeactivateMFADevice", carol.arn),
                 "removes the lost one"),
        ), None),
        Chain("admin-removes-lost-device", "An Identity Center admin (us-east-1 ARN, MFA at the "
              "identity provider so false here) removes a user's lost device.", (
            Step(sso_admin_us_east_1, Request("iam:DeactivateMFADevice", carol.arn),
                 "the lost device is off"),
            Step(sso_admin_us_east_1, Request("iam:DeleteVirtualMFADevice",
                                              f"{ARN}:mfa/carol-phone"), "and deleted"),
            Step(sso_admin_us_east_1, Request("account:PutContactInformation",
                                              f"arn:aws:account::{MEMBER}:account"),
                 "fixes the contact phone"),
            Step(sso_admin_us_east_1, Request("iam:PutUserPolicy", alice.arn),
                 "revokes alice's issued sessions (aws:TokenIssueTime deny)"),
            Step(sso_admin_us_east_1, Request("iam:AddUserToGroup", f"{ARN}:group/MfaRequired"),
                 "onboards a user into MfaRequired"),
        ), None),
        Chain("root-recovers-with-alternative-factors", "Root, in with e-mail and the contact "
              "phone, removes its lost device and registers two new ones.", (
            Step(root_alt, Request("iam:DeactivateMFADevice", "*"), "off"),
            Step(root_alt, Request("iam:DeleteVirtualMFADevice",
                                   f"{ARN}:mfa/root-account-mfa-device"), "deleted"),
            Step(root_alt, Request("iam:CreateVirtualMFADevice", f"{ARN}:mfa/root-2"), "new"),
            Step(root_alt, Request("iam:EnableMFADevice", "*"), "enabled"),
        ), None),
        Chain("assume-root-tasks", "Centralized root access keeps its task policies.", (
            Step(assume_root,
                 Request("iam:DeactivateMFADevice", "*"), "root MFA off"),
            Step(assume_root,
                 Request("iam:DeleteLoginProfile", "*"), "root password gone"),
            Step(assume_root,
                 Request("iam:DeleteAccessKey", "*"), "root keys gone"),
            Step(assume_root,
                 Request("iam:CreateLoginProfile", "*"), "root password back"),
        ), None),
        Chain("break-glass-restores", "Break-glass fixes contacts, offboards a user and "
              "repairs the guardrails.", (
            Step(break_glass, Request("account:PutContactInformation",
                                      f"arn:aws:account::{MEMBER}:account"), "phone fixed"),
            Step(break_glass, Request("iam:RemoveUserFromGroup", f"{ARN}:group/MfaRequired"),
                 "offboarding"),
            Step(break_glass, Request("events:EnableRule",
                                      f"{EVENTS}:rule/mfa-guardrails-forward-mfa-removed"),
                 "forwarding back on"),
            Step(break_glass, Request("cloudtrail:UpdateTrail",
                                      f"arn:aws:cloudtrail:us-east-1:{MEMBER}:trail/org-trail"),
                 "trail repaired"),
        ), None),
        Chain("stackset-deploys-baseline", "The StackSet creates and updates the member "
              "baseline.", (
            Step(stackset_slr, Request("iam:CreateRole", f"{ARN}:role/stacksets-exec-5f2c9d"),
                 "the execution role"),
            Step(stackset, Request("iam:CreateRole", forwarder.arn), "forwarding role"),
            Step(stackset, Request("iam:PassRole", forwarder.arn), "given to the rules"),
            Step(stackset, Request("events:PutRule",
                                   f"{EVENTS}:rule/mfa-guardrails-forward-mfa-removed"), "rule"),
            Step(stackset, Request("iam:CreatePolicyVersion", FORCE_MFA_ARN), "Force-MFA v2"),
            Step(stackset, Request("iam:AttachGroupPolicy", f"{ARN}:group/Developers",
                                   {"iam:PolicyARN": FORCE_MFA_ARN}), "attached"),
            Step(stackset, Request("config:PutConfigRule", OUR_RULE, OUR_RULE_TAGS), "rules"),
            Step(rule_tagger, Request("config:TagResource", OUR_RULE,
                 {**OUR_RULE_TAGS, "aws:TagKeys": [PROTECTED_TAG_KEY]}), "rules re-tagged"),
        ), None),
        Chain("cdk-deploys-security-account", "CDK deploys the alerting stack in the security "
              "account.", (
            Step(break_glass_in_security, Request("sts:AssumeRole", cdk_deploy.arn, account=sec),
                 "break-glass may still deploy by hand"),
            Step(cdk_deploy, Request("iam:PassRole", cdk_exec.arn, account=sec),
                 "CloudFormation gets the execution role"),
            Step(cdk_deploy, Request("cloudformation:ExecuteChangeSet",
                 f"arn:aws:cloudformation:us-east-1:{sec}:stack/MfaGuardrailsSecurity/0a1b",
                 account=sec), "the stack is updated"),
            Step(cdk_exec, Request("lambda:UpdateFunctionCode", sec_lambda, account=sec),
                 "new notifier"),
            Step(cdk_exec, Request("iam:PutRolePolicy",
                                   f"arn:aws:iam::{sec}:role/mfa-guardrails-notifier",
                                   account=sec), "its permissions"),
            Step(cdk_exec, Request("events:PutTargets",
                 f"arn:aws:events:us-east-1:{sec}:rule/mfa-guardrails-central/"
                 "mfa-guardrails-mfa-removed", account=sec), "rules"),
            Step(cdk_exec, Request("config:PutConfigRule",
                 f"arn:aws:config:us-east-1:{sec}:config-rule/config-rule-9f8e", OUR_RULE_TAGS,
                 account=sec), "readiness rule"),
        ), None),
        Chain("control-tower-manages-config", "A configured automation role (Control Tower) "
              "manages the Config recorder, its own rules and the trail.", (
            Step(control_tower, Request("config:DeleteConfigRule",
                 f"arn:aws:config:us-east-1:{MEMBER}:config-rule/config-rule-ct01"), "its rule"),
            Step(control_tower, Request("config:PutConfigurationRecorder",
                 f"arn:aws:config:us-east-1:{MEMBER}:configuration-recorder/default/abc"),
                 "recorder"),
            Step(control_tower, Request("config:PutDeliveryChannel"), "delivery channel"),
            Step(control_tower, Request("cloudtrail:PutEventSelectors",
                 f"arn:aws:cloudtrail:us-east-1:{MEMBER}:trail/aws-controltower-BaselineTrail"),
                 "trail"),
        ), None),
        Chain("canary-heartbeat", "The canary schedule's role tags its own role, in a member "
              "inside a target OU.", (
            Step(canary, Request("iam:TagRole", canary.arn), "the heartbeat"),
        ), None),
        Chain("alert-path-works", "The alert path uses its own resources.", (
            Step(forwarder, Request("events:PutEvents",
                 f"arn:aws:events:us-east-1:{sec}:event-bus/mfa-guardrails-central",
                 account=sec), "forwarded"),
            Step(notifier, Request("sns:Publish",
                 f"arn:aws:sns:us-east-1:{sec}:mfa-guardrails-alerts", account=sec), "alerted"),
            Step(notifier, Request("kms:GenerateDataKey",
                 f"arn:aws:kms:us-east-1:{sec}:key/0a1b2c3d-1111-2222-3333-444455556666",
                 {"kms:ResourceAliases": ["alias/mfa-guardrails-alerting"]}, account=sec),
                 "encrypted"),
            Step(notifier, Request("sqs:SendMessage",
                 f"arn:aws:sqs:us-east-1:{sec}:mfa-guardrails-notifier-failures", account=sec),
                 "failure parked"),
            Step(security_sso_admin, Request("sqs:ReceiveMessage",
                 f"arn:aws:sqs:us-east-1:{sec}:mfa-guardrails-rule-dead-letters", account=sec),
                 "dead letters read for replay (by an admin: README, replay)"),
            Step(security_sso_admin, Request("lambda:InvokeFunction", sec_lambda, account=sec),
                 "replayed through the notifier"),
            Step(security_sso_admin, Request("sqs:DeleteMessage",
                 f"arn:aws:sqs:us-east-1:{sec}:mfa-guardrails-rule-dead-letters", account=sec),
                 "deleted once delivered"),
            Step(operator, Request("config:PutEvaluations", account=sec), "readiness results"),
        ), None),
    ]  # fmt: skip
