"""The IAM role a GitHub Actions pipeline assumes through OIDC to deploy mfa-guardrails."""

from constructs_lib.pipeline_role.construct import GitHubDeployRole, GitHubDeployRoleProps

__all__ = ["GitHubDeployRole", "GitHubDeployRoleProps"]
