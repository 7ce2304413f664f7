"""A read-only role for the organization readiness report
(``mfa-guardrails org-readiness``).

It may make exactly the calls of the readiness checks (contacts, root and users' MFA, who would be
locked out, the alert path's trail and recorder), each read-only, and is trusted by one account
only: the one that runs the report (the security account, the organization's delegated
administrator, which may list the accounts), and there only by the given principals (its
break-glass and admin principals): what it reads is a list of the weakest users of every
account. Named with the product prefix, so the guardrail SCP keeps anyone in the member from
widening its trust or permissions.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Acknowledgment, Validations
from aws_cdk import aws_iam as iam
from constructs import Construct

from constructs_lib.detective.construct import (
    PREREQUISITE_ACTIONS,
    READINESS_ACCOUNT_ACTIONS,
    READINESS_IAM_USER_ACTIONS,
    READINESS_LOCKOUT_ACTIONS,
)
from constructs_lib.naming import READINESS_READER_ROLE_NAME

READER_ACTIONS = (
    *READINESS_ACCOUNT_ACTIONS,
    *READINESS_IAM_USER_ACTIONS,
    "iam:GetAccountSummary",
    "iam:ListUsers",
    *READINESS_LOCKOUT_ACTIONS,
    *PREREQUISITE_ACTIONS,
)


@dataclass(frozen=True, kw_only=True)
class ReadinessReaderProps:
    """``trusted_account_id``: the only account whose principals may assume the role;
    ``trusted_principal_arns``: ARN patterns of the principals there that may (empty: any
    principal of that account its own policies let assume roles)."""

    trusted_account_id: str
    trusted_principal_arns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not (len(self.trusted_account_id) == 12 and self.trusted_account_id.isdigit()):
            raise ValueError(
                f"invalid ReadinessReaderProps: trusted_account_id {self.trusted_account_id!r} "
                "must be a 12-digit account id (the account that runs the report)"
            )


class ReadinessReader(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, props: ReadinessReaderProps
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            role_name=READINESS_READER_ROLE_NAME,
            assumed_by=iam.AccountPrincipal(props.trusted_account_id).with_conditions(
                {"ArnLike": {"aws:PrincipalArn": list(props.trusted_principal_arns)}}
            ) if props.trusted_principal_arns else iam.AccountPrincipal(
                props.trusted_account_id),
            description="mfa-guardrails: read-only readiness checks for the organization report",
            inline_policies={
                "ReadinessChecks": iam.PolicyDocument(statements=[
                    iam.PolicyStatement(actions=list(READER_ACTIONS), resources=["*"]),
                ]),
            },
        )  # fmt: skip
        Validations.of(self.role).acknowledge(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-IAM5[Resource::*]",
                reason="Read-only calls of the readiness checks on this account's users, keys, "
                "devices, contacts, trails and recorder, whose names are not known at synth; "
                "nothing is written.",
            )
        )
