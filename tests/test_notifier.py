"""The alert notifier against moto's SNS: one message per event, its fields, and robustness.

Every sample yields exactly one message (read back through an SQS subscription, as an e-mail
subscriber would get it) with the catalog's severity and advice; arbitrary JSON and mutated
samples still yield exactly one message within SNS's limits; a failed publish raises so Lambda's
retries and on-failure queue take over.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws
from moto.sns.models import sns_backends
from moto.sqs.models import sqs_backends

from constructs_lib.alerting.runtime import handler as notifier
from constructs_lib.alerting.runtime.catalog import BY_ID, UNRECOGNIZED
from constructs_lib.alerting.runtime.phone import phone_problem
from tests.events import dict_paths

SAMPLES = Path(__file__).resolve().parent / "samples"
SAMPLE_FILES = sorted(SAMPLES.glob("*.json"))
WATCHED = [path for path in SAMPLE_FILES if not path.name.startswith("lookalike--")]
LOOKALIKES = [path for path in SAMPLE_FILES if path.name.startswith("lookalike--")]
ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"
SNS_LIMIT_BYTES = 256 * 1024


@dataclass
class FakeContext:
    """The parts of a Lambda context object a handler may touch."""

    function_name: str = "mfa-guardrails-notifier"
    function_version: str = "$LATEST"
    invoked_function_arn: str = (
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:mfa-guardrails-notifier"
    )
    memory_limit_in_mb: int = 256
    aws_request_id: str = "8f5c0b1e-0000-4000-8000-000000000000"
    log_group_name: str = "/aws/lambda/mfa-guardrails-notifier"
    log_stream_name: str = "2025/03/04/[$LATEST]0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@dataclass
class Sns:
    """A moto SNS topic with an SQS subscriber, for the duration of the module."""

    topic_arn: str
    queue_url: str

    def sent(self) -> list[tuple[Any, ...]]:
        """Every notification published to the topic so far, as moto records it."""
        notifications: list[tuple[Any, ...]] = (
            sns_backends[ACCOUNT][REGION].topics[self.topic_arn].sent_notifications
        )
        return notifications

    def received(self) -> list[dict[str, Any]]:
        """What the SQS subscriber got since the last call: the SNS envelopes (Subject, Message,
        MessageAttributes). One receive; what it read is then deleted in moto's model, not by a
        round trip per call (there are hundreds): a message left hidden would be scanned again by
        every later receive."""
        batch = _sqs().receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10,
                                       VisibilityTimeout=3600)  # fmt: skip
        messages = batch.get("Messages", [])
        queue = sqs_backends[ACCOUNT][REGION].get_queue(self.queue_url.rsplit("/", 1)[1])
        for message in messages:
            queue.delete_message(message["ReceiptHandle"])
        return [json.loads(message["Body"]) for message in messages]


@cache
def _sqs() -> Any:
    return boto3.client("sqs", region_name=REGION)


@pytest.fixture(scope="module")
def sns() -> Iterator[Sns]:
    patch = pytest.MonkeyPatch()
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        patch.setenv(name, value)
    with mock_aws():
        notifier.sns_client.cache_clear()
        topic_arn = boto3.client("sns", region_name=REGION).create_topic(Name="alerts")["TopicArn"]
        sqs = boto3.client("sqs", region_name=REGION)
        queue_url = sqs.create_queue(QueueName="alerts-mailbox")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        boto3.client("sns", region_name=REGION).subscribe(
            TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn
        )
        patch.setenv("TOPIC_ARN", topic_arn)
        yield Sns(topic_arn, queue_url)
        notifier.sns_client.cache_clear()
    patch.undo()


def _load(path: Path) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(path.read_text())
    return event


def _publish_one(sns: Sns, event: Any) -> dict[str, Any]:
    """Run the handler on ``event``; return the one SNS envelope the subscriber received (every
    test reads what it published, so the mailbox is empty before each call)."""
    notifier.handler(event, FakeContext())
    (envelope,) = sns.received()
    return envelope


# --- every sample: one message, right severity, right fields -----------------------------------


@pytest.mark.parametrize("path", WATCHED, ids=lambda path: path.stem)
def test_sample_yields_one_message_with_its_advice(sns: Sns, path: Path) -> None:
    event = _load(path)
    entry = BY_ID[path.stem.split("--")[0]]
    envelope = _publish_one(sns, event)
    subject, body = envelope["Subject"], envelope["Message"]
    attributes = envelope["MessageAttributes"]
    assert attributes["severity"]["Value"] == entry.severity.value
    assert attributes["alert"]["Value"] == entry.id
    assert len(subject) < 100
    assert subject.isascii()
    assert subject.startswith(f"[{entry.severity.upper()}] ")
    assert entry.what_to_do in body
    assert entry.why in body
    assert f"Severity: {entry.severity.upper()}" in body
    detail = event["detail"]
    assert f"account {event['account']}, region {event['region']}" in body
    if detail.get("eventTime"):
        assert f"When: {detail['eventTime']}" in body
    identity = detail.get("userIdentity")
    if identity:
        principal = (identity.get("arn") or identity.get("principalId")
                     or f"Identity Center user {identity['onBehalfOf']['userId']}")  # fmt: skip
        assert f"Who: {principal} ({identity['type']})" in body
        assert f"source IP: {detail['sourceIPAddress']}" in body
        assert f"What: {detail['eventName']} ({detail['eventSource']})" in body


def test_failed_call_is_worded_as_an_attempt(sns: Sns) -> None:
    envelope = _publish_one(sns, _load(SAMPLES / "mfa-removed--attempt.json"))
    assert envelope["Subject"].startswith("[HIGH] Attempt to remove an MFA device")
    assert (
        "FAILED with AccessDenied: User: arn:aws:iam::111122223333:user/build-bot"
        in (envelope["Message"])
    )
    assert "via: long-term access key AKIAIOSFODNN7EXAMPLE" in envelope["Message"]


def test_root_device_removed_through_assume_root(sns: Sns) -> None:
    body = _publish_one(sns, _load(SAMPLES / "root-mfa-removed.json"))["Message"]
    assert "device serial: arn:aws:iam::111122223333:mfa/root-account-mfa-device" in body
    assert (
        "via: AssumeRoot (centralized root access) session issued to "
        "arn:aws:sts::444455556666:assumed-role/OrgSecurityAdmin/jane" in body
    )
    assert "register two new MFA devices" in body


def test_target_user_and_device_are_named(sns: Sns) -> None:
    body = _publish_one(sns, _load(SAMPLES / "mfa-removed.json"))["Message"]
    assert "target user: bob" in body
    assert "device serial: arn:aws:iam::111122223333:mfa/bob-phone" in body
    assert "role: arn:aws:iam::111122223333:role/Admin" in body


def test_contact_phone_without_country_code_is_flagged(sns: Sns) -> None:
    body = _publish_one(sns, _load(SAMPLES / "contact-information-changed.json"))["Message"]
    assert "contact phone: 206-555-0100" in body
    assert 'WARNING: 206-555-0100 lacks its "+" country code' in body
    body = _publish_one(sns, _load(SAMPLES / "alternate-contact-changed.json"))["Message"]
    assert "contact type: SECURITY" in body
    assert "contact phone: +1-206-555-0199" in body
    assert "WARNING" not in body


def test_root_sign_in_without_mfa_is_critical(sns: Sns) -> None:
    envelope = _publish_one(sns, _load(SAMPLES / "root-signin-no-mfa.json"))
    assert envelope["Subject"] == "[CRITICAL] Root user signed in WITHOUT MFA - 111122223333"
    assert "MFA used: No" in envelope["Message"]
    assert "via: console sign-in" in envelope["Message"]


def test_config_noncompliance_names_rule_and_annotation(sns: Sns) -> None:
    body = _publish_one(sns, _load(SAMPLES / "config-rule-noncompliant.json"))["Message"]
    assert "Config rule: mfa-guardrails-root-account-mfa-enabled" in body
    assert "compliance: NON_COMPLIANT" in body
    assert "annotation: The root user of this account has no MFA device." in body


def test_chatbot_receives_a_custom_notification() -> None:
    """HTTPS subscribers (AWS Chatbot) get Chatbot's custom-notification JSON, others the text."""
    event = _load(SAMPLES / "root-signin-no-mfa.json")
    message = notifier.build_message(event)
    arguments = notifier.Message.publish_args(message, "arn:aws:sns:us-east-1:1:t")
    assert arguments["MessageStructure"] == "json"
    per_protocol = json.loads(arguments["Message"])
    assert per_protocol["default"] == message.body
    chat = json.loads(per_protocol["https"])
    assert chat["version"] == "1.0"
    assert chat["source"] == "custom"
    assert chat["content"]["title"] == message.subject
    assert chat["content"]["description"].startswith("CRITICAL: Root user signed in WITHOUT MFA")


# --- anything else still alerts ------------------------------------------------------------------


@pytest.mark.parametrize("path", LOOKALIKES, ids=lambda path: path.stem)
def test_lookalike_is_reported_as_unrecognized_with_its_payload(sns: Sns, path: Path) -> None:
    event = _load(path)
    envelope = _publish_one(sns, event)
    assert envelope["MessageAttributes"]["alert"]["Value"] == UNRECOGNIZED.id
    assert envelope["Subject"] == f"[HIGH] {UNRECOGNIZED.title}"
    assert json.dumps(event, ensure_ascii=False) in envelope["Message"]  # the whole raw payload


@pytest.mark.parametrize(
    "event",
    [None, "a string", 42, [], ["aws.iam"], {}, {"detail": "not an object"}, {"source": None}],
    ids=repr,
)
def test_malformed_event_still_alerts(sns: Sns, event: Any) -> None:
    envelope = _publish_one(sns, event)
    assert envelope["MessageAttributes"]["alert"]["Value"] == UNRECOGNIZED.id
    assert json.dumps(event) in envelope["Message"]


def test_huge_unrecognized_payload_is_truncated_below_the_sns_limit(sns: Sns) -> None:
    event = {"detail": {"blob": "🔑" * 200_000, "more": ["x" * 10_000] * 30}}
    before = len(sns.sent())
    notifier.handler(event, FakeContext())
    (_, message, _, _, _) = sns.sent()[before]
    assert len(message.encode()) < SNS_LIMIT_BYTES
    assert "[truncated" in json.loads(message)["default"]
    sns.received()


def test_publish_failure_raises(sns: Sns, monkeypatch: pytest.MonkeyPatch) -> None:
    """No topic, no alert: the handler must raise so Lambda retries, then parks the event."""
    monkeypatch.setenv("TOPIC_ARN", f"arn:aws:sns:{REGION}:{ACCOUNT}:no-such-topic")
    before = len(sns.sent())
    with pytest.raises(ClientError, match=r"NotFound|does not exist"):
        notifier.handler(_load(WATCHED[0]), FakeContext())
    assert len(sns.sent()) == before


# --- properties: exactly one message, within limits, whatever the payload ------------------------

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
    | st.builds(lambda c, n: c * n, st.characters(), st.integers(0, 12_000)),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=12,
)


def _assert_one_valid_message(sns: Sns, event: Any) -> None:
    before = len(sns.sent())
    notifier.handler(event, FakeContext())  # raising would fail the test: the topic exists
    sent = sns.sent()
    assert len(sent) == before + 1
    (_, message, subject, attributes, _) = sent[-1]
    assert len(message.encode()) < SNS_LIMIT_BYTES
    assert 0 < len(subject) < 100
    assert subject.isascii()
    assert subject.isprintable()
    assert attributes["severity"]["Value"] in {"critical", "high", "medium", "low"}
    per_protocol = json.loads(message)
    assert set(per_protocol) == {"default", "https"}


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(event=JSON)
def test_any_json_yields_exactly_one_message(sns: Sns, event: Any) -> None:
    _assert_one_valid_message(sns, event)


HOSTILE = (
    st.none()
    | st.integers()
    | st.text()
    | st.builds(lambda c, n: c * n, st.characters(), st.integers(1, 12_000))
    | st.lists(st.text(max_size=3), max_size=3)
    | st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3)
)


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_mutated_samples_yield_exactly_one_message(sns: Sns, data: st.DataObject) -> None:
    event = copy.deepcopy(_load(data.draw(st.sampled_from(WATCHED), label="sample")))
    # An empty detail (the sign-in anomaly's, whose fields are not documented) gains one.
    for target in data.draw(
        st.lists(st.sampled_from(dict_paths(event["detail"]) or [("unexpected",)]),
                 min_size=1, max_size=4),
        label="paths",
    ):
        parent: Any = event["detail"]
        for key in target[:-1]:
            parent = parent.get(key) if isinstance(parent, dict) else None
        if isinstance(parent, dict):
            parent[target[-1]] = data.draw(HOSTILE, label=".".join(target))
    _assert_one_valid_message(sns, event)
    sns.received()


def test_lone_surrogates_and_control_characters_are_neutralized(sns: Sns) -> None:
    """The Lambda runtime's json.loads turns "\\ud800" into a lone surrogate: still one alert."""
    event = _load(SAMPLES / "mfa-removed.json")
    event["detail"]["userAgent"] = "evil\ud800\nSubject: forged\r\n" + "\u2028" * 3
    event["account"] = "1111\ud8002222\x07"
    envelope = _publish_one(sns, event)
    assert "user agent: evil? Subject: forged" in envelope["Message"]
    assert "\nSubject: forged" not in envelope["Message"]
    assert envelope["Subject"].isascii()
    _publish_one(sns, {"weird": "\udfff" * 10, "\ud800": None})


def test_a_formatter_bug_still_alerts(sns: Sns, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(event: Any, entry: Any) -> notifier.Message:
        raise KeyError("boom")

    monkeypatch.setattr(notifier, "format_message", broken)
    envelope = _publish_one(sns, _load(SAMPLES / "root-signin-no-mfa.json"))
    assert envelope["MessageAttributes"]["alert"]["Value"] == UNRECOGNIZED.id
    assert "The notifier failed to format this event: KeyError('boom')" in envelope["Message"]
    assert '"eventName": "ConsoleLogin"' in envelope["Message"]


def test_identity_center_session_mfa_false_is_explained(sns: Sns) -> None:
    """Identity Center roles log mfaAuthenticated false: MFA happened at its own sign-in."""
    event = _load(SAMPLES / "identity-center-mfa-deleted-by-admin.json")
    body = _publish_one(sns, event)["Message"]
    assert "MFA-authenticated session: false (an Identity Center session" in body


def test_config_finding_names_the_rule_owner(sns: Sns) -> None:
    body = _publish_one(sns, _load(SAMPLES / "config-rule-noncompliant--security-hub.json"))[
        "Message"
    ]
    assert "rule owner: AWS Security Hub" in body



@pytest.mark.parametrize(
    ("number", "problem"),
    [
        ("206-555-0100", 'lacks its "+" country code'),
        ("+44 (0)20 7946 0018", "keeps the trunk prefix 0 after +44: write it as +44 20 7946 0018"),
        ("+44 020 7946 0018", "keeps the trunk prefix 0 after +44"),
        ("+1 555", "is not a valid number for +1"),
        ("+999 1234", "is not a phone number AWS can call"),
        ("+44 20 7946 0018", None),
        ("+1-206-555-0199", None),
        ("+39 06 6982 0000", None),  # Italy keeps its leading 0 after the country code
    ],
)
def test_phone_numbers_the_recovery_call_cannot_reach(number: str, problem: str | None) -> None:
    found = phone_problem(number)
    assert (found is None) if problem is None else (found is not None and problem in found), found


def test_contact_phone_with_trunk_prefix_is_flagged(sns: Sns) -> None:
    event = _load(SAMPLES / "contact-information-changed.json")
    contact = event["detail"]["requestParameters"]["contactInformation"]
    contact["phoneNumber"] = "+44 (0)20 7946 0018"
    body = _publish_one(sns, event)["Message"]
    assert "WARNING: +44 (0)20 7946 0018 keeps the trunk prefix 0 after +44" in body


def test_a_sign_in_anomaly_alerts_with_its_detail_raw_whatever_it_holds(sns: Sns) -> None:
    """AWS documents no field of the Sign-in Anomaly Alert detail: none is picked, all are shown;
    one with an empty detail (the samples') or with fields nobody expected still alerts."""
    event = _load(SAMPLES / "signin-anomaly.json")
    envelope = _publish_one(sns, event)
    assert envelope["Subject"] == "[HIGH] AWS Sign-In reported a sign-in anomaly - 111122223333"
    assert "Detail (raw JSON, as AWS sent it): {}" in envelope["Message"]
    assert "Where: account 111122223333, region us-east-1" in envelope["Message"]
    # Field names made up for this test only: whatever AWS puts there reaches the reader.
    event["detail"] = {"someField": "203.0.113.9", "nested": {"x": ["y"]}}
    body = _publish_one(sns, event)["Message"]
    raw = json.dumps(event["detail"], ensure_ascii=False)
    assert f"Detail (raw JSON, as AWS sent it): {raw}" in body
    assert "Who: not documented for this event" in body


# --- alerts a recovery causes -------------------------------------------------------------------

RECOVERY_ADMIN = ("arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/"
                  "AWSReservedSSO_AdministratorAccess_????????????????")  # fmt: skip


def _device_removed_by(identity: dict[str, Any], agent: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((SAMPLES / "mfa-removed.json").read_text())
    event["detail"]["userIdentity"] = identity
    event["detail"]["userAgent"] = agent
    return event


def test_a_recoverys_alert_says_expected_only_for_an_admin() -> None:
    admin_role = ("arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/"
                  "AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b")  # fmt: skip
    admin = {"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/x/alice",
             "sessionContext": {"sessionIssuer": {"type": "Role", "arn": admin_role}}}
    agent = "Boto3/1.40 md/Botocore#1.40 mfa-guardrails-recovery/user-111122223333-bob-20261206"
    note = notifier.recovery_note(_device_removed_by(admin, agent), (RECOVERY_ADMIN,))
    assert note.startswith("Expected: recovery user-111122223333-bob-20261206 by " + admin_role)
    stranger = {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/mallory"}
    note = notifier.recovery_note(_device_removed_by(stranger, agent), (RECOVERY_ADMIN,))
    assert "is not an admin of the configuration" in note
    assert notifier.recovery_note(_device_removed_by(admin, "aws-cli/2"), (RECOVERY_ADMIN,)) == ""
    # a malformed identity still yields a message, never an exception
    assert "not an admin" in notifier.recovery_note(
        _device_removed_by({"type": 7}, agent), (RECOVERY_ADMIN,))


@pytest.mark.parametrize(("address", "domains", "says"), [
    ("aws-root+prod@example.com", ("example.com",), "one of the organization's domains"),
    ("former.admin@gmail.com", ("example.com",), "gmail.com is a public mail provider"),
    ("root@acquired.io", ("example.com",), "acquired.io is not one of the organization's"),
    ("root@acquired.io", (), "recovery-email-domains is not set"),
])  # fmt: skip
def test_a_root_email_change_says_whether_the_new_address_is_ours(
    address: str, domains: tuple[str, ...], says: str
) -> None:
    event: dict[str, Any] = json.loads(
        (SAMPLES / "primary-email-update-started.json").read_text())
    event["detail"]["requestParameters"]["primaryEmail"] = address
    assert says in notifier.email_note(event, domains)
    del event["detail"]["requestParameters"]["primaryEmail"]  # absent: no note, still an alert
    assert notifier.email_note(event, domains) == ""
