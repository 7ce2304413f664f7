"""Synth-time assertions for the Force-MFA policy and group (the policy matrix proves its logic)."""

from __future__ import annotations

from aws_cdk.assertions import Match

from tests.synth import Synthesized

STACK = "MfaGuardrails"


def test_policy_is_attached_to_the_mfa_required_group(default_synth: Synthesized) -> None:
    template = default_synth.template(STACK)
    template.has_resource_properties(
        "AWS::IAM::Group",
        {
            "GroupName": "MfaRequired",
            "ManagedPolicyArns": [{"Ref": Match.string_like_regexp("ForceMfaPolicy")}],
        },
    )


def test_deny_covers_absent_mfa_key(default_synth: Synthesized) -> None:
    """BoolIfExists, not Bool: access-key requests carry no MultiFactorAuthPresent key."""
    template = default_synth.template(STACK)
    template.has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Sid": "DenyAllButSelfServiceWithoutMfa",
                                "Effect": "Deny",
                                "Condition": {
                                    "BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}
                                },
                            }
                        )
                    ]
                )
            },
        },
    )


def test_audit_attaches_nothing_beyond_the_group(default_synth: Synthesized) -> None:
    template = default_synth.template(STACK)
    template.has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {
            "Groups": Match.absent(),
            "Roles": Match.absent(),
        },
    )


def test_enforce_attaches_to_named_groups_and_roles(enforce_synth: Synthesized) -> None:
    template = enforce_synth.template(STACK)
    template.has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {
            "Groups": ["Developers"],
            "Roles": ["ConsoleUsers"],
        },
    )
