"""Force-MFA: an IAM managed policy that denies everything but MFA self-enrolment until the caller
has signed in with MFA, attached to a ``MfaRequired`` group (and, when enforcing, to named groups
and roles).

It follows AWS's documented "let IAM users manage their own MFA device" pattern, with four
deliberate tightenings, each proven from the attacker's side in ``tests/policy/``:

* the deny uses ``BoolIfExists`` so long-term access keys (whose requests carry no
  ``aws:MultiFactorAuthPresent`` key at all) are denied too; plain ``Bool`` is the known hole;
* enrolment is bootstrap-only: from a console session signed in without MFA (key present and
  false), never from long-term keys (key absent). A user may hold up to eight devices, so with
  the documented pattern stolen keys enrol a second device, exchange it for an MFA session with
  ``sts:GetSessionToken`` and own the user;
* the self-service actions left open without MFA are denied on any user but the caller (with or
  without a path), so a stolen password cannot enrol an attacker's device on somebody else;
* a holder that is not an IAM user (a role named in ``attach-to-role-names``) gets nothing
  without MFA: it has no user of its own, and ``${aws:username}`` is absent for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Acknowledgment, Aws, Validations
from aws_cdk import aws_iam as iam
from constructs import Construct

from constructs_lib.force_mfa.actions import (
    CONSOLE_ONLY_WITHOUT_MFA,
    SELF_SERVICE_WITHOUT_MFA,
    SELF_TARGETED_WITHOUT_MFA,
)
from constructs_lib.naming import MFA_REQUIRED_GROUP, PRODUCT_PREFIX

MFA_PRESENT = "aws:MultiFactorAuthPresent"

@dataclass(frozen=True, kw_only=True)
class ForceMfaProps:
    """What the Force-MFA construct creates and attaches.

    ``attach`` is False in ``audit`` mode: the policy and the (empty) group exist, nothing else
    is bound, so a platform team can read the policy and run the readiness report first.
    """

    managed_policy_name: str = f"{PRODUCT_PREFIX}force-mfa"
    group_name: str = MFA_REQUIRED_GROUP
    attach: bool = False
    attach_to_group_names: tuple[str, ...] = ()
    attach_to_role_names: tuple[str, ...] = ()


class ForceMfa(Construct):
    """The Force-MFA managed policy and the ``MfaRequired`` group it is attached to."""

    def __init__(self, scope: Construct, construct_id: str, *, props: ForceMfaProps) -> None:
        super().__init__(scope, construct_id)
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            managed_policy_name=props.managed_policy_name,
            description="mfa-guardrails: deny all but MFA self-service until signed in with MFA",
            statements=force_mfa_statements(),
        )
        self.group = iam.Group(
            self, "Group", group_name=props.group_name, managed_policies=[self.policy]
        )
        if props.attach:
            for name in props.attach_to_group_names:
                self.policy.attach_to_group(iam.Group.from_group_name(self, f"Group-{name}", name))
            for name in props.attach_to_role_names:
                self.policy.attach_to_role(iam.Role.from_role_name(self, f"Role-{name}", name))
        Validations.of(self.policy).acknowledge(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-IAM5[Resource::*]",
                reason="The Deny must cover every resource; iam:ListVirtualMFADevices, "
                "iam:GetAccountPasswordPolicy and sts:GetSessionToken accept no resource ARN.",
            ),
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-IAM5"
                "[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:mfa/*]",
                reason="iam:CreateVirtualMFADevice names the new device freely, so only mfa/* "
                "fits; a device does nothing until EnableMFADevice binds it to the caller's user.",
            ),
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-IAM5"
                "[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:user/*/<aws:username>]",
                reason="The caller's own user when it has a path (user/eng/carol): IAM user "
                "names are unique in an account whatever the path and contain no '/', so this "
                "matches the caller's user and no other.",
            ),
        )


def force_mfa_statements() -> list[iam.PolicyStatement]:
    """The Force-MFA statements; each Sid is explained in README ("Force-MFA policy")."""
    user = f"arn:{Aws.PARTITION}:iam::{Aws.ACCOUNT_ID}:user/"
    # User names are unique in an account whatever the path, and never contain "/".
    own_user = [f"{user}${{aws:username}}", f"{user}*/${{aws:username}}"]
    any_virtual_device = f"arn:{Aws.PARTITION}:iam::{Aws.ACCOUNT_ID}:mfa/*"
    return [
        iam.PolicyStatement(
            sid="AllowViewOwnUserAndDevices",
            actions=["iam:GetUser", "iam:ListMFADevices", "iam:GetMFADevice"],
            resources=own_user,
        ),
        iam.PolicyStatement(
            sid="AllowListVirtualDevicesAndPasswordPolicy",
            actions=["iam:ListVirtualMFADevices", "iam:GetAccountPasswordPolicy"],
            resources=["*"],
        ),
        iam.PolicyStatement(
            sid="AllowCreateVirtualDevice",
            actions=["iam:CreateVirtualMFADevice"],
            resources=[any_virtual_device],
        ),
        iam.PolicyStatement(
            sid="AllowEnableAndResyncOwnDevice",
            actions=["iam:EnableMFADevice", "iam:ResyncMFADevice"],
            resources=own_user,
        ),
        iam.PolicyStatement(
            sid="AllowChangeOwnPassword",
            actions=["iam:ChangePassword"],
            resources=own_user,
        ),
        iam.PolicyStatement(
            sid="AllowGetSessionTokenForMfaSession",
            actions=["sts:GetSessionToken"],
            resources=["*"],
        ),
        iam.PolicyStatement(
            # Needs MFA: the Deny below covers it, as it is not self-service.
            sid="AllowDeactivateOwnDevice",
            actions=["iam:DeactivateMFADevice"],
            resources=own_user,
        ),
        iam.PolicyStatement(
            sid="DenyAllButSelfServiceWithoutMfa",
            effect=iam.Effect.DENY,
            not_actions=list(SELF_SERVICE_WITHOUT_MFA),
            resources=["*"],
            conditions={"BoolIfExists": {MFA_PRESENT: "false"}},
        ),
        iam.PolicyStatement(
            sid="DenySelfServiceOnOtherUsersWithoutMfa",
            effect=iam.Effect.DENY,
            actions=list(SELF_TARGETED_WITHOUT_MFA),
            not_resources=own_user,
            conditions={"BoolIfExists": {MFA_PRESENT: "false"}},
        ),
        iam.PolicyStatement(
            sid="DenyEnrolmentFromLongTermKeys",
            effect=iam.Effect.DENY,
            actions=list(CONSOLE_ONLY_WITHOUT_MFA),
            resources=["*"],
            conditions={"Null": {MFA_PRESENT: "true"}},
        ),
        iam.PolicyStatement(
            sid="DenyEverythingToNonUsersWithoutMfa",
            effect=iam.Effect.DENY,
            actions=["*"],
            resources=["*"],
            conditions={
                "BoolIfExists": {MFA_PRESENT: "false"},
                "ArnNotLike": {"aws:PrincipalArn": f"{user}*"},
            },
        ),
    ]
