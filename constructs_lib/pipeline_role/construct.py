"""A deploy-only role for GitHub Actions, assumed with short-lived OIDC credentials.

The trust policy pins both claims GitHub's token carries: ``aud`` (the audience
configure-aws-credentials requests, ``sts.amazonaws.com``) and ``sub`` (this repository and its
protected deployment environment), so no other repository, fork, branch or job can assume it.
The role itself can only assume the CDK bootstrap roles, which do the actual deployment: a leaked
token deploys the reviewed templates, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Acknowledgment, Aws, Duration, Validations
from aws_cdk import aws_iam as iam
from constructs import Construct

from constructs_lib.naming import GITHUB_DEPLOY_ROLE_NAME

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
STS_AUDIENCE = "sts.amazonaws.com"


@dataclass(frozen=True, kw_only=True)
class GitHubDeployRoleProps:
    """``repository`` is ``owner/name``; ``environment`` is the GitHub deployment environment
    whose jobs may deploy (its protection rules are the approval step). ``other_account_ids``:
    accounts besides this one whose CDK bootstrap roles it deploys through (the security account
    of the organization topology, bootstrapped with ``--trust`` of this account)."""

    repository: str
    environment: str = "production"
    existing_provider_arn: str | None = None
    cdk_bootstrap_qualifier: str = "hnb659fds"
    other_account_ids: tuple[str, ...] = ()


class GitHubDeployRole(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, props: GitHubDeployRoleProps
    ) -> None:
        super().__init__(scope, construct_id)
        provider_arn = props.existing_provider_arn or iam.OidcProviderNative(
            self, "GitHubOidcProvider", url=f"https://{GITHUB_OIDC_HOST}",
            client_ids=[STS_AUDIENCE],
        ).oidc_provider_arn  # fmt: skip
        subject = f"repo:{props.repository}:environment:{props.environment}"
        self.role = iam.Role(
            self,
            "Role",
            role_name=GITHUB_DEPLOY_ROLE_NAME,
            description=f"mfa-guardrails: GitHub Actions deploys from {subject}",
            max_session_duration=Duration.hours(1),
            assumed_by=iam.WebIdentityPrincipal(
                provider_arn,
                conditions={
                    "StringEquals": {
                        f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE,
                        f"{GITHUB_OIDC_HOST}:sub": subject,
                    }
                },
            ),
        )
        bootstrap_roles = [
            f"arn:{Aws.PARTITION}:iam::{account}:role/"
            f"cdk-{props.cdk_bootstrap_qualifier}-*-role-{account}-*"
            for account in (Aws.ACCOUNT_ID, *props.other_account_ids)
        ]
        self.role.add_to_policy(iam.PolicyStatement(
            sid="AssumeCdkBootstrapRolesOnly",
            actions=["sts:AssumeRole", "sts:TagSession"],
            resources=bootstrap_roles,
        ))  # fmt: skip
        for account in ("<AWS::AccountId>", *props.other_account_ids):
            Validations.of(self.role).acknowledge(
                Acknowledgment(
                    id="AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::"
                    f"{account}:role/cdk-{props.cdk_bootstrap_qualifier}-*-role-{account}-*]",
                    reason="The CDK bootstrap roles (deploy, file-publishing, lookup) are named "
                    "cdk-<qualifier>-<purpose>-role-<account>-<region>; the wildcard spans only "
                    "purpose and region of one deployed account's bootstrap.",
                )
            )
