"""One CloudFormation dependency fix shared by the product's Lambda functions."""

from __future__ import annotations

from aws_cdk import CfnResource
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_


def depend_on_role_policy_only(function: lambda_.Function, role: iam.Role) -> None:
    """Keep only the function's DependsOn on its role's policy.

    The function references the role by GetAtt already; CDK's extra DependsOn on the role is
    what cfn-lint W3005 reports. The DependsOn on the role's policy is not implied and lets the
    function start with its permissions in place.
    """
    policy = role.node.try_find_child("DefaultPolicy")
    function_resource = function.node.default_child
    if isinstance(policy, iam.Policy) and isinstance(function_resource, CfnResource):
        policy_resource = policy.node.default_child
        if isinstance(policy_resource, CfnResource):
            function_resource.add_override("DependsOn", [policy_resource.logical_id])
