"""The Identity Center sign-in state against moto's DynamoDB and SNS, through the notifier's
handler: a password-only sign-in alerts once per user and UTC day, repeated failed second factors
alert once at the threshold, a retry of the same event never publishes twice (and a publish that
failed is retried), a partial sequence still alerts, and the state is bounded (TTL, size)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from constructs_lib.alerting.runtime import catalog, correlation
from constructs_lib.alerting.runtime import handler as notifier
from constructs_lib.heartbeats.runtime import monitor
from tests import heartbeat_table
from tests.heartbeat_table import TABLE

REGION = "us-east-1"
SAMPLES = Path(__file__).resolve().parent / "samples"
NO_MFA = json.loads((SAMPLES / "identity-center-signin-no-mfa.json").read_text())
FAILED = json.loads((SAMPLES / "identity-center-mfa-failures.json").read_text())


@pytest.fixture(scope="module")
def moto_account() -> Iterator[dict[str, Any]]:
    patch = pytest.MonkeyPatch()
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION,
                        "AWS_REGION": REGION}.items():  # fmt: skip
        patch.setenv(name, value)
    with mock_aws():
        for cached in (notifier.sns_client, notifier.dynamodb_client):
            cached.cache_clear()
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        heartbeat_table.create(dynamodb)
        topic = boto3.client("sns", region_name=REGION).create_topic(Name="alerts")["TopicArn"]
        patch.setenv("HEARTBEAT_TABLE", TABLE)
        patch.setenv("TOPIC_ARN", topic)
        yield {"dynamodb": dynamodb, "topic": topic}
        for cached in (notifier.sns_client, notifier.dynamodb_client):
            cached.cache_clear()
    patch.undo()


@pytest.fixture
def aws(moto_account: dict[str, Any]) -> dict[str, Any]:
    dynamodb = moto_account["dynamodb"]
    heartbeat_table.empty(dynamodb)
    return moto_account


def _published(aws: dict[str, Any]) -> list[str]:
    """The alert ids of every message published so far, in order (moto's record)."""
    from moto.sns.models import sns_backends

    topic = sns_backends["123456789012"][REGION].topics[aws["topic"]]
    return [attributes["alert"]["Value"] for (_, _, _, attributes, _) in topic.sent_notifications]


def _event(base: dict[str, Any], n: int, **detail: Any) -> dict[str, Any]:
    """Another delivery of the same kind of record: its own ids, same user unless told."""
    event = copy.deepcopy(base)
    event["id"] = f"{event['id'][:-4]}{n:04d}"
    event["detail"]["eventID"] = f"{event['detail']['eventID'][:-4]}{n:04d}"
    event["detail"].update(detail)
    return event


def _handle(event: dict[str, Any]) -> dict[str, str]:
    return notifier.handler(event, None)


def test_a_password_only_sign_in_alerts_once_per_user_and_day(aws: dict[str, Any]) -> None:
    before = len(_published(aws))
    assert "alert" in _handle(_event(NO_MFA, 1))
    assert _handle(_event(NO_MFA, 2)) == {"quiet": "identity-center-signin-no-mfa",
                                          "why": "already alerted for this user today"}
    other_user = _event(NO_MFA, 3)
    other_user["detail"]["userIdentity"]["userName"] = "bob@example.com"
    assert "alert" in _handle(other_user)
    next_day = _event(NO_MFA, 4, eventTime="2025-03-05T08:00:00Z")
    assert "alert" in _handle(next_day)
    assert _published(aws)[before:] == ["identity-center-signin-no-mfa"] * 3


def test_a_retry_of_the_same_event_never_alerts_twice(aws: dict[str, Any]) -> None:
    before = len(_published(aws))
    event = _event(NO_MFA, 10)
    assert "alert" in _handle(event)
    assert "quiet" in _handle(copy.deepcopy(event))  # Lambda's retry, EventBridge's redelivery
    assert _published(aws)[before:] == ["identity-center-signin-no-mfa"]


def test_a_publish_that_failed_is_retried_by_the_same_event(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The state was claimed, then SNS failed: Lambda's retry of that event publishes; another
    event of the same user that day stays quiet."""
    event = _event(NO_MFA, 20)
    topic = aws["topic"]
    monkeypatch.setenv("TOPIC_ARN", f"{topic}-gone")
    with pytest.raises(ClientError):
        _handle(event)
    monkeypatch.setenv("TOPIC_ARN", topic)
    assert "quiet" in _handle(_event(NO_MFA, 21))
    before = len(_published(aws))
    assert "alert" in _handle(copy.deepcopy(event))
    assert "quiet" in _handle(copy.deepcopy(event))
    assert _published(aws)[before:] == ["identity-center-signin-no-mfa"]


def test_failed_second_factors_alert_once_at_the_threshold(aws: dict[str, Any]) -> None:
    before = len(_published(aws))
    results = [_handle(_event(FAILED, n)) for n in range(1, 7)]
    alerted = [n for n, result in enumerate(results, 1) if "alert" in result]
    assert alerted == [correlation.FAILURE_THRESHOLD]
    assert results[0]["why"] == f"1 of {correlation.FAILURE_THRESHOLD} failures this hour"
    # A retry of the event that reached the threshold does not alert again, nor count twice.
    assert "quiet" in _handle(_event(FAILED, correlation.FAILURE_THRESHOLD))
    assert _published(aws)[before:] == ["identity-center-mfa-failures"]
    # The next hour starts again.
    later = [_handle(_event(FAILED, 100 + n, eventTime="2025-03-04T11:05:00Z")) for n in range(3)]
    assert ["alert" in result for result in later] == [False, False, True]


def test_a_retried_failure_is_counted_once(aws: dict[str, Any]) -> None:
    event = _event(FAILED, 1)
    for _ in range(correlation.FAILURE_THRESHOLD + 1):
        assert _handle(copy.deepcopy(event))["why"].startswith("1 of ")


def test_the_message_says_what_the_state_knows(aws: dict[str, Any]) -> None:
    for n in range(1, correlation.FAILURE_THRESHOLD):
        _handle(_event(FAILED, 200 + n))
    event = _event(FAILED, 299)
    decision = correlation.decide(catalog.REPEATED_FAILURES, event, aws["dynamodb"], TABLE,
                                  datetime.now(UTC))  # fmt: skip
    assert decision.publish
    body = notifier.with_note(notifier.build_message(event), decision.note).body
    assert body.splitlines()[1] == (
        f"{correlation.FAILURE_THRESHOLD} failed second-factor verifications for this user in "
        f"this UTC hour (alert threshold {correlation.FAILURE_THRESHOLD})."
    )
    assert "factors verified: TOTP" in body
    assert "result: Failure" in body


def test_the_state_is_bounded(aws: dict[str, Any]) -> None:
    """Every item expires, keys and user ids are cut, a window keeps at most MAX_EVENT_IDS ids,
    and the heartbeat monitor does not mistake an item for an account."""
    huge = _event(NO_MFA, 30)
    huge["detail"]["userIdentity"]["userName"] = "x" * 50_000
    _handle(huge)
    for n in range(correlation.MAX_EVENT_IDS + 5):
        _handle(_event(FAILED, 300 + n))
    items = aws["dynamodb"].scan(TableName=TABLE)["Items"]
    assert items
    now = datetime.now(UTC).timestamp()
    for item in items:
        expires = int(item[correlation.TTL_ATTRIBUTE]["N"])
        assert now < expires <= now + correlation.STATE_TTL_SECONDS + 5
        assert len(json.dumps(item)) < 1024, item
        assert item["account"]["S"].startswith("#")
        assert len(item.get("eventIds", {}).get("SS", [])) <= correlation.MAX_EVENT_IDS
    heartbeats, _ = monitor.read_heartbeats(aws["dynamodb"], TABLE)
    assert heartbeats == {}


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda d: d.pop("userIdentity"), id="no-user-identity"),
        pytest.param(lambda d: d["userIdentity"].pop("userName"), id="no-user-name"),
        pytest.param(lambda d: d["userIdentity"].update(userName={"not": "a name"}), id="odd-name"),
    ],
)
def test_a_partial_record_still_alerts_every_time(aws: dict[str, Any], change: Any) -> None:
    """Without a user to key on, every such sign-in alerts, and says why."""
    for n in (40, 41):
        event = _event(NO_MFA, n)
        change(event["detail"])
        assert "alert" in _handle(event)
    partial = _event(NO_MFA, 42)
    change(partial["detail"])
    note = correlation.decide(catalog.ONCE_PER_USER_PER_DAY, partial, aws["dynamodb"], TABLE,
                              datetime.now(UTC)).note  # fmt: skip
    assert note == "The record names no user: alerted without the per-user limit."


def test_a_sign_in_without_its_factors_alerts_and_names_its_workflow(aws: dict[str, Any]) -> None:
    """UserAuthentication that lacks CredentialType (a partial record) matched the rule."""
    event = json.loads(
        (SAMPLES / "identity-center-signin-no-mfa--no-credential-type.json").read_text()
    )
    assert "alert" in _handle(event)
    body = notifier.build_message(event).body
    assert "sign-in workflow: 4f1c6a0e-2d7b-4b8e-9a51-0c3e8d2f7b61" in body
    assert "factors verified" not in body


def test_state_trouble_alerts_rather_than_drops(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = len(_published(aws))
    monkeypatch.setenv("HEARTBEAT_TABLE", "mfa-guardrails-no-such-table")
    assert "alert" in _handle(_event(NO_MFA, 50))
    assert "alert" in _handle(_event(NO_MFA, 51))
    monkeypatch.delenv("HEARTBEAT_TABLE")
    assert "alert" in _handle(_event(FAILED, 52))
    assert _published(aws)[before:] == ["identity-center-signin-no-mfa"] * 2 + [
        "identity-center-mfa-failures"
    ]


def test_the_user_key_prefers_the_identity_center_user_id() -> None:
    detail = {"userIdentity": {"type": "IdentityCenterUser", "userName": "jane",
                               "onBehalfOf": {"userId": "94482488-3041-7026-18f3-be45837cd0e4"}}}
    assert correlation.user_of(detail) == "id:94482488-3041-7026-18f3-be45837cd0e4"
    assert correlation.user_of({"userIdentity": {"userName": "ja/ne#"}}) == "name:jane"
    assert correlation.user_of({"userIdentity": {"userName": True}}) == ""
    assert correlation.user_of({}) == ""
