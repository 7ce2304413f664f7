"""The four service control policies, as plain policy documents (no CDK tokens: SCP content is
account-agnostic, so one document serves every target).

Each statement's reason is in README ("Service control policies"); the policy matrix in
``tests/test_policy_matrix.py`` proves each one, and fails when any statement or condition goes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from constructs_lib.naming import MFA_REQUIRED_GROUP, PRODUCT_PREFIX

Document = dict[str, Any]

# The roles CloudFormation StackSets use in member accounts: service-managed StackSets create
# stacksets-exec-<hash>; self-managed ones use AWSCloudFormationStackSetExecutionRole.
STACKSET_EXECUTION_ROLE_ARNS = (
    "arn:aws:iam::*:role/stacksets-exec-*",
    "arn:aws:iam::*:role/AWSCloudFormationStackSetExecutionRole",
)
ROOT_USER_ARN = "arn:aws:iam::*:root"

# What a member account's root user may still do under the lock-down: manage its own MFA devices,
# including removing a lost one after signing in with alternative factors. Blocking these would
# leave the root-MFA finding impossible to fix.
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
RECOVERY_CONTACT_CHANGES = (
    "account:PutContactInformation",
    "account:PutAlternateContact",
    "account:DeleteAlternateContact",
    "account:StartPrimaryEmailUpdate",
    "account:AcceptPrimaryEmailUpdate",
)
# Changing or deleting the product's own resources, which all carry PRODUCT_PREFIX in their name.
GUARDRAIL_TAMPERING: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "DenyAlertRuleTampering",
        ("events:DeleteRule", "events:DisableRule", "events:PutRule", "events:PutTargets",
         "events:RemoveTargets"),
        (f"arn:aws:events:*:*:rule/{PRODUCT_PREFIX}*",
         f"arn:aws:events:*:*:rule/*/{PRODUCT_PREFIX}*"),
    ),
    (
        "DenyNotifierTampering",
        ("lambda:DeleteFunction", "lambda:UpdateFunctionCode",
         "lambda:UpdateFunctionConfiguration", "lambda:PutFunctionConcurrency",
         "lambda:DeleteFunctionConcurrency", "lambda:RemovePermission"),
        (f"arn:aws:lambda:*:*:function:{PRODUCT_PREFIX}*",),
    ),
    (
        "DenyTopicTampering",
        ("sns:DeleteTopic", "sns:SetTopicAttributes", "sns:RemovePermission", "sns:Unsubscribe"),
        (f"arn:aws:sns:*:*:{PRODUCT_PREFIX}*",),
    ),
    (
        "DenyForceMfaPolicyTampering",
        ("iam:DeletePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicyVersion",
         "iam:SetDefaultPolicyVersion"),
        (f"arn:aws:iam::*:policy/{PRODUCT_PREFIX}*",),
    ),
    (
        "DenyMfaRequiredGroupTampering",
        ("iam:DeleteGroup", "iam:DetachGroupPolicy", "iam:PutGroupPolicy"),
        (f"arn:aws:iam::*:group/{MFA_REQUIRED_GROUP}",),
    ),
)  # fmt: skip
# Config rule ARNs carry a random id, not the rule name, so these cannot be scoped to our rules:
# they protect every rule and the recorder the rules depend on (see README for the trade-off).
CONFIG_TAMPERING = (
    "config:DeleteConfigRule",
    "config:DeleteEvaluationResults",
    "config:StopConfigurationRecorder",
    "config:DeleteConfigurationRecorder",
)


@dataclass(frozen=True)
class NamedPolicy:
    name: str
    description: str
    document: Document


def _document(statements: Sequence[Document]) -> Document:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def root_lockdown() -> Document:
    return _document([{
        "Sid": "DenyRootUserExceptOwnMfaDevices",
        "Effect": "Deny",
        "NotAction": list(ROOT_MFA_SELF_SERVICE),
        "Resource": "*",
        "Condition": {
            "ArnLike": {"aws:PrincipalArn": ROOT_USER_ARN},
            # Present only in sessions from sts:AssumeRoot (centralized root access).
            "Null": {"aws:AssumedRoot": "true"},
        },
    }])  # fmt: skip


def mfa_device_protection(exempt_admins: Sequence[str]) -> Document:
    exempt = [*exempt_admins, ROOT_USER_ARN]
    return _document([
        {
            "Sid": "DenyMfaDeviceRemovalWithoutMfa",
            "Effect": "Deny",
            "Action": list(MFA_DEVICE_REMOVAL),
            "Resource": "*",
            "Condition": {
                "BoolIfExists": {"aws:MultiFactorAuthPresent": "false"},
                "ArnNotLike": {"aws:PrincipalArn": exempt},
            },
        },
        {
            "Sid": "DenyMfaDeviceDeactivationOfOtherUsers",
            "Effect": "Deny",
            "Action": "iam:DeactivateMFADevice",
            "NotResource": "arn:aws:iam::*:user/${aws:username}",
            "Condition": {"ArnNotLike": {"aws:PrincipalArn": exempt}},
        },
        {
            # Roles and federated sessions have no aws:username, so every device is someone
            # else's: stated explicitly rather than relying on how a missing variable evaluates.
            "Sid": "DenyMfaDeviceDeactivationByNonUsers",
            "Effect": "Deny",
            "Action": "iam:DeactivateMFADevice",
            "Resource": "*",
            "Condition": {"ArnNotLike": {"aws:PrincipalArn": [*exempt, "arn:aws:iam::*:user/*"]}},
        },
    ])  # fmt: skip


def recovery_contact_protection(exempt_admins: Sequence[str]) -> Document:
    statement: Document = {
        "Sid": "DenyRecoveryContactChanges",
        "Effect": "Deny",
        "Action": list(RECOVERY_CONTACT_CHANGES),
        "Resource": "*",
    }
    # With no admin configured (allowed in audit mode only: config refuses it when enforcing),
    # nobody is exempt; an empty ArnNotLike list would be rejected by Organizations.
    if exempt_admins:
        statement["Condition"] = {"ArnNotLike": {"aws:PrincipalArn": list(exempt_admins)}}
    return _document([statement])


def guardrail_protection(break_glass: Sequence[str]) -> Document:
    exempt = {"ArnNotLike": {"aws:PrincipalArn": [*STACKSET_EXECUTION_ROLE_ARNS, *break_glass]}}
    statements: list[Document] = [
        {"Sid": sid, "Effect": "Deny", "Action": list(actions), "Resource": list(resources),
         "Condition": exempt}
        for sid, actions, resources in GUARDRAIL_TAMPERING
    ]  # fmt: skip
    statements.append({
        "Sid": "DenyConfigTampering",
        "Effect": "Deny",
        "Action": list(CONFIG_TAMPERING),
        "Resource": "*",
        "Condition": exempt,
    })  # fmt: skip
    return _document(statements)


def service_control_policies(
    *, break_glass: Sequence[str], exempt_admins: Sequence[str]
) -> tuple[NamedPolicy, ...]:
    """Every SCP of the product, named with the product prefix."""
    return (
        NamedPolicy(f"{PRODUCT_PREFIX}root-lockdown",
                    "Deny member root users everything but managing their own MFA devices",
                    root_lockdown()),
        NamedPolicy(f"{PRODUCT_PREFIX}mfa-device-protection",
                    "Deny removing MFA devices without MFA, or other users' devices",
                    mfa_device_protection(exempt_admins)),
        NamedPolicy(f"{PRODUCT_PREFIX}recovery-contact-protection",
                    "Deny changing account contacts (the root recovery path) except admins",
                    recovery_contact_protection(exempt_admins)),
        NamedPolicy(f"{PRODUCT_PREFIX}guardrail-protection",
                    "Deny changing mfa-guardrails resources except StackSets and break-glass",
                    guardrail_protection(break_glass)),
    )  # fmt: skip
