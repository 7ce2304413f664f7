"""Deploy part of an environment-agnostic template in one region only.

A StackSet deploys the same template to every target region, but IAM resources are global (a
second region would collide on their names) and global Config rules would duplicate findings, so
those resources carry a CloudFormation condition on ``AWS::Region`` instead.
"""

from __future__ import annotations

from aws_cdk import Aws, CfnCondition, CfnResource, Fn, Stack
from constructs import IConstruct


def deploy_only_in(construct: IConstruct, region: str) -> CfnCondition:
    """Put every CloudFormation resource under ``construct`` behind ``AWS::Region == region``."""
    stack = Stack.of(construct)
    condition_id = "In" + "".join(part.title() for part in region.split("-"))
    condition = stack.node.try_find_child(condition_id)
    if not isinstance(condition, CfnCondition):
        condition = CfnCondition(
            stack, condition_id, expression=Fn.condition_equals(Aws.REGION, region)
        )
    for child in construct.node.find_all():
        if isinstance(child, CfnResource):
            child.cfn_options.condition = condition
    return condition
