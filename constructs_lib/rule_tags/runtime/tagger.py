"""Tags the product's Config rules at deploy time (a CloudFormation custom resource).

CloudFormation cannot tag a Config rule, and a rule's ARN carries a random id, not its name: the
tag is how the guardrail SCP tells our rules from a team's own. The stack fails when a rule cannot
be tagged, rather than leaving it unprotected. Inline code (asset-free, for the member StackSet):
standard library and boto3 only, and CloudFormation's response sent here, not by a helper module.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import boto3

PHYSICAL_ID = "mfa-guardrails-config-rule-tags"


def tag_rules(client: Any, properties: dict[str, Any]) -> None:
    tags = [{"Key": key, "Value": value} for key, value in sorted(properties["Tags"].items())]
    for arn in properties["RuleArns"]:
        client.tag_resource(ResourceArn=arn, Tags=tags)


def response(event: dict[str, Any], error: BaseException | None) -> dict[str, str]:
    """The document CloudFormation waits for; a failure names the call and the reason."""
    return {
        "Status": "FAILED" if error else "SUCCESS",
        "Reason": f"{type(error).__name__}: {error}"[:1000] if error else "rules tagged",
        "PhysicalResourceId": event.get("PhysicalResourceId") or PHYSICAL_ID,
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
    }


def handler(event: dict[str, Any], context: Any) -> None:
    error: BaseException | None = None
    try:
        # Deleting the custom resource leaves the tags: the rules go with their stack, and a
        # rule kept by an upgrade stays protected.
        if event["RequestType"] in ("Create", "Update"):
            tag_rules(boto3.client("config"), event["ResourceProperties"])
    except Exception as failure:  # reported to CloudFormation, which fails the stack
        error = failure
    body = json.dumps(response(event, error)).encode()
    request = urllib.request.Request(  # CloudFormation's pre-signed S3 URL
        event["ResponseURL"], data=body, method="PUT", headers={"Content-Type": ""}
    )
    with urllib.request.urlopen(request, timeout=30):
        pass
    print(json.dumps({"request": event["RequestType"], "error": str(error) if error else None}))
