"""Tags our Config rules at deploy time (a custom resource): CloudFormation cannot, and the
guardrail SCP knows our rules by the tag. A rule that cannot be tagged fails the stack. Inline
code (the member StackSet is asset-free, 4 KB at most): standard library and boto3 only."""

from __future__ import annotations

import json
import os
import urllib.request
from typing import Any

import boto3

PHYSICAL_ID = "mfa-guardrails-config-rule-tags"
# The tag is the function's own configuration, never the event's: an invoker names rules only.
TAG_KEY_ENV, TAG_VALUE_ENV = "TAG_KEY", "TAG_VALUE"


class RuleChangedError(Exception):
    """A rule is not what its template made: changed before the tag protected it."""


def differences(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """What another caller changed of the rule CloudFormation made (``expected``)."""
    source = actual.get("Source", {})
    found = {
        "Owner": source.get("Owner"),
        "SourceIdentifier": source.get("SourceIdentifier"),
        "MaximumExecutionFrequency": actual.get("MaximumExecutionFrequency"),
        "InputParameters": json.loads(actual.get("InputParameters") or "{}"),
        "Scope": actual.get("Scope") or {},
    }
    wanted = {**{key: expected.get(key) for key in found}, "Scope": {},
              "InputParameters": expected.get("InputParameters") or {}}  # fmt: skip
    return [f"{key} {found[key]!r}, not {wanted[key]!r}" for key in found
            if found[key] != wanted[key]]  # fmt: skip


def tag_rules(client: Any, properties: dict[str, Any]) -> None:
    """Each rule still its template's (anyone may change it until tagged), then tag them all."""
    rules = properties["Rules"]
    described = client.describe_config_rules(ConfigRuleNames=[r["Name"] for r in rules])
    by_name = {rule["ConfigRuleName"]: rule for rule in described["ConfigRules"]}
    for rule in rules:
        if rule["Name"] not in by_name:
            raise RuleChangedError(f"{rule['Name']} is gone: deleted before it was protected")
        changed = differences(rule, by_name[rule["Name"]])
        if changed:
            raise RuleChangedError(f"{rule['Name']} was changed before it was protected: "
                                   f"{'; '.join(changed)}. Find who in CloudTrail "
                                   "(PutConfigRule), then deploy again")  # fmt: skip
    tags = [{"Key": os.environ[TAG_KEY_ENV], "Value": os.environ[TAG_VALUE_ENV]}]
    for rule in rules:
        client.tag_resource(ResourceArn=rule["Arn"], Tags=tags)


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
