"""The end-to-end canary, as deployed: a schedule that tags its own role with the scheduled time
(asset-free, in every account that sends heartbeats), the heartbeat table the notifier writes,
and the monitor whose one metric alarms on the operations topic. The policy side (the canary
role may tag itself and do nothing else) is proven in the policy matrix and attack chains."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Duration

from constructs_lib.alerting.runtime.catalog import CANARY_ROLE_NAME, HEARTBEAT_TAG_KEY
from constructs_lib.canary import CanaryProps
from constructs_lib.heartbeats.construct import HEARTBEAT_TABLE_NAME, silence_after
from tests.policy.policies import resources_of
from tests.synth import ORGANIZATION_EXAMPLE, Synthesized

P = "mfa-guardrails:"


def _one(template: dict[str, Any], kind: str) -> dict[str, Any]:
    (found,) = resources_of(template, kind).values()
    return found


def _canary_role(template: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    roles = resources_of(template, "AWS::IAM::Role")
    (logical_id,) = [k for k, r in roles.items() if r.get("RoleName") == CANARY_ROLE_NAME]
    policies = [
        p["PolicyDocument"]["Statement"]
        for p in resources_of(template, "AWS::IAM::Policy").values()
        if {"Ref": logical_id} in p["Roles"]
    ]
    return roles[logical_id], [s for statements in policies for s in statements]


def _schedule_checks(template: dict[str, Any]) -> None:
    schedule = _one(template, "AWS::Scheduler::Schedule")
    assert schedule["Name"] == CANARY_ROLE_NAME
    assert schedule["ScheduleExpression"] == "rate(1 hour)"
    assert schedule["State"] == "ENABLED"
    target = schedule["Target"]
    assert json.dumps(target["Arn"]).endswith(':scheduler:::aws-sdk:iam:tagRole"]]}')
    assert json.loads(target["Input"]) == {
        "RoleName": CANARY_ROLE_NAME,
        "Tags": [{"Key": HEARTBEAT_TAG_KEY, "Value": "<aws.scheduler.scheduled-time>"}],
    }
    role, statements = _canary_role(template)
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    # Its one permission: tag itself, with the heartbeat tag only.
    (statement,) = statements
    assert statement["Action"] == "iam:TagRole"
    assert json.dumps(statement["Resource"]).endswith(f':role/{CANARY_ROLE_NAME}"]]}}')
    assert statement["Condition"] == {
        "ForAllValues:StringEquals": {"aws:TagKeys": [HEARTBEAT_TAG_KEY]}
    }


def test_every_heartbeat_sender_has_the_canary(
    default_synth: Synthesized, org_synth: Synthesized
) -> None:
    """The single account, the management account (its own baseline) and every member (the
    StackSet, home region only: the IAM write lands in us-east-1 whatever the caller's region)."""
    _schedule_checks(default_synth.templates["MfaGuardrails"])
    _schedule_checks(org_synth.templates["MfaGuardrailsManagementBaseline"])
    (path,) = Path(org_synth.outdir).glob("*MemberBaseline*.stackset.template.json")
    member = json.loads(path.read_text())
    _schedule_checks(member)
    (schedule,) = [r for r in member["Resources"].values()
                   if r["Type"] == "AWS::Scheduler::Schedule"]  # fmt: skip
    assert member["Conditions"][schedule["Condition"]] == {
        "Fn::Equals": [{"Ref": "AWS::Region"}, ORGANIZATION_EXAMPLE[P + "home-region"]]
    }
    assets = [r for r in member["Resources"].values()
              if r["Type"] == "AWS::Lambda::Function" and "ZipFile" not in r["Properties"]["Code"]]
    assert assets == []  # a StackSet template stays asset-free (inline code only)


def _monitor(template: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    functions = resources_of(template, "AWS::Lambda::Function").values()
    (monitor,) = [f for f in functions if f["FunctionName"] == "mfa-guardrails-heartbeat-monitor"]
    return monitor["Environment"]["Variables"], monitor


def test_the_notifier_records_heartbeats_where_the_monitor_reads_them(
    default_synth: Synthesized, org_synth: Synthesized
) -> None:
    for template in (default_synth.templates["MfaGuardrailsAlerting"],
                     org_synth.templates["MfaGuardrailsSecurity"]):  # fmt: skip
        table = _one(template, "AWS::DynamoDB::Table")
        assert table["TableName"] == HEARTBEAT_TABLE_NAME
        assert table["BillingMode"] == "PAY_PER_REQUEST"
        functions = resources_of(template, "AWS::Lambda::Function").values()
        (notifier,) = [f for f in functions if f["FunctionName"] == "mfa-guardrails-notifier"]
        assert "HEARTBEAT_TABLE" in notifier["Environment"]["Variables"]
        variables, _ = _monitor(template)
        assert {"HEARTBEAT_TABLE", "OPERATIONS_TOPIC_ARN"} <= set(variables)
        assert variables["SILENCE_AFTER_SECONDS"] == str(2 * 3600 + 15 * 60)
        # The notifier writes heartbeats and its sign-in state (conditional updates, reads of its
        # own items); only the monitor scans. The state expires through the table's TTL.
        assert table["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}
        grants = {
            action
            for policy in resources_of(template, "AWS::IAM::Policy").values()
            for statement in policy["PolicyDocument"]["Statement"]
            for action in ([statement["Action"]] if isinstance(statement["Action"], str)
                           else statement["Action"])
            if action.startswith("dynamodb:")
        }
        assert grants == {"dynamodb:PutItem", "dynamodb:Scan", "dynamodb:UpdateItem",
                          "dynamodb:GetItem"}  # fmt: skip


def test_the_monitor_expects_the_right_accounts(
    default_synth: Synthesized, org_synth: Synthesized
) -> None:
    single, _ = _monitor(default_synth.templates["MfaGuardrailsAlerting"])
    assert single["EXPECTED_ACCOUNT_IDS"] == {"Ref": "AWS::AccountId"}
    assert "TARGET_IDS" not in single
    org, _ = _monitor(org_synth.templates["MfaGuardrailsSecurity"])
    assert org["EXPECTED_ACCOUNT_IDS"] == ORGANIZATION_EXAMPLE[P + "management-account-id"]
    assert org["TARGET_IDS"].split() == ORGANIZATION_EXAMPLE[P + "target-ou-ids"]
    listing = [
        statement
        for policy in resources_of(org_synth.templates["MfaGuardrailsSecurity"],
                                   "AWS::IAM::Policy").values()
        for statement in policy["PolicyDocument"]["Statement"]
        if "organizations:ListChildren" in statement["Action"]
    ]
    assert [s["Action"] for s in listing] == [
        ["organizations:ListAccountsForParent", "organizations:ListChildren"]
    ]


def test_silence_alarms_on_the_operations_topic_even_when_the_monitor_stops(
    default_synth: Synthesized,
) -> None:
    template = default_synth.templates["MfaGuardrailsAlerting"]
    alarms = resources_of(template, "AWS::CloudWatch::Alarm").values()
    (alarm,) = [a for a in alarms if a["AlarmName"] == "mfa-guardrails-silent-accounts"]
    assert alarm["Namespace"] == "mfa-guardrails"
    assert alarm["MetricName"] == "SilentAccounts"
    assert "Dimensions" not in alarm  # one metric, whatever the number of accounts
    assert alarm["TreatMissingData"] == "breaching"
    assert (alarm["Period"], alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (900, 2, 2)
    topics = resources_of(template, "AWS::SNS::Topic")
    (operations,) = [k for k, t in topics.items() if t["TopicName"] == "mfa-guardrails-operations"]
    assert alarm["AlarmActions"] == [{"Ref": operations}]
    rules = resources_of(template, "AWS::Events::Rule").values()
    (check,) = [r for r in rules if r["Name"] == "mfa-guardrails-heartbeat-check"]
    assert check["ScheduleExpression"] == "rate(15 minutes)"
    # Zeros written to the namespace through a log group's embedded metric format would hide a
    # stopped monitor: a second alarm watches its invocations, in a namespace only AWS writes.
    (stopped,) = [a for a in alarms
                  if a["AlarmName"] == "mfa-guardrails-heartbeat-monitor-stopped"]  # fmt: skip
    assert (stopped["Namespace"], stopped["MetricName"]) == ("AWS/Lambda", "Invocations")
    assert stopped["Dimensions"][0]["Name"] == "FunctionName"
    assert (stopped["ComparisonOperator"], stopped["Threshold"]) == ("LessThanThreshold", 1)
    assert stopped["TreatMissingData"] == "breaching"
    assert stopped["AlarmActions"] == [{"Ref": operations}]


def test_silence_bound_is_two_missed_heartbeats_and_the_delivery_allowance() -> None:
    assert silence_after(Duration.hours(1)).to_minutes() == 135
    assert silence_after(Duration.minutes(30)).to_minutes() == 75


@pytest.mark.parametrize("minutes", [1, 4, 24 * 60 + 1])
def test_a_canary_interval_out_of_range_is_refused(minutes: int) -> None:
    with pytest.raises(ValueError, match=r"interval .* must be 5\.\.1440"):
        CanaryProps(interval=Duration.minutes(minutes))
