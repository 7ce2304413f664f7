"""Synth-time assertions for the Alerting construct: rules from the catalog, retries, dead-letter
queues, alarms, encryption, the notifier's runtime and asset, cdk-nag and cfn-lint.

Each configuration is synthesized once per session (:func:`synth_alerting` is cached and shared
with ``test_alerting_catalog``, which reads the rule patterns from the same template).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Environment, Stack, Validations
from aws_cdk import aws_events as events
from aws_cdk.assertions import Match, Template
from cdk_nag import AwsSolutionsChecks

from constructs_lib.alerting import Alerting, AlertingProps, check_region
from constructs_lib.alerting.runtime.catalog import ENTRIES

STACK = "AlertingTest"
EMAIL = "security-alerts@example.com"
OPS_EMAIL = "platform-oncall@example.com"


class SynthesizedAlerting:
    """One synthesized stack holding only the Alerting construct, with cdk-nag registered."""

    def __init__(self, variant: str) -> None:
        self.outdir = Path(tempfile.mkdtemp(prefix=f"alerting-{variant}-"))
        app = App(outdir=str(self.outdir), builtin_cloud_formation_validation=False)
        stack = Stack(app, STACK, env=Environment(region="us-east-1"))
        if variant == "default":
            props = AlertingProps(notification_emails=(EMAIL,))
        else:
            bus = events.EventBus(stack, "CentralBus", event_bus_name="mfa-guardrails-central")
            props = AlertingProps(
                notification_emails=(EMAIL,),
                operations_emails=(OPS_EMAIL,),
                slack_workspace_id="T0123ABCD",
                slack_channel_id="C0123ABCD",
                event_bus=bus,
                reserved_concurrency=5,
            )
        self.construct = Alerting(stack, "Alerting", props=props)
        Validations.of(app).add_plugins(AwsSolutionsChecks(app))
        assembly = app.synth()
        self.template_json: dict[str, Any] = assembly.get_stack_by_name(STACK).template
        self.template_file = self.outdir / f"{STACK}.template.json"
        self.report: dict[str, Any] = json.loads(
            (self.outdir / "validation-report.json").read_text()
        )

    @property
    def template(self) -> Template:
        return Template.from_json(self.template_json)

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        return {
            name: resource
            for name, resource in self.template_json["Resources"].items()
            if resource["Type"] == kind
        }

    def rule_patterns(self) -> dict[str, dict[str, Any]]:
        """Each rule's EventPattern as synthesized, by the catalog entry id in its description."""
        patterns = {}
        for rule in self.resources("AWS::Events::Rule").values():
            properties = rule["Properties"]
            found = re.match(r"mfa-guardrails alert (\S+) \(", properties["Description"])
            assert found, properties["Description"]
            patterns[found.group(1)] = properties["EventPattern"]
        return patterns


@cache
def synth_alerting(variant: str = "default") -> SynthesizedAlerting:
    """Synthesize a configuration once per session: "default" or "full" (Slack, bus, ...)."""
    return SynthesizedAlerting(variant)


@pytest.fixture(scope="module")
def default() -> SynthesizedAlerting:
    return synth_alerting("default")


@pytest.fixture(scope="module")
def full() -> SynthesizedAlerting:
    return synth_alerting("full")


def _logical_id(resources: dict[str, dict[str, Any]], fragment: str) -> str:
    (name,) = [name for name in resources if fragment in name]
    return name


# --- rules ------------------------------------------------------------------------------------


def test_one_rule_per_catalog_entry_with_its_pattern(default: SynthesizedAlerting) -> None:
    patterns = default.rule_patterns()
    assert sorted(patterns) == sorted(entry.id for entry in ENTRIES)
    for entry in ENTRIES:
        assert patterns[entry.id] == entry.pattern(), entry.id


def test_rules_retry_then_dead_letter(default: SynthesizedAlerting) -> None:
    queues = default.resources("AWS::SQS::Queue")
    dlq = _logical_id(queues, "RuleDeadLetterQueue")
    function = _logical_id(default.resources("AWS::Lambda::Function"), "Notifier")
    for rule in default.resources("AWS::Events::Rule").values():
        (target,) = rule["Properties"]["Targets"]
        assert target["Arn"] == {"Fn::GetAtt": [function, "Arn"]}
        assert target["RetryPolicy"] == {
            "MaximumRetryAttempts": 10,
            "MaximumEventAgeInSeconds": 4 * 3600,
        }
        assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [dlq, "Arn"]}}
        assert rule["Properties"].get("EventBusName") is None  # the account's default bus


def test_rules_listen_on_the_given_bus(full: SynthesizedAlerting) -> None:
    """Forwarded events on the given bus; changes to the notifier, its topics and key happen in
    this account, so their rules listen on its own default bus."""
    bus = _logical_id(full.resources("AWS::Events::EventBus"), "CentralBus")
    rules = full.resources("AWS::Events::Rule")
    assert len(rules) == len(ENTRIES)
    own = {entry.id for entry in ENTRIES if entry.alerting_account_only}
    assert own >= {"notifier-changed", "alert-topic-changed", "alert-key-disabled"}
    for rule in rules.values():
        entry_id = rule["Properties"]["Name"].removeprefix("mfa-guardrails-")
        expected = None if entry_id in own else {"Ref": bus}
        assert rule["Properties"].get("EventBusName") == expected, entry_id


# --- notifier -----------------------------------------------------------------------------------


def test_notifier_runtime_architecture_and_logs(default: SynthesizedAlerting) -> None:
    topic = _logical_id(default.resources("AWS::SNS::Topic"), "AlertTopic")
    log_group = _logical_id(default.resources("AWS::Logs::LogGroup"), "NotifierLogs")
    default.template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Runtime": "python3.14",
            "Architectures": ["arm64"],
            "Handler": "handler.handler",
            "Environment": {"Variables": {"TOPIC_ARN": {"Ref": topic}}},
            "LoggingConfig": {"LogGroup": {"Ref": log_group}},
            "ReservedConcurrentExecutions": Match.absent(),
        },
    )
    default.template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 365})


def test_notifier_role_is_explicit_and_least_privilege(default: SynthesizedAlerting) -> None:
    (role,) = default.resources("AWS::IAM::Role").values()
    assert "ManagedPolicyArns" not in role["Properties"]  # no AWSLambdaBasicExecutionRole
    (policy,) = default.resources("AWS::IAM::Policy").values()
    actions = {
        action
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        for action in (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
    }
    assert "sns:Publish" in actions
    assert {"logs:CreateLogStream", "logs:PutLogEvents"} <= actions
    assert not any(action.endswith(":*") or action == "*" for action in actions)


def test_notifier_asset_is_the_runtime_folder_and_phonenumbers(
    default: SynthesizedAlerting,
) -> None:
    """Bundled locally (no Docker): the runtime and the pure-Python phonenumbers, nothing else."""
    (function,) = default.resources("AWS::Lambda::Function").values()
    key = function["Properties"]["Code"]["S3Key"]
    asset = default.outdir / f"asset.{key.removesuffix('.zip')}"
    assert sorted(path.name for path in asset.iterdir()) == [
        "__init__.py",
        "catalog.py",
        "correlation.py",
        "handler.py",
        "phone.py",
        "phonenumbers",
    ]
    assert (asset / "phonenumbers" / "__init__.py").is_file()
    assert not list(asset.rglob("__pycache__"))
    # The asset is importable as the Lambda code root, phonenumbers included.
    code = "import sys; sys.path.insert(0, '.'); import handler, phone; " \
        "print(phone.phone_problem('+1 555'))"
    result = subprocess.run([sys.executable, "-I", "-c", code], cwd=asset, capture_output=True,
                            text=True, check=True)  # fmt: skip
    assert "is not a valid number for +1" in result.stdout


def test_notifier_async_retries_then_on_failure_queue(default: SynthesizedAlerting) -> None:
    queue = _logical_id(default.resources("AWS::SQS::Queue"), "NotifierFailureQueue")
    default.template.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig",
        {
            "MaximumRetryAttempts": 2,
            "MaximumEventAgeInSeconds": 3600,
            "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": [queue, "Arn"]}}},
        },
    )


def test_reserved_concurrency_when_asked(full: SynthesizedAlerting) -> None:
    full.template.has_resource_properties(
        "AWS::Lambda::Function", {"ReservedConcurrentExecutions": 5}
    )


# --- encryption -------------------------------------------------------------------------------


def test_key_rotates_and_lets_eventbridge_and_cloudwatch_use_it(
    default: SynthesizedAlerting,
) -> None:
    (key,) = default.resources("AWS::KMS::Key").values()
    assert key["Properties"]["EnableKeyRotation"] is True
    services = {
        statement["Principal"].get("Service"): statement
        for statement in key["Properties"]["KeyPolicy"]["Statement"]
    }
    for service in ("events.amazonaws.com", "cloudwatch.amazonaws.com"):
        statement = services[service]
        assert set(statement["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey"}
        assert statement["Condition"] == {
            "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
        }


def test_topics_and_queues_use_the_key_and_require_tls(default: SynthesizedAlerting) -> None:
    key = {"Fn::GetAtt": [next(iter(default.resources("AWS::KMS::Key"))), "Arn"]}
    topics = default.resources("AWS::SNS::Topic")
    queues = default.resources("AWS::SQS::Queue")
    assert len(topics) == 2
    assert len(queues) == 2
    for topic in topics.values():
        assert topic["Properties"]["KmsMasterKeyId"] == key
    for queue in queues.values():
        assert queue["Properties"]["KmsMasterKeyId"] == key
    insecure = {"Bool": {"aws:SecureTransport": "false"}}
    for kind, count in (("AWS::SNS::TopicPolicy", 2), ("AWS::SQS::QueuePolicy", 2)):
        policies = default.resources(kind)
        assert len(policies) == count
        for policy in policies.values():
            statements = policy["Properties"]["PolicyDocument"]["Statement"]
            assert any(
                s["Effect"] == "Deny" and s.get("Condition") == insecure for s in statements
            ), kind


def test_eventbridge_may_write_to_the_rule_dead_letter_queue(
    default: SynthesizedAlerting,
) -> None:
    dlq = _logical_id(default.resources("AWS::SQS::Queue"), "RuleDeadLetterQueue")
    (policy,) = [
        p
        for p in default.resources("AWS::SQS::QueuePolicy").values()
        if p["Properties"]["Queues"] == [{"Ref": dlq}]
    ]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    senders = [s for s in statements if s.get("Principal") == {"Service": "events.amazonaws.com"}]
    assert len(senders) == len(ENTRIES)  # one per rule, each scoped to its rule ARN
    assert all("aws:SourceArn" in s["Condition"]["ArnEquals"] for s in senders)


# --- alarms and delivery ------------------------------------------------------------------------


def test_alarms_on_dead_letters_and_errors_notify_operations(
    default: SynthesizedAlerting,
) -> None:
    operations = _logical_id(default.resources("AWS::SNS::Topic"), "OperationsTopic")
    alarms = default.resources("AWS::CloudWatch::Alarm").values()
    watched = sorted((a["Properties"]["Namespace"], a["Properties"]["MetricName"]) for a in alarms)
    assert watched == [
        ("AWS/Lambda", "Errors"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
    ]
    for alarm in alarms:
        properties = alarm["Properties"]
        assert properties["Threshold"] == 0
        assert properties["ComparisonOperator"] == "GreaterThanThreshold"
        assert properties["TreatMissingData"] == "notBreaching"
        assert properties["AlarmActions"] == [{"Ref": operations}]


def test_email_subscriptions(default: SynthesizedAlerting, full: SynthesizedAlerting) -> None:
    def endpoints(synth: SynthesizedAlerting) -> list[tuple[str, str]]:
        return sorted(
            (s["Properties"]["TopicArn"]["Ref"].split("Topic")[0], s["Properties"]["Endpoint"])
            for s in synth.resources("AWS::SNS::Subscription").values()
            if s["Properties"]["Protocol"] == "email"
        )

    assert endpoints(default) == [("AlertingAlert", EMAIL), ("AlertingOperations", EMAIL)]
    assert endpoints(full) == [("AlertingAlert", EMAIL), ("AlertingOperations", OPS_EMAIL)]


def test_slack_channel_gets_both_topics_and_no_permissions(full: SynthesizedAlerting) -> None:
    topics = full.resources("AWS::SNS::Topic")
    full.template.has_resource_properties(
        "AWS::Chatbot::SlackChannelConfiguration",
        {
            "SlackWorkspaceId": "T0123ABCD",
            "SlackChannelId": "C0123ABCD",
            "SnsTopicArns": Match.array_equals([{"Ref": name} for name in topics]),
            "GuardrailPolicies": [
                {
                    "Fn::Join": [
                        "",
                        ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/AWSDenyAll"],
                    ]
                }
            ],
        },
    )


def test_no_slack_without_ids(default: SynthesizedAlerting) -> None:
    default.template.resource_count_is("AWS::Chatbot::SlackChannelConfiguration", 0)


# --- checks ---------------------------------------------------------------------------------------

ACKNOWLEDGED = {
    "AwsSolutions-SQS3",  # twice: both queues are dead-letter queues
    "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
    "AwsSolutions-IAM5[Action::kms:ReEncrypt*]",
}


@pytest.mark.parametrize("variant", ["default", "full"])
def test_cdk_nag_clean_with_explained_acknowledgments(variant: str) -> None:
    report = synth_alerting(variant).report
    (plugin,) = report["pluginReports"]
    assert plugin["violations"] == []
    acknowledged = plugin.get("suppressedViolations", [])
    assert {v["ruleName"] for v in acknowledged} == ACKNOWLEDGED
    assert all(len(v["reason"]) > 40 for v in acknowledged)  # each with a real reason


# cfn-lint: the "default" variant is what the app's MfaGuardrailsAlerting stack holds, linted by
# the main job (test_main_job_end_to_end); the "full" one (Slack, a custom bus, operations topic)
# is what MfaGuardrailsSecurity holds in examples/organization.json, linted in the background
# (test_organization_is_clean).


# --- props and region -------------------------------------------------------------------------


def test_region_check_refuses_other_concrete_regions() -> None:
    check_region("us-east-1")
    check_region(Stack(App(), "Agnostic").region)  # a token: environment-agnostic, not refused
    with pytest.raises(ValueError, match=r"'eu-west-1'.*only in us-east-1"):
        check_region("eu-west-1")
    assert Alerting.check_region is check_region


def test_construct_in_another_region_fails_synth() -> None:
    stack = Stack(App(), "Elsewhere", env=Environment(region="eu-central-1"))
    with pytest.raises(ValueError, match="eu-central-1"):
        Alerting(stack, "Alerting", props=AlertingProps())


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"slack_workspace_id": "T0123ABCD"}, "both slack_workspace_id and slack_channel_id"),
        ({"rule_retry_attempts": 186}, "rule_retry_attempts"),
        ({"notifier_retry_attempts": 3}, "notifier_retry_attempts"),
        ({"reserved_concurrency": 0}, "reserved_concurrency"),
        ({"entries": ()}, "entries"),
    ],
)
def test_props_are_validated(overrides: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        AlertingProps(**overrides)
