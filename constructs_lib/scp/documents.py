"""The product's service control policies, as plain policy documents (no CDK tokens: SCP content is
account-agnostic, so one document serves every target).

Two SCPs, so that an OU keeps two of its five SCP slots free (FullAWSAccess takes the third):

* ``account-protection``: the root lock-down, MFA-device protection, recovery-contact
  protection, and what would free a principal of MFA or make it exempt (detaching Force-MFA,
  assuming a deployment role);
* ``guardrail-protection``: everything whose loss silences an alert or lifts a guardrail (the
  product's own resources and stacks, every exempt identity and every name an exemption matches,
  membership of the groups that hold Force-MFA, the alert key, the Config recorder, rules and
  delivery channel, the CloudTrail trails, the bus permissions, membership of the
  organization), changeable only by the guardrail administrators.

Each statement's reason is in README ("Service control policies"); ``tests/policy/`` proves them
from the attacker's side (cells, attack chains, catalog sweeps) and shows each statement and
condition is load-bearing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from constructs_lib.alerting.runtime.catalog import CANARY_ROLE_NAME
from constructs_lib.naming import MFA_REQUIRED_GROUP, PRODUCT_PREFIX, STACK_NAME_PREFIX

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
# including removing a lost one after signing in with alternative factors. Blocking these would
# leave the root-MFA finding impossible to fix; account-protection keeps root off users' devices.
ROOT_MFA_SELF_SERVICE = (
    "iam:CreateVirtualMFADevice",
    "iam:EnableMFADevice",
    "iam:ResyncMFADevice",
    "iam:DeactivateMFADevice",
    "iam:DeleteVirtualMFADevice",
    "iam:ListMFADevices",
    "iam:ListVirtualMFADevices",
    "iam:GetAccountSummary",
)
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
# restrict); nobody else has a reason to create or change a role there.
AWS_RESERVED_ROLES = "arn:aws:iam::*:role/aws-reserved/*"
# What the alerts stand on, whoever owns it: without a logging trail EventBridge receives no
# CloudTrail event, and without the recorder no Config rule evaluates. Config rule ARNs carry a
# random id, not a name, so every rule is protected (as Control Tower's own guardrail does).
LIFELINE_ARNS = (
    "arn:aws:cloudtrail:*:*:trail/*",
    "arn:aws:config:*:*:config-rule/*",
    "arn:aws:config:*:*:configuration-recorder/*",
)
# What anyone may still do to a protected resource: read it, and use it as the alert path does
# (forward events, publish alerts, encrypt, replay dead letters). Trust policies, which only the
# guardrail administrators may change, decide who assumes a protected role.
READ_AND_USE = (
    "iam:Get*", "iam:List*", "iam:Simulate*", "iam:GenerateServiceLastAccessedDetails",
    "iam:AddUserToGroup",  # onboarding: joining MfaRequired only adds the guardrail
    "sts:*",
    "events:Describe*", "events:List*", "events:PutEvents",
    "lambda:Get*", "lambda:List*",
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
    ``admins`` may, besides them, remove lost MFA devices and fix recovery contacts.
    """

    break_glass: tuple[str, ...]
    admins: tuple[str, ...]
    automation: tuple[str, ...]

    @property
    def device_and_contact_admins(self) -> tuple[str, ...]:
        return self.break_glass + self.admins

    @property
    def guardrail_admins(self) -> tuple[str, ...]:
        return (*STACKSET_EXECUTION_ROLE_ARNS, *self.break_glass, *self.automation)

    @property
    def protected_identities(self) -> tuple[str, ...]:
        """Every exempt identity, and every name an exemption matches: changing one, or creating
        one where it does not exist yet, is how a principal would make itself exempt."""
        return tuple(dict.fromkeys((*self.guardrail_admins, *self.admins)))


def _document(statements: Sequence[Document]) -> Document:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _unless(principals: Sequence[str]) -> Document:
    return {"ArnNotLike": {"aws:PrincipalArn": list(principals)}}


def root_lockdown_statements() -> list[Document]:
    return [{
        "Sid": "DenyRootUserExceptOwnMfaDevices",
        "Effect": "Deny",
        "NotAction": list(ROOT_MFA_SELF_SERVICE),
        "Resource": "*",
        "Condition": {
            "ArnLike": {"aws:PrincipalArn": ROOT_USER_ARN},
            # Present only in sessions from sts:AssumeRoot (centralized root access), which
            # their task policies already confine to the root user's own credentials.
            "Null": {"aws:AssumedRoot": "true"},
        },
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
                *PRODUCT_RESOURCE_ARNS, AWS_RESERVED_ROLES, *exemptions.protected_identities,
                *LIFELINE_ARNS,
            ],
            # The canary is let through here and confined by the next two statements.
            "Condition": _unless((*exemptions.guardrail_admins, CANARY_ROLE_ARN)),
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
            ]),
        ),
        NamedPolicy(
            f"{PRODUCT_PREFIX}guardrail-protection",
            "Guardrails, exempt identities, trails and Config changed only by guardrail admins",
            _document(guardrail_statements(exemptions, force_mfa_groups)),
        ),
    )  # fmt: skip
