"""The product's service control policies, as plain policy documents (no CDK tokens: SCP content is
account-agnostic, so one document serves every target).

Four SCPs, each within Organizations' 10,240 characters, so that an OU keeps five of its ten SCP
slots free (FullAWSAccess takes the fifth):

* ``account-protection``: the root lock-down, MFA-device protection, recovery-contact
  protection, and what would free a principal of MFA or make it exempt (detaching Force-MFA,
  assuming a deployment role or a member's root, an exempt user without MFA);
* ``guardrail-protection``: everything whose loss silences an alert or lifts a guardrail (the
  product's own resources and stacks, every exempt identity and every name an exemption matches,
  membership of the groups that hold Force-MFA, the alert key, the Config recorder, rules and
  delivery channel, the CloudTrail trails and what they depend on, the bus permissions, the
  security account's CDK bootstrap, membership of the organization), changeable only by the
  guardrail administrators; the product's runtime roles act within their grants;
* ``alert-path-protection``: the alert path's own traffic (alerts, dead letters, the silence
  metric, invoking our functions, pointing one at a queue);
* ``plane-protection``: the planes around them (SCPs and RCPs and the SCP type, StackSets,
  account-level switches, the default bus's encryption, Identity Center's MFA plane).

Each statement's reason is in README ("Service control policies"); ``tests/policy/`` proves them
from the attacker's side (cells, attack chains, catalog sweeps) and shows each statement and
condition is load-bearing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from constructs_lib.alerting.runtime.catalog import CANARY_ROLE_NAME
from constructs_lib.force_mfa.actions import CONSOLE_ONLY_WITHOUT_MFA, SELF_SERVICE_WITHOUT_MFA
from constructs_lib.heartbeats.runtime.monitor import NAMESPACE as METRIC_NAMESPACE
from constructs_lib.naming import (
    CDK_DEFAULT_QUALIFIER,
    MEMBER_RUNTIME_ROLE_NAMES,
    MFA_REQUIRED_GROUP,
    PRODUCT_PREFIX,
    PROTECTED_TAG_KEY,
    PROTECTED_TAG_VALUE,
    SECURITY_RUNTIME_ROLE_NAMES,
    STACK_NAME_PREFIX,
)

Document = dict[str, Any]

# The roles CloudFormation StackSets use in member accounts: service-managed StackSets create
# stacksets-exec-<hash> (through their service-linked role, which SCPs never restrict);
# self-managed ones use AWSCloudFormationStackSetExecutionRole.
STACKSET_EXECUTION_ROLE_ARNS = (
    "arn:aws:iam::*:role/stacksets-exec-*",
    "arn:aws:iam::*:role/AWSCloudFormationStackSetExecutionRole",
)
ROOT_USER_ARN = "arn:aws:iam::*:root"
ANY_IAM_USER = "arn:aws:iam::*:user/*"
# A caller's own IAM user, with or without a path (user/carol, user/eng/carol): IAM user names are
# unique in an account whatever their path, and contain no "/".
OWN_USER_ARNS = ("arn:aws:iam::*:user/${aws:username}", "arn:aws:iam::*:user/*/${aws:username}")

# What a member account's root user may still do under the lock-down: manage its own MFA devices,
# including removing a lost one after signing in with alternative factors, and read its recovery
# contacts. Blocking these would leave the root-MFA finding impossible to fix; account-protection
# keeps root off users' devices.
ROOT_RECOVERY_SELF_SERVICE = (
    # After recovering with alternative factors, root checks the e-mail and phone it recovered
    # with (the runbook's last step): reading them changes nothing.
    "account:GetContactInformation",
    "account:GetAlternateContact",
    "account:GetAccountInformation",
    # ... read back a new security key, and remove root's own access keys and certificates,
    # which should never exist.
    "iam:GetMFADevice",
    "iam:ListAccessKeys",
    "iam:DeleteAccessKey",
    "iam:ListSigningCertificates",
    "iam:DeleteSigningCertificate",
    "iam:CreateVirtualMFADevice",
    "iam:EnableMFADevice",
    "iam:ResyncMFADevice",
    "iam:DeactivateMFADevice",
    "iam:DeleteVirtualMFADevice",
    "iam:ListMFADevices",
    "iam:ListVirtualMFADevices",
    "iam:GetAccountSummary",
)
ROOT_CREDENTIAL_DELETES = ("iam:DeleteAccessKey", "iam:DeleteSigningCertificate")
MFA_DEVICE_REMOVAL = ("iam:DeactivateMFADevice", "iam:DeleteVirtualMFADevice")
MFA_DEVICE_ENROLMENT = ("iam:EnableMFADevice", "iam:ResyncMFADevice")
RECOVERY_CONTACT_CHANGES = (
    "account:PutContactInformation",
    "account:PutAlternateContact",
    "account:DeleteAlternateContact",
    "account:StartPrimaryEmailUpdate",
    "account:AcceptPrimaryEmailUpdate",
)

FORCE_MFA_POLICY_ARNS = f"arn:aws:iam::*:policy/{PRODUCT_PREFIX}*"
PRODUCT_RESOURCE_ARNS = (
    # Every resource of ours, in any service, carries PRODUCT_PREFIX in its name (a test checks
    # each resource of every synthesized template): roles, the Force-MFA policy, rules on any
    # bus, the central bus, functions, topics and subscriptions, queues, the key alias, alarms,
    # the StackSet's instance stacks.
    f"arn:aws:*:*:*:*{PRODUCT_PREFIX}*",
    f"arn:aws:iam::*:group/{MFA_REQUIRED_GROUP}",
    # Updating or deleting a stack of ours would run as its (exempt) deployment role.
    f"arn:aws:cloudformation:*:*:stack/{STACK_NAME_PREFIX}*",
)
# Identity Center's permission-set roles, made by its service-linked role (which SCPs never
# restrict); nobody else has a reason to create or change a role there. Nor its SAML provider
# (AWSSSO_<id>_DO_NOT_DELETE): rewritten, a forged assertion signs in as the exempt admin role.
AWS_RESERVED_ROLES = "arn:aws:iam::*:role/aws-reserved/*"
IDENTITY_CENTER_SAML_PROVIDERS = "arn:aws:iam::*:saml-provider/AWSSSO_*"
# What the alerts stand on, whoever owns it: without a logging trail EventBridge receives no
# CloudTrail event, and without the recorder (and the service-linked role it records as) no Config
# rule evaluates.
LIFELINE_ARNS = (
    "arn:aws:cloudtrail:*:*:trail/*",
    "arn:aws:config:*:*:configuration-recorder/*",
    "arn:aws:iam::*:role/aws-service-role/config.amazonaws.com/*",
)
# Our Config rules: their ARNs carry a random id, not a name, so they are known by the tag a
# deploy-time custom resource gives them (constructs_lib/rule_tags); a team's own rules are the
# team's. AWS Config authorizes a rule's changes, its tags' included, on aws:ResourceTag.
CONFIG_RULES = "arn:aws:config:*:*:config-rule/*"
PROTECTED_CONFIG_RULE = {
    "StringEquals": {f"aws:ResourceTag/{PROTECTED_TAG_KEY}": PROTECTED_TAG_VALUE}
}
# The policy types whose change lifts or breaks the guardrails: a delegated administrator for
# policy management could otherwise detach ours, attach a deny of its own (locking out
# break-glass), or detach FullAWSAccess (authorized on the target, not on the AWS policy).
CONTROL_POLICY_TYPES = ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY")
CONTROL_POLICY_CHANGES = (
    "organizations:CreatePolicy", "organizations:UpdatePolicy", "organizations:DeletePolicy",
    "organizations:AttachPolicy", "organizations:DetachPolicy",
)  # fmt: skip
# StackSet operations: a StackSet runs in every target as the exempt stacksets-exec-* role, and a
# member that is delegated administrator for StackSets can create service-managed ones.
STACKSET_CHANGES = (
    "cloudformation:CreateStackSet", "cloudformation:UpdateStackSet",
    "cloudformation:DeleteStackSet", "cloudformation:CreateStackInstances",
    "cloudformation:UpdateStackInstances", "cloudformation:DeleteStackInstances",
    "cloudformation:ImportStacksToStackSet",
)  # fmt: skip
ANY_ORGANIZATION_ROOT = "arn:aws:organizations::*:root/*"
# Account-level switches that silence the alerts or lock people out, naming no resource: console
# sign-in restricted to a network (root and break-glass included), a region enabled that has no
# forwarding rules (or disabled under them).
ACCOUNT_SWITCHES = (
    "signin:PutConsoleAuthorizationConfiguration",
    "signin:DeleteConsoleAuthorizationConfiguration",
    "signin:PutResourcePermissionStatement",
    "signin:DeleteResourcePermissionStatement",
    "account:EnableRegion",
    "account:DisableRegion",
    # Account-wide log policies (data protection, subscription filters) act on every log group,
    # the notifier's included.
    "logs:PutAccountPolicy",
    "logs:DeleteAccountPolicy",
)
# Identity Center's own MFA plane, from a covered account (its delegated administrator).
IDENTITY_CENTER_MFA_CHANGES = (
    "sso-directory:DeleteMfaDeviceForUser", "sso-directory:UpdateMfaDeviceForUser",
    "sso-directory:UpdatePassword", "sso:PutMfaDeviceManagementForDirectory",
    # The instance's MFA prompt, and an identity provider of one's own (it signs in as anyone).
    "sso:UpdateSSOConfiguration",
    "sso-directory:CreateExternalIdPConfigurationForDirectory",
    "sso-directory:UpdateExternalIdPConfigurationForDirectory",
    "sso-directory:EnableExternalIdPConfigurationForDirectory",
    "sso-directory:ImportExternalIdPCertificate",
    # A user's e-mail is where the password reset goes.
    "sso-directory:UpdateUser", "identitystore:UpdateUser",
    "sso-directory:DisableExternalIdPConfigurationForDirectory",
    # Who becomes an admin of the configuration: assignments, permission sets, group members,
    # users, the identity source and trusted token issuers.
    "sso:CreateAccountAssignment", "sso:ProvisionPermissionSet", "sso:UpdatePermissionSet",
    "sso:PutInlinePolicyToPermissionSet", "sso:AttachManagedPolicyToPermissionSet",
    "sso:AttachCustomerManagedPolicyReferenceToPermissionSet",
    "sso:PutPermissionsBoundaryToPermissionSet", "identitystore:CreateGroupMembership",
    "identitystore:CreateUser", "sso:AssociateDirectory", "sso:DisassociateDirectory",
    "sso:CreateTrustedTokenIssuer", "sso:UpdateTrustedTokenIssuer",
)  # fmt: skip
# Registering a device on someone else's Identity Center user: nobody, as in IAM.
IDENTITY_CENTER_DEVICE_REGISTRATION = (
    "sso-directory:StartVirtualMfaDeviceRegistration",
    "sso-directory:CompleteVirtualMfaDeviceRegistration",
    "sso-directory:StartWebAuthnDeviceRegistration",
    "sso-directory:CompleteWebAuthnDeviceRegistration",
)  # fmt: skip
# Re-encrypting the default bus with a key one then disables stops every rule on it.
DEFAULT_EVENT_BUS = "arn:aws:events:*:*:event-bus/default"
# Disabling the SCP policy type (a delegated administrator for policy management may, from a
# member account) removes every SCP at once.
POLICY_TYPE_CHANGES = ("organizations:DisablePolicyType", "organizations:EnablePolicyType")
# The alert path's own traffic: who may publish an alert, read or feed a dead-letter queue,
# invoke the notifier, or write the silence metric. Forged alerts carry an attacker's "what to
# do"; a dead letter received and hidden, or deleted, is an alert lost.
ALERT_PUBLISHING = ("sns:Publish",)
DEAD_LETTER_INJECTION = ("sqs:SendMessage",)
REPLAY = (
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "lambda:InvokeFunction",
)
PRODUCT_TOPICS = f"arn:aws:sns:*:*:{PRODUCT_PREFIX}*"
PRODUCT_QUEUES = f"arn:aws:sqs:*:*:{PRODUCT_PREFIX}*"
PRODUCT_FUNCTIONS = f"arn:aws:lambda:*:*:function:{PRODUCT_PREFIX}*"
# What anyone may still do to a protected resource: read it, and use it as the alert path does
# (forward events, publish alerts, encrypt, replay dead letters). Trust policies, which only the
# guardrail administrators may change, decide who assumes a protected role.
READ_AND_USE = (
    "iam:Get*", "iam:List*", "iam:Simulate*", "iam:GenerateServiceLastAccessedDetails",
    "iam:AddUserToGroup",  # onboarding: joining MfaRequired only adds the guardrail
    "sts:*",
    "events:Describe*", "events:List*", "events:PutEvents",
    "lambda:Get*", "lambda:List*",
    "lambda:InvokeFunction",  # replaying dead letters: confined to admins (plane-protection)
    "sns:Get*", "sns:List*", "sns:Publish",
    "sqs:Get*", "sqs:List*", "sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "kms:Describe*", "kms:Get*", "kms:List*", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*",
    "kms:ReEncrypt*",
    "cloudtrail:Describe*", "cloudtrail:Get*", "cloudtrail:List*", "cloudtrail:LookupEvents",
    "cloudtrail:CreateTrail", "cloudtrail:StartLogging",
    "config:Describe*", "config:Get*", "config:List*", "config:BatchGet*", "config:Select*",
    "config:StartConfigRulesEvaluation", "config:StartConfigurationRecorder",
    "cloudwatch:Describe*", "cloudwatch:Get*", "cloudwatch:List*",
    "cloudformation:Describe*", "cloudformation:Get*", "cloudformation:List*",
    "dynamodb:Describe*", "dynamodb:List*",
    "logs:Describe*", "logs:Get*", "logs:List*", "logs:FilterLogEvents", "logs:StartQuery",
    # The CDK bootstrap's bucket, parameter and repository, read by anyone who synthesizes.
    "s3:GetObject", "s3:GetBucket*", "s3:ListBucket*", "ssm:GetParameter*",
    "ecr:Describe*", "ecr:BatchGet*", "ecr:GetDownloadUrlForLayer", "ecr:List*",
)  # fmt: skip
# Changes that name no resource but silence the alerts or lift every guardrail at once.
RESOURCELESS_LIFELINE_CHANGES = (
    "config:DeleteDeliveryChannel",
    "config:PutDeliveryChannel",
    "organizations:LeaveOrganization",
    # A bus policy is changed through actions that name no bus: replacing the central bus's
    # would refuse every member's forwarded event.
    "events:PutPermission",
    "events:RemovePermission",
)
# The canary role tags itself every interval (its heartbeat): the one change of a protected
# resource a non-administrator makes, allowed to that role, on that role, and nothing more.
CANARY_ROLE_ARN = f"arn:aws:iam::*:role/{CANARY_ROLE_NAME}"
# The product's runtime roles (notifier, heartbeat monitor, readiness, forwarding, canary) do
# their work on protected resources: heartbeats in the table, their functions' log writes. Their
# grants are their only limit: creating a role of that name, changing its trust or policies, and
# passing it to a service are themselves protected changes (tests/policy/runtime.py proves every
# grant of every role of ours is allowed under the SCPs).
# Our functions but the notifier: nobody but the guardrail administrators and our own roles
# invokes them (an admin replaying an old organization readiness run into the report function
# would clear today's findings); the notifier is what a replay of dead letters invokes.
NON_REPLAY_FUNCTIONS = tuple(
    f"arn:aws:lambda:*:*:function:{PRODUCT_PREFIX}{name}"
    # "*" after each name: a version or alias is invoked as <function ARN>:<qualifier>.
    for name in ("heartbeat-monitor*", "recovery-readiness*", "rule-tagger-*", "org-readiness-*")
)
NOTIFIER_FUNCTION = f"arn:aws:lambda:*:*:function:{PRODUCT_PREFIX}notifier"
# An event source mapping makes a function read a queue of someone's choosing: the notifier
# would publish its messages as alerts.
EVENT_SOURCE_MAPPING_CHANGES = (
    "lambda:CreateEventSourceMapping", "lambda:UpdateEventSourceMapping",
)  # fmt: skip
HEARTBEAT_WRITE = "iam:TagRole"
POLICY_DETACHMENT = ("iam:DetachGroupPolicy", "iam:DetachRolePolicy", "iam:DetachUserPolicy")


@dataclass(frozen=True)
class NamedPolicy:
    name: str
    description: str
    document: Document


@dataclass(frozen=True, kw_only=True)
class Exemptions:
    """Who each SCP exempts (ARN patterns of ``aws:PrincipalArn``).

    ``break_glass`` and ``automation`` (with the StackSet execution roles) are the guardrail
    administrators: the only principals that may change a protected resource or identity.
    ``admins`` may, besides them, remove lost MFA devices, fix recovery contacts and replay dead
    letters. ``bootstrap_account``: the account whose CDK bootstrap deploys our stacks under the
    SCPs (the security account); its bucket, roles and stack are protected like our own.
    """

    break_glass: tuple[str, ...]
    admins: tuple[str, ...]
    automation: tuple[str, ...]
    bootstrap_account: str | None = None
    # What the trail and the recorder depend on, named by the configuration (their buckets, key,
    # role): protected like the trails themselves.
    lifeline: tuple[str, ...] = ()

    @property
    def runtime_roles(self) -> tuple[str, ...]:
        """The product's runtime roles: those of every member by name, the security account's
        pinned to it (none where the security account is the management account, which no SCP
        restricts)."""
        account = self.bootstrap_account
        pinned = tuple(f"arn:aws:iam::{account}:role/{name}"
                       for name in SECURITY_RUNTIME_ROLE_NAMES) if account else ()  # fmt: skip
        return (*(f"arn:aws:iam::*:role/{name}" for name in MEMBER_RUNTIME_ROLE_NAMES), *pinned)

    @property
    def device_and_contact_admins(self) -> tuple[str, ...]:
        return self.break_glass + self.admins

    @property
    def guardrail_admins(self) -> tuple[str, ...]:
        return (*STACKSET_EXECUTION_ROLE_ARNS, *self.break_glass, *self.automation)

    @property
    def exempt_users(self) -> tuple[str, ...]:
        """Exempt patterns that name IAM users: unlike roles, a user signs in by itself."""
        return tuple(a for a in (*self.guardrail_admins, *self.admins) if ":user/" in a)

    @property
    def protected_identities(self) -> tuple[str, ...]:
        """Every exempt identity, and every name an exemption matches, under any path: changing
        one, or creating one where it does not exist yet, is how a principal would make itself
        exempt; the same name under another path would keep the real one from being created
        (IAM names are unique in an account whatever their path)."""
        found: list[str] = []
        for arn in (*self.guardrail_admins, *self.admins):
            found.append(arn)
            head, _, name = arn.rpartition("/")
            if head.endswith((":role", ":user")):
                found.append(f"{head}/*/{name}")
        return tuple(dict.fromkeys(found))

    @property
    def bootstrap_resources(self) -> tuple[str, ...]:
        """The CDK bootstrap of the account our stacks are deployed to under the SCPs: a file
        planted in its staging bucket under the next asset's hash would be deployed as is (the
        CLI skips an upload whose object exists) by the exempt execution role."""
        account = self.bootstrap_account
        if account is None:
            return ()
        qualifier = CDK_DEFAULT_QUALIFIER
        return (
            f"arn:aws:s3:::cdk-{qualifier}-assets-{account}-*",
            # An access point of one's own on the bucket would write it under another ARN.
            f"arn:aws:s3:*:{account}:accesspoint/*",
            f"arn:aws:iam::{account}:role/cdk-{qualifier}-*",
            # Every stack there: updating one deployed by the exempt execution role reuses it.
            f"arn:aws:cloudformation:*:{account}:stack/*",
            f"arn:aws:ssm:*:{account}:parameter/cdk-bootstrap/{qualifier}/*",
            f"arn:aws:ecr:*:{account}:repository/cdk-{qualifier}-container-assets-{account}-*",
        )


def _document(statements: Sequence[Document]) -> Document:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _unless(principals: Sequence[str]) -> Document:
    return {"ArnNotLike": {"aws:PrincipalArn": list(principals)}}


def root_lockdown_statements() -> list[Document]:
    return [{
        "Sid": "DenyRootUserExceptOwnMfaDevices",
        "Effect": "Deny",
        "NotAction": list(ROOT_RECOVERY_SELF_SERVICE),
        "Resource": "*",
        "Condition": {
            "ArnLike": {"aws:PrincipalArn": ROOT_USER_ARN},
            # Present only in sessions from sts:AssumeRoot (centralized root access), which
            # their task policies already confine to the root user's own credentials.
            "Null": {"aws:AssumedRoot": "true"},
        },
    }, {
        # Root's own keys and certificates have no user ARN: on a user's, the deletes are a
        # lock-out of that user's automation, not a recovery (an AssumeRoot session's task
        # policies never reach a user either).
        "Sid": "DenyRootDeletingUsersCredentials",
        "Effect": "Deny",
        "Action": list(ROOT_CREDENTIAL_DELETES),
        "Resource": ANY_IAM_USER,
        "Condition": {"ArnLike": {"aws:PrincipalArn": ROOT_USER_ARN}},
    }]  # fmt: skip


def mfa_device_statements(exempt_admins: Sequence[str]) -> list[Document]:
    return [
        {
            "Sid": "DenyMfaDeviceRemovalWithoutMfa",
            "Effect": "Deny",
            "Action": list(MFA_DEVICE_REMOVAL),
            "Resource": "*",
            "Condition": {
                "BoolIfExists": {"aws:MultiFactorAuthPresent": "false"},
                # Root recovering with alternative factors must remove its own lost device.
                **_unless([*exempt_admins, ROOT_USER_ARN]),
            },
        },
        {
            # Enrolling a device on someone else's user is half of taking it over: with their
            # password or keys, the enroller's device then passes their MFA. Nobody needs it,
            # admins included. Users act on their own user (with or without a path); root is
            # scoped by its principal, as no resource ARN of its own devices is documented.
            "Sid": "DenyMfaEnrolmentOnOtherUsers",
            "Effect": "Deny",
            "Action": list(MFA_DEVICE_ENROLMENT),
            "NotResource": list(OWN_USER_ARNS),
            "Condition": _unless([ROOT_USER_ARN]),
        },
        {
            # Roles, federated sessions and root have no aws:username: written out rather than
            # relying on how a missing policy variable evaluates in NotResource.
            "Sid": "DenyMfaEnrolmentByNonUsers",
            "Effect": "Deny",
            "Action": list(MFA_DEVICE_ENROLMENT),
            "Resource": ANY_IAM_USER,
            "Condition": _unless([ANY_IAM_USER]),
        },
        {
            # Removing someone's device locks them out: only an admin removes a lost one.
            "Sid": "DenyMfaDeviceDeactivationOfOtherUsers",
            "Effect": "Deny",
            "Action": "iam:DeactivateMFADevice",
            "NotResource": list(OWN_USER_ARNS),
            "Condition": _unless([*exempt_admins, ROOT_USER_ARN]),
        },
        {
            "Sid": "DenyMfaDeviceDeactivationByNonUsers",
            "Effect": "Deny",
            "Action": "iam:DeactivateMFADevice",
            "Resource": ANY_IAM_USER,
            "Condition": _unless([*exempt_admins, ANY_IAM_USER]),
        },
    ]


def recovery_contact_statements(exempt_admins: Sequence[str]) -> list[Document]:
    statement: Document = {
        "Sid": "DenyRecoveryContactChanges",
        "Effect": "Deny",
        "Action": list(RECOVERY_CONTACT_CHANGES),
        "Resource": "*",
    }
    # With no admin configured (allowed in audit mode only: config refuses it when enforcing),
    # nobody is exempt; an empty ArnNotLike list would be rejected by Organizations.
    if exempt_admins:
        statement["Condition"] = _unless(exempt_admins)
    return [statement]


def identity_center_statements(exemptions: Exemptions) -> list[Document]:
    """From a covered account that is Identity Center's delegated administrator: removing a
    user's device, resetting a password or an e-mail, loosening the MFA settings or bringing an
    identity provider of one's own is the Identity Center form of what the device and contact
    guards deny in IAM."""
    return [{
        "Sid": "DenyIdentityCenterMfaChanges",
        "Effect": "Deny",
        "Action": list(IDENTITY_CENTER_MFA_CHANGES),
        "Resource": "*",
        "Condition": _unless((*exemptions.guardrail_admins, *exemptions.admins)),
    }, {
        "Sid": "DenyIdentityCenterDeviceRegistration",
        "Effect": "Deny",
        "Action": list(IDENTITY_CENTER_DEVICE_REGISTRATION),
        "Resource": "*",
    }]  # fmt: skip


def exempt_user_statements(exemptions: Exemptions) -> list[Document]:
    """An exempt IAM user is exempt with MFA only: its password or access keys alone must not
    carry the exemption (a role assumed through Identity Center carries no MFA key, so roles
    are left to their trust policies)."""
    if not exemptions.exempt_users:
        return []
    return [{
        "Sid": "DenyExemptUsersWithoutMfa",
        "Effect": "Deny",
        # What any user needs before MFA: enrol its device, get an MFA session from its keys.
        "NotAction": [*SELF_SERVICE_WITHOUT_MFA, "sts:GetCallerIdentity"],
        "Resource": "*",
        "Condition": {
            "ArnLike": {"aws:PrincipalArn": list(exemptions.exempt_users)},
            "BoolIfExists": {"aws:MultiFactorAuthPresent": "false"},
        },
    }, {
        # Stolen keys of an exempt user would enrol a device of their own and turn it into an
        # MFA session (a user holds up to eight devices): enrolment is a console act.
        "Sid": "DenyExemptUserEnrolmentFromKeys",
        "Effect": "Deny",
        "Action": list(CONSOLE_ONLY_WITHOUT_MFA),
        "Resource": "*",
        "Condition": {
            "ArnLike": {"aws:PrincipalArn": list(exemptions.exempt_users)},
            "Null": {"aws:MultiFactorAuthPresent": "true"},
        },
    }]  # fmt: skip


def exemption_statements(exemptions: Exemptions) -> list[Document]:
    """What would make a principal free of MFA or exempt: the Force-MFA attachments and the
    deployment roles. Changeable by the guardrail administrators only."""
    exempt = _unless(exemptions.guardrail_admins)
    statements: list[Document] = [
        {
            # The configured groups and roles are not ours to name: what is protected there is
            # the Force-MFA attachment itself.
            "Sid": "DenyForceMfaDetachment",
            "Effect": "Deny",
            "Action": list(POLICY_DETACHMENT),
            "Resource": "*",
            "Condition": {"ArnLike": {"iam:PolicyARN": FORCE_MFA_POLICY_ARNS}, **exempt},
        },
        {
            # A root session of a member (centralized root access) may delete root's MFA
            # device: it is a recovery act, for the device and contact admins only.
            "Sid": "DenyAssumeRootByOthers",
            "Effect": "Deny",
            "Action": "sts:AssumeRoot",
            "Resource": "*",
            # With no admin configured (audit only), nobody: an empty ArnNotLike is refused.
            **({"Condition": _unless(exemptions.device_and_contact_admins)}
               if exemptions.device_and_contact_admins else {}),
        },
        {
            # The deployment roles are exempt, and CDK's bootstrap roles trust their whole
            # account: assuming one is becoming exempt. Their own callers (the pipeline and
            # StackSets in the management account, which no SCP restricts) are unaffected.
            "Sid": "DenyAssumingDeploymentRoles",
            "Effect": "Deny",
            "Action": "sts:AssumeRole",
            "Resource": [*STACKSET_EXECUTION_ROLE_ARNS, *exemptions.automation],
            "Condition": exempt,
        },
    ]
    return statements


def guardrail_statements(
    exemptions: Exemptions, force_mfa_groups: Sequence[str] = ()
) -> list[Document]:
    exempt = _unless(exemptions.guardrail_admins)
    canary = {"ArnLike": {"aws:PrincipalArn": CANARY_ROLE_ARN}}
    statements: list[Document] = [
        {
            "Sid": "DenyProtectedResourceChanges",
            "Effect": "Deny",
            "NotAction": list(READ_AND_USE),
            "Resource": [
                *PRODUCT_RESOURCE_ARNS, AWS_RESERVED_ROLES, IDENTITY_CENTER_SAML_PROVIDERS,
                *exemptions.protected_identities,
                *LIFELINE_ARNS, *exemptions.lifeline, *exemptions.bootstrap_resources,
            ],
            # The product's roles act within their grants; the canary among them is confined
            # by the next two statements.
            "Condition": _unless((*exemptions.guardrail_admins, *exemptions.runtime_roles)),
        },
        {
            "Sid": "DenyCanaryAllButItsHeartbeat",
            "Effect": "Deny",
            "NotAction": HEARTBEAT_WRITE,
            "Resource": "*",
            "Condition": canary,
        },
        {
            "Sid": "DenyCanaryTaggingOthers",
            "Effect": "Deny",
            "Action": HEARTBEAT_WRITE,
            "NotResource": CANARY_ROLE_ARN,
            "Condition": canary,
        },
        {
            # KMS key ARNs carry an id, not a name: the alerting key is found by its alias.
            "Sid": "DenyAlertKeyChanges",
            "Effect": "Deny",
            "NotAction": [a for a in READ_AND_USE if a.startswith("kms:")],
            "Resource": "*",
            "Condition": {
                "ForAnyValue:StringLike": {"kms:ResourceAliases": f"alias/{PRODUCT_PREFIX}*"},
                **exempt,
            },
        },
        {
            "Sid": "DenyProtectedConfigRuleChanges",
            "Effect": "Deny",
            "NotAction": [a for a in READ_AND_USE if a.startswith("config:")],
            "Resource": CONFIG_RULES,
            "Condition": {**PROTECTED_CONFIG_RULE,
                          **_unless((*exemptions.guardrail_admins, *exemptions.runtime_roles))},
        },
        {
            "Sid": "DenyResourcelessLifelineChanges",
            "Effect": "Deny",
            "Action": list(RESOURCELESS_LIFELINE_CHANGES),
            "Resource": "*",
            "Condition": exempt,
        },
    ]  # fmt: skip
    if force_mfa_groups:
        statements.append({
            # Leaving a configured group lifts Force-MFA as surely as detaching it.
            "Sid": "DenyLeavingForceMfaGroups",
            "Effect": "Deny",
            "Action": "iam:RemoveUserFromGroup",
            "Resource": [f"arn:aws:iam::*:group/{name}" for name in force_mfa_groups],
            "Condition": exempt,
        })  # fmt: skip
    return statements


def alert_path_statements(exemptions: Exemptions) -> list[Document]:
    """The alert path's own traffic: who publishes an alert, feeds, reads or replays a
    dead-letter queue, writes the silence metric, invokes our functions or points one at a
    queue of its choosing."""
    exempt = _unless(exemptions.guardrail_admins)
    runtime = _unless((*exemptions.guardrail_admins, *exemptions.runtime_roles))
    return [
        {
            # Forged alerts, injected dead letters, and the silence metric: ours only.
            "Sid": "DenyAlertPathForgery",
            "Effect": "Deny",
            "Action": [*ALERT_PUBLISHING, *DEAD_LETTER_INJECTION],
            "Resource": [PRODUCT_TOPICS, PRODUCT_QUEUES],
            "Condition": runtime,
        },
        {
            "Sid": "DenySilenceMetricWrites",
            "Effect": "Deny",
            "Action": "cloudwatch:PutMetricData",
            "Resource": "*",
            # The heartbeat monitor's namespace: data written by anyone else would hide silence.
            "Condition": {"StringLike": {"cloudwatch:namespace": f"{METRIC_NAMESPACE}*"},
                          **runtime},
        },
        {
            # Replaying dead letters is the device and contact admins' job too (README).
            "Sid": "DenyDeadLetterReplayByOthers",
            "Effect": "Deny",
            "Action": list(REPLAY),
            "Resource": [PRODUCT_QUEUES, PRODUCT_FUNCTIONS],
            "Condition": _unless((*exemptions.guardrail_admins, *exemptions.admins,
                                  *exemptions.runtime_roles)),
        },
        {
            # Our other functions: an admin replaying an old organization readiness run into the
            # report function would clear today's findings.
            "Sid": "DenyInvokingOurFunctions",
            "Effect": "Deny",
            "Action": "lambda:InvokeFunction",
            "Resource": list(NON_REPLAY_FUNCTIONS),
            "Condition": runtime,
        },
        {
            "Sid": "DenyEventSourceMappingsOnOurFunctions",
            "Effect": "Deny",
            "Action": list(EVENT_SOURCE_MAPPING_CHANGES),
            "Resource": "*",
            "Condition": {"ArnLike": {"lambda:FunctionArn": PRODUCT_FUNCTIONS}, **exempt},
        },
    ]  # fmt: skip


def plane_statements(exemptions: Exemptions) -> list[Document]:
    """The planes around the guardrails: SCPs and RCPs and the SCP policy type (delegated
    administrators for policy management), StackSets (delegated administrators for StackSets),
    account-level switches, the default bus's encryption, and Identity Center's MFA plane."""
    exempt = _unless(exemptions.guardrail_admins)
    return [
        *identity_center_statements(exemptions),
        {
            # Only guardrail administrators change SCPs and RCPs from a covered account (the
            # other policy types stay the delegated administrator's).
            "Sid": "DenyControlPolicyChanges",
            "Effect": "Deny",
            "Action": list(CONTROL_POLICY_CHANGES),
            "Resource": "*",
            "Condition": {"StringEquals": {"organizations:PolicyType": list(CONTROL_POLICY_TYPES)},
                          **exempt},
        },
        {
            "Sid": "DenyStackSetChanges",
            "Effect": "Deny",
            "Action": list(STACKSET_CHANGES),
            "Resource": "*",
            "Condition": exempt,
        },
        {
            "Sid": "DenyAccountSwitches",
            "Effect": "Deny",
            "Action": list(ACCOUNT_SWITCHES),
            "Resource": "*",
            "Condition": exempt,
        },
        {
            "Sid": "DenyDefaultBusAndPolicyTypeChanges",
            "Effect": "Deny",
            "Action": ["events:UpdateEventBus", *POLICY_TYPE_CHANGES],
            "Resource": [DEFAULT_EVENT_BUS, ANY_ORGANIZATION_ROOT],
            "Condition": exempt,
        },
    ]  # fmt: skip


def service_control_policies(
    exemptions: Exemptions, force_mfa_groups: Sequence[str] = ()
) -> tuple[NamedPolicy, ...]:
    """Every SCP of the product, named with the product prefix."""
    device_and_contact = exemptions.device_and_contact_admins
    return (
        NamedPolicy(
            f"{PRODUCT_PREFIX}account-protection",
            "Root lock-down; MFA devices, Force-MFA, contacts and deployment roles guarded",
            _document([
                *root_lockdown_statements(),
                *mfa_device_statements(device_and_contact),
                *recovery_contact_statements(device_and_contact),
                *exemption_statements(exemptions),
                *exempt_user_statements(exemptions),
            ]),
        ),
        NamedPolicy(
            f"{PRODUCT_PREFIX}guardrail-protection",
            "Guardrails, exempt identities, trails and Config changed only by guardrail admins",
            _document(guardrail_statements(exemptions, force_mfa_groups)),
        ),
        NamedPolicy(
            f"{PRODUCT_PREFIX}alert-path-protection",
            "Alerts, dead letters, the silence metric and our functions: ours and admins' only",
            _document(alert_path_statements(exemptions)),
        ),
        NamedPolicy(
            f"{PRODUCT_PREFIX}plane-protection",
            "SCPs and RCPs, StackSets, account switches, default bus, Identity Center MFA",
            _document(plane_statements(exemptions)),
        ),
    )  # fmt: skip
