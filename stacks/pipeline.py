"""Optional stack: the role a GitHub Actions pipeline assumes to deploy mfa-guardrails."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from constructs import Construct

from constructs_lib.pipeline_role import GitHubDeployRole, GitHubDeployRoleProps


class PipelineStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, props: GitHubDeployRoleProps, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.deploy_role = GitHubDeployRole(self, "GitHubDeployRole", props=props)
