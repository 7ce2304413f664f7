"""The Config rule tagger: what the guardrail SCP knows our rules by.

A rule CloudFormation created but nobody tagged is a rule the SCP leaves to anyone, so every rule
of every template must be named in a tagging resource, and a tagging failure must fail the stack.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_config as config
from botocore.stub import Stubber
from moto import mock_aws

from constructs_lib.naming import PROTECTED_TAG_KEY, PROTECTED_TAG_VALUE
from constructs_lib.rule_tags import ConfigRuleTagsProps
from constructs_lib.rule_tags.runtime import tagger
from tests.synth import Synthesized

REGION = "us-east-1"
TAG_RESOURCE = "Custom::MfaGuardrailsConfigRuleTags"


def _expected(arn: str, name: str, identifier: str = "ROOT_ACCOUNT_MFA_ENABLED") -> dict[str, Any]:
    """A rule as the template describes it (CloudFormation passes every value as a string)."""
    return {"Arn": arn, "Name": name, "Owner": "AWS", "SourceIdentifier": identifier,
            "MaximumExecutionFrequency": "TwentyFour_Hours", "InputParameters": {}}  # fmt: skip


def _event(request_type: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "RequestType": request_type,
        "ResponseURL": "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x",
        "StackId": "arn:aws:cloudformation:us-east-1:333333333333:stack/StackSet-x/0a1b",
        "RequestId": "5d1f0c6e",
        "LogicalResourceId": "DetectiveRuleTags",
        "ResourceType": TAG_RESOURCE,
        "ResourceProperties": {
            "ServiceToken": "arn:aws:lambda:us-east-1:333333333333:function:x",
            "Rules": rules,
            "Tags": {PROTECTED_TAG_KEY: PROTECTED_TAG_VALUE},
        },
    }


@pytest.fixture
def responses(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What the handler sends CloudFormation (no network: the PUT is captured)."""
    sent: list[dict[str, Any]] = []

    class _Response:
        def __enter__(self) -> _Response:
            return self

        def __exit__(self, *_: object) -> None:
            return None

    def urlopen(request: Any, timeout: float) -> _Response:
        assert request.get_method() == "PUT"
        assert request.full_url.startswith("https://cloudformation-custom-resource-response")
        sent.append(json.loads(request.data))
        return _Response()

    monkeypatch.setattr("urllib.request.urlopen", urlopen)
    return sent


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv(tagger.TAG_KEY_ENV, PROTECTED_TAG_KEY)
    monkeypatch.setenv(tagger.TAG_VALUE_ENV, PROTECTED_TAG_VALUE)
    with mock_aws():
        yield boto3.client("config", region_name=REGION)


def _rule(client: Any, name: str, identifier: str = "ROOT_ACCOUNT_MFA_ENABLED") -> dict[str, Any]:
    """The rule as CloudFormation would make it, and as its template describes it."""
    client.put_configuration_recorder(ConfigurationRecorder={
        "name": "default", "roleARN": "arn:aws:iam::123456789012:role/config"})  # fmt: skip
    client.put_config_rule(ConfigRule={
        "ConfigRuleName": name, "MaximumExecutionFrequency": "TwentyFour_Hours",
        "Source": {"Owner": "AWS", "SourceIdentifier": identifier},
    })  # fmt: skip
    (rule,) = client.describe_config_rules(ConfigRuleNames=[name])["ConfigRules"]
    return _expected(str(rule["ConfigRuleArn"]), name, identifier)


def test_create_tags_every_rule_and_reports_success(
    aws: Any, responses: list[dict[str, Any]]
) -> None:
    rules = [_rule(aws, "mfa-guardrails-root-account-mfa-enabled"),
             _rule(aws, "mfa-guardrails-iam-user-mfa-enabled", "IAM_USER_MFA_ENABLED")]
    tagger.handler(_event("Create", rules), None)
    for rule in rules:
        tags = aws.list_tags_for_resource(ResourceArn=rule["Arn"])["Tags"]
        assert tags == [{"Key": PROTECTED_TAG_KEY, "Value": PROTECTED_TAG_VALUE}]
    (sent,) = responses
    assert sent["Status"] == "SUCCESS"
    assert sent["PhysicalResourceId"] == tagger.PHYSICAL_ID
    assert (sent["RequestId"], sent["LogicalResourceId"]) == ("5d1f0c6e", "DetectiveRuleTags")


def test_a_rule_that_cannot_be_tagged_fails_the_stack_with_the_reason(
    aws: Any, responses: list[dict[str, Any]]
) -> None:
    """An untagged rule is unprotected: CloudFormation must hear of it, not a silent success."""
    missing = f"arn:aws:config:{REGION}:123456789012:config-rule/config-rule-gone00"
    tagger.handler(_event("Update", [_expected(missing, "mfa-guardrails-gone")]), None)
    (sent,) = responses
    assert sent["Status"] == "FAILED"
    assert "mfa-guardrails-gone is gone" in sent["Reason"]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"Source": {"Owner": "AWS", "SourceIdentifier": "IAM_PASSWORD_POLICY"}},
         "SourceIdentifier 'IAM_PASSWORD_POLICY', not 'ROOT_ACCOUNT_MFA_ENABLED'"),
        ({"Scope": {"ComplianceResourceTypes": ["AWS::S3::Bucket"]}}, "Scope"),
        ({"MaximumExecutionFrequency": "One_Hour"}, "MaximumExecutionFrequency 'One_Hour'"),
    ],
)
def test_a_rule_changed_before_it_was_tagged_fails_the_stack_untagged(
    aws: Any, responses: list[dict[str, Any]], change: dict[str, Any], named: str
) -> None:
    """The race: a rule is anyone's until tagged. Overwritten in between (always compliant,
    scoped to nothing), it must not be protected as ours: the stack fails instead."""
    rule = _rule(aws, "mfa-guardrails-root-account-mfa-enabled")
    aws.put_config_rule(ConfigRule={
        "ConfigRuleName": rule["Name"],
        "Source": {"Owner": "AWS", "SourceIdentifier": "ROOT_ACCOUNT_MFA_ENABLED"},
        "MaximumExecutionFrequency": "TwentyFour_Hours", **change,
    })  # fmt: skip
    tagger.handler(_event("Create", [rule]), None)
    (sent,) = responses
    assert sent["Status"] == "FAILED"
    assert "was changed before it was protected" in sent["Reason"]
    assert named in sent["Reason"]
    assert aws.list_tags_for_resource(ResourceArn=rule["Arn"])["Tags"] == []


def test_delete_leaves_the_tags_and_calls_nothing(
    responses: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = boto3.client("config", region_name=REGION)
    monkeypatch.setattr("boto3.client", lambda *_a, **_k: client)
    with Stubber(client) as stub:  # any call would fail: nothing is expected
        tagger.handler(_event("Delete", [_expected("arn:aws:config:us-east-1:1:config-rule/x",
                                                   "x")]), None)  # fmt: skip
        stub.assert_no_pending_responses()
    assert [r["Status"] for r in responses] == ["SUCCESS"]


def _templates(*synths: Synthesized) -> Iterator[tuple[str, dict[str, Any]]]:
    for synth in synths:
        yield from synth.templates.items()
        for path in sorted(Path(synth.outdir).glob("*.stackset.template.json")):
            yield path.name, json.loads(path.read_text())


def test_every_rule_of_every_template_is_tagged_by_a_tagger_of_its_own(
    default_synth: Synthesized, org_synth: Synthesized
) -> None:
    """Each rule's ARN is in a tagging resource of its template, with the protection tag, under
    the same region condition; the tagger's role may tag exactly those rules with that key."""
    seen = 0
    for name, template in _templates(default_synth, org_synth):
        resources = template.get("Resources", {})
        rules = {i: r for i, r in resources.items() if r["Type"] == "AWS::Config::ConfigRule"}
        taggers = [r for r in resources.values() if r["Type"] == TAG_RESOURCE]
        if not rules:
            assert taggers == [], name
            continue
        (tags,) = taggers
        props = tags["Properties"]
        assert props["Tags"] == {PROTECTED_TAG_KEY: PROTECTED_TAG_VALUE}
        assert sorted(r["Arn"]["Fn::GetAtt"][0] for r in props["Rules"]) == sorted(rules), name
        for expected in props["Rules"]:  # what the tagger compares is what the template makes
            made = rules[expected["Arn"]["Fn::GetAtt"][0]]["Properties"]
            assert expected["Name"] == made["ConfigRuleName"]
            assert expected["Owner"] == made["Source"]["Owner"]
            assert expected["SourceIdentifier"] == made["Source"]["SourceIdentifier"]
            assert expected["MaximumExecutionFrequency"] == made["MaximumExecutionFrequency"]
            assert expected["InputParameters"] == made.get("InputParameters", {})
            assert "Scope" not in made
        assert {r.get("Condition") for r in rules.values()} == {tags.get("Condition")}
        function = resources[props["ServiceToken"]["Fn::GetAtt"][0]]
        assert set(function["Properties"]["Code"]) == {"ZipFile"}  # asset-free
        role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
        assert resources[role_id]["Properties"]["RoleName"].startswith(
            "mfa-guardrails-rule-tagger-")  # a runtime role the SCPs let tag our rules
        policies = [r["Properties"]["PolicyDocument"] for r in resources.values()
                    if r["Type"] == "AWS::IAM::Policy"
                    and {"Ref": role_id} in r["Properties"]["Roles"]]
        (grant,) = [s for p in policies for s in p["Statement"] if s["Sid"] == "TagOurRules"]
        assert grant["Action"] == "config:TagResource"
        granted = grant["Resource"] if isinstance(grant["Resource"], list) else [grant["Resource"]]
        assert sorted(a["Fn::GetAtt"][0] for a in granted) == sorted(rules)
        assert grant["Condition"] == {
            "ForAllValues:StringEquals": {"aws:TagKeys": [PROTECTED_TAG_KEY]},
            "StringEquals": {f"aws:RequestTag/{PROTECTED_TAG_KEY}": PROTECTED_TAG_VALUE},
        }
        assert function["Properties"]["Environment"]["Variables"] == {
            "TAG_KEY": PROTECTED_TAG_KEY, "TAG_VALUE": PROTECTED_TAG_VALUE}
        seen += 1
    assert seen >= 4  # single account; management, security and member baselines


def test_props_name_every_problem_at_once() -> None:
    stack = Stack(App(), "S")
    rule = config.ManagedRule(stack, "R", identifier="ROOT_ACCOUNT_MFA_ENABLED")
    with pytest.raises(ValueError, match=r"rules is empty.*name 'Bad Name'"):
        ConfigRuleTagsProps(name="Bad Name", rules=[])
    assert ConfigRuleTagsProps(name="managed-rules", rules=[rule]).tagger_name == (
        "mfa-guardrails-rule-tagger-managed-rules"
    )
