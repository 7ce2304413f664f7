"""The alert path's prerequisites against moto (and botocore stubs where moto cannot say "no"):
a trail that logs write management events in every region, a recording Config recorder, enabled
mfa-guardrails rules, a confirmed subscription. Each missing piece is one finding with its fix;
a denied call is INSUFFICIENT_DATA naming the permission; the Config rule and the report both
run them (one implementation)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from constructs_lib.detective.runtime import handler
from constructs_lib.detective.runtime.prerequisites import (
    AlertPath,
    PrerequisiteClients,
    check_subscriptions,
    check_trail,
    evaluate_prerequisites,
)
from constructs_lib.detective.runtime.readiness import Status
from mfa_guardrails.cli import readiness as report

REGION = "us-east-1"
SESSION = boto3.session.Session()  # one session: its service models load once


class Account:
    """A moto account whose alert path is alive until a test breaks one piece."""

    def __init__(self) -> None:
        client = SESSION.client
        self.cloudtrail: Any = client("cloudtrail", region_name=REGION)
        self.config: Any = client("config", region_name=REGION)
        self.events: Any = client("events", region_name=REGION)
        self.sns: Any = client("sns", region_name=REGION)
        s3 = client("s3", region_name=REGION)
        s3.create_bucket(Bucket="trail-logs")
        self.cloudtrail.create_trail(Name="org-trail", S3BucketName="trail-logs",
                                     IsMultiRegionTrail=True)  # fmt: skip
        self.cloudtrail.start_logging(Name="org-trail")
        recorder: Any = {
            "name": "default", "roleARN": "arn:aws:iam::123456789012:role/config",
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True},
        }
        self.config.put_configuration_recorder(ConfigurationRecorder=recorder)
        channel: Any = {"name": "default", "s3BucketName": "trail-logs"}
        self.config.put_delivery_channel(DeliveryChannel=channel)
        self.config.start_configuration_recorder(ConfigurationRecorderName="default")
        self.events.put_rule(Name="mfa-guardrails-root-mfa-removed",
                             EventPattern='{"source": ["aws.iam"]}')  # fmt: skip
        self.topic = self.sns.create_topic(Name="mfa-guardrails-alerts")["TopicArn"]
        client("sqs", region_name=REGION).create_queue(QueueName="mailbox")
        self.sns.subscribe(TopicArn=self.topic, Protocol="sqs",
                           Endpoint=f"arn:aws:sqs:{REGION}:123456789012:mailbox")  # fmt: skip

    def clients(self) -> PrerequisiteClients:
        return PrerequisiteClients(self.cloudtrail, self.config, self.events, self.sns)

    def evaluate(self) -> dict[str, Any]:
        path = AlertPath(alert_topic_arn=self.topic)
        return {f.check: f for f in evaluate_prerequisites(self.clients(), path)}


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch) -> Iterator[Account]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield Account()


def test_a_live_alert_path_passes(account: Account) -> None:
    findings = account.evaluate()
    assert {check: f.status for check, f in findings.items()} == dict.fromkeys(
        ("cloudtrail-trail", "config-recorder", "alert-rules", "alert-subscriptions"),
        Status.COMPLIANT,
    )


def test_each_broken_piece_is_one_finding_with_its_fix(account: Account) -> None:
    account.cloudtrail.stop_logging(Name="org-trail")
    account.config.stop_configuration_recorder(ConfigurationRecorderName="default")
    account.events.disable_rule(Name="mfa-guardrails-root-mfa-removed")
    findings = account.evaluate()
    assert findings["cloudtrail-trail"].status is Status.NON_COMPLIANT
    assert "no trail is logging write management events" in findings["cloudtrail-trail"].fix
    assert "start-configuration-recorder" in findings["config-recorder"].fix
    assert "1 disabled (mfa-guardrails-root-mfa-removed)" in findings["alert-rules"].fix
    assert findings["alert-subscriptions"].status is Status.COMPLIANT


def test_read_only_or_single_region_trails_are_not_enough(account: Account) -> None:
    account.cloudtrail.put_event_selectors(TrailName="org-trail", EventSelectors=[
        {"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True}])  # fmt: skip
    assert "no trail is logging" in check_trail(account.cloudtrail).fix
    account.cloudtrail.update_trail(Name="org-trail", IsMultiRegionTrail=False)
    account.cloudtrail.put_event_selectors(TrailName="org-trail", EventSelectors=[
        {"ReadWriteType": "All", "IncludeManagementEvents": True}])  # fmt: skip
    finding = check_trail(account.cloudtrail)
    assert finding.status is Status.NON_COMPLIANT
    assert "logs us-east-1 only" in finding.fix


def test_missing_recorder_and_rules(account: Account) -> None:
    account.config.stop_configuration_recorder(ConfigurationRecorderName="default")
    account.config.delete_delivery_channel(DeliveryChannelName="default")
    account.config.delete_configuration_recorder(ConfigurationRecorderName="default")
    account.events.delete_rule(Name="mfa-guardrails-root-mfa-removed")
    findings = account.evaluate()
    assert "does not exist" in findings["config-recorder"].fix
    assert "none on bus default" in findings["alert-rules"].fix


def test_unconfirmed_subscriptions_deliver_nothing() -> None:
    sns = SESSION.client("sns", region_name=REGION)
    topic = "arn:aws:sns:us-east-1:123456789012:mfa-guardrails-alerts"
    with Stubber(sns) as stub:
        stub.add_response("list_subscriptions_by_topic", {"Subscriptions": [
            {"SubscriptionArn": "PendingConfirmation", "Endpoint": "sec@corp.io",
             "Protocol": "email", "TopicArn": topic, "Owner": "123456789012"}]})  # fmt: skip
        finding = check_subscriptions(sns, topic)
    assert finding.status is Status.NON_COMPLIANT
    assert "no confirmed subscription: alerts reach nobody (pending: sec@corp.io" in finding.fix


def test_a_denied_call_names_the_permission() -> None:
    cloudtrail = SESSION.client("cloudtrail", region_name=REGION)
    with Stubber(cloudtrail) as stub:
        stub.add_client_error("describe_trails", "AccessDeniedException", "denied")
        finding = check_trail(cloudtrail)
    assert finding.status is Status.INSUFFICIENT_DATA
    assert "needs cloudtrail:DescribeTrails" in finding.fix


def test_the_config_rule_fails_when_the_alert_path_is_dead(
    account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The readiness Lambda runs the same checks: a stopped trail makes the account
    NON_COMPLIANT, with the fix in the annotation."""
    monkeypatch.setenv(handler.ALERT_RULES_REGION_ENV, REGION)
    monkeypatch.setenv(handler.ALERT_TOPIC_ARN_ENV, account.topic)
    account.cloudtrail.stop_logging(Name="org-trail")
    path = handler.alert_path()
    assert path == AlertPath(rule_buses=("default",), alert_topic_arn=account.topic)
    findings = {f.check: f for f in evaluate_prerequisites(account.clients(), path)}
    assert findings["cloudtrail-trail"].status is Status.NON_COMPLIANT
    monkeypatch.delenv(handler.ALERT_RULES_REGION_ENV)
    assert handler.alert_path() is None  # a stand-alone construct checks no alert path


def test_the_report_includes_the_alert_path(account: Account) -> None:
    account.cloudtrail.stop_logging(Name="org-trail")
    out = io.StringIO()
    code = report.main(["--alert-topic-arn", account.topic], session=SESSION, out=out,
                       err=io.StringIO())  # fmt: skip
    assert code == report.EXIT_NOT_READY
    assert "cloudtrail-trail" in out.getvalue()
    assert "no trail is logging" in out.getvalue()
