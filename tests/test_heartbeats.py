"""The heartbeat's two runtime halves with moto: the notifier records a canary event instead of
publishing it (and a look-alike is no heartbeat), and the monitor names the accounts gone silent,
lists the target OUs through Organizations (nested OUs, suspended accounts, new accounts), keeps
watching when it may not list them, and speaks on the operations topic only when the answer
changes."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from constructs_lib.alerting.runtime import handler as notifier
from constructs_lib.heartbeats.runtime import monitor
from tests import heartbeat_table
from tests.heartbeat_table import TABLE

REGION = "us-east-1"
SAMPLE = json.loads((Path(__file__).parent / "samples" / "heartbeat.json").read_text())
SILENCE = timedelta(hours=2, minutes=15)


@pytest.fixture(scope="module")
def moto_account() -> Iterator[dict[str, Any]]:
    """One moto account for the module (a fresh one per test costs 0.4 s): the table, the
    operations topic with a mailbox, and an organization with nested OUs."""
    patch = pytest.MonkeyPatch()
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION,
                        "AWS_REGION": REGION}.items():  # fmt: skip
        patch.setenv(name, value)
    with mock_aws():
        for cached in (notifier.sns_client, notifier.dynamodb_client, monitor.client):
            cached.cache_clear()
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        heartbeat_table.create(dynamodb)
        sns = boto3.client("sns", region_name=REGION)
        topic = sns.create_topic(Name="operations")["TopicArn"]
        sqs = boto3.client("sqs", region_name=REGION)
        mailbox = sqs.create_queue(QueueName="operations-mailbox")["QueueUrl"]
        mailbox_arn = sqs.get_queue_attributes(QueueUrl=mailbox, AttributeNames=["QueueArn"])
        sns.subscribe(TopicArn=topic, Protocol="sqs",
                      Endpoint=mailbox_arn["Attributes"]["QueueArn"])  # fmt: skip
        patch.setenv("HEARTBEAT_TABLE", TABLE)
        patch.setenv("TOPIC_ARN", topic)  # the notifier must never publish a heartbeat
        patch.setenv("OPERATIONS_TOPIC_ARN", topic)
        patch.setenv("SILENCE_AFTER_SECONDS", str(int(SILENCE.total_seconds())))
        yield {"dynamodb": dynamodb, "sqs": sqs, "mailbox": mailbox,
               "organization": _organization()}  # fmt: skip
        for cached in (notifier.sns_client, notifier.dynamodb_client, monitor.client):
            cached.cache_clear()
    patch.undo()


@pytest.fixture
def aws(moto_account: dict[str, Any]) -> dict[str, Any]:
    """The module's account with an empty table and mailbox."""
    dynamodb = moto_account["dynamodb"]
    heartbeat_table.empty(dynamodb)
    _messages(moto_account)  # drained (PurgeQueue allows one call a minute)
    return moto_account


def _messages(aws: dict[str, Any]) -> list[dict[str, str]]:
    """What reached the operations topic since the last look (received and deleted)."""
    sqs, mailbox = aws["sqs"], aws["mailbox"]
    found = sqs.receive_message(QueueUrl=mailbox, MaxNumberOfMessages=10).get("Messages", [])
    for message in found:
        sqs.delete_message(QueueUrl=mailbox, ReceiptHandle=message["ReceiptHandle"])
    return [json.loads(m["Body"]) for m in found]


def _item(aws: dict[str, Any], account: str) -> dict[str, Any]:
    item: dict[str, Any] = aws["dynamodb"].get_item(
        TableName=TABLE, Key={"account": {"S": account}}
    ).get("Item", {})
    return item


# --- the notifier's half --------------------------------------------------------------------


def _at(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_heartbeat_is_recorded_and_never_published(aws: dict[str, Any]) -> None:
    event = copy.deepcopy(SAMPLE)
    now = datetime.now(UTC)
    event["time"] = _at(now - timedelta(minutes=1))
    event["detail"]["requestParameters"]["tags"][0]["value"] = _at(now - timedelta(minutes=4))
    assert notifier.handler(event, None) == {"heartbeat": "111122223333"}
    item = _item(aws, "111122223333")
    assert item["lastHeartbeat"]["S"] == event["time"]  # CloudTrail's moment, not arrival
    assert item["scheduledTime"]["S"] == event["detail"]["requestParameters"]["tags"][0]["value"]
    assert 239 <= int(item["latencySeconds"]["N"]) <= 300  # the path, CloudTrail included
    assert _messages(aws) == []


def test_a_late_heartbeat_never_makes_an_account_look_younger(aws: dict[str, Any]) -> None:
    """A heartbeat replayed from a dead-letter queue hours later carries its own time: it cannot
    hide that the account went silent since, nor overwrite a newer one."""
    newer, older = copy.deepcopy(SAMPLE), copy.deepcopy(SAMPLE)
    newer["time"], older["time"] = "2026-11-30T11:00:41Z", "2026-11-30T09:00:41Z"
    notifier.handler(newer, None)
    notifier.handler(older, None)
    assert _item(aws, "111122223333")["lastHeartbeat"]["S"] == "2026-11-30T11:00:41Z"


@pytest.mark.parametrize("tags", [None, [], "oops", [{"key": "mfa-guardrails-heartbeat"}],
                                  [{"key": "mfa-guardrails-heartbeat", "value": "yesterday"}],
                                  [{"key": "mfa-guardrails-heartbeat",
                                    "value": "2026-11-30T10:00:00"}]])  # fmt: skip
def test_a_heartbeat_with_a_strange_tag_still_counts(aws: dict[str, Any], tags: Any) -> None:
    event = copy.deepcopy(SAMPLE)
    event["detail"]["requestParameters"]["tags"] = tags
    notifier.handler(event, None)
    assert "lastHeartbeat" in _item(aws, "111122223333")
    assert "latencySeconds" not in _item(aws, "111122223333")


@pytest.mark.parametrize("damage", ["no-account", "short-account", "other-caller-account",
                                    "other-issuer-account", "other-recipient", "no-time",
                                    "bad-time", "future-time"])  # fmt: skip
def test_a_heartbeat_that_cannot_be_genuine_is_an_alert_not_a_record(
    aws: dict[str, Any], damage: str
) -> None:
    """Forged to make a silent account look alive, or damaged: published, never recorded."""
    event = copy.deepcopy(SAMPLE)
    detail = event["detail"]
    if damage == "no-account":
        del event["account"]
    elif damage == "short-account":
        event["account"] = detail["recipientAccountId"] = "1111"
    elif damage == "other-caller-account":
        detail["userIdentity"]["accountId"] = "999999999999"
    elif damage == "other-issuer-account":
        detail["userIdentity"]["sessionContext"]["sessionIssuer"]["accountId"] = "999999999999"
    elif damage == "other-recipient":
        detail["recipientAccountId"] = "999999999999"
    elif damage == "no-time":
        del event["time"]
    elif damage == "future-time":
        # Dated ahead, a forged heartbeat (an admin may invoke the notifier) would outrank every
        # real one in the conditional write: the account would never look silent again.
        event["time"] = _at(datetime.now(UTC) + timedelta(minutes=6))
    else:
        event["time"] = "half past eleven"
    result = notifier.handler(event, None)
    assert result["alert"] == "unrecognized"
    (message,) = _messages(aws)
    assert "someone forged it" in message["Message"]
    assert aws["dynamodb"].scan(TableName=TABLE)["Items"] == []


def test_a_look_alike_from_another_caller_is_no_heartbeat() -> None:
    """Tagging the canary role as someone else (denied by the SCP in members) must not keep an
    account looking alive: only the canary's own session is a heartbeat."""
    event = copy.deepcopy(SAMPLE)
    event["detail"]["userIdentity"]["sessionContext"]["sessionIssuer"]["userName"] = "Admin"
    entry = notifier.classify(event)
    assert entry is None or not entry.heartbeat


def test_a_failed_heartbeat_write_raises_for_the_retries(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEARTBEAT_TABLE", "no-such-table")
    with pytest.raises(ClientError):
        notifier.handler(copy.deepcopy(SAMPLE), None)


# --- the monitor's half ---------------------------------------------------------------------


def _beat(aws: dict[str, Any], account: str, ago: timedelta) -> None:
    when = (datetime.now(UTC) - ago).isoformat(timespec="seconds")
    aws["dynamodb"].put_item(TableName=TABLE, Item={
        "account": {"S": account}, "lastHeartbeat": {"S": when},
    })  # fmt: skip


def test_silent_accounts_are_named_with_their_last_heartbeat() -> None:
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    heartbeats = {"111111111111": now - timedelta(hours=1),
                  "222222222222": now - timedelta(hours=3)}  # fmt: skip
    expected: dict[str, datetime | None] = {
        "111111111111": None,
        "333333333333": now - timedelta(days=30),  # never heard from, joined long ago
        "444444444444": now - timedelta(minutes=20),  # just joined: its canary is not up yet
        "555555555555": None,  # expected, never heard from
    }
    silent = monitor.silent_accounts(heartbeats, expected, now, SILENCE)
    assert silent == [
        monitor.Silence("222222222222", "2026-11-30T09:00:00+00:00"),
        monitor.Silence("333333333333", "never (joined 2026-10-31)"),
        monitor.Silence("555555555555", "never"),
    ]


def test_the_monitor_reports_a_silence_once_and_the_recovery_once(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("EXPECTED_ACCOUNT_IDS", "111122223333")
    _beat(aws, "111122223333", timedelta(minutes=10))
    assert monitor.handler({}, None)["silent"] == []
    assert _messages(aws) == []  # all well on the first run: nothing to say
    _beat(aws, "111122223333", timedelta(hours=3))
    assert monitor.handler({}, None)["silent"] == ["111122223333"]
    (message,) = _messages(aws)
    assert message["Subject"] == "mfa-guardrails: 1 account(s) went silent"
    assert "111122223333: last heartbeat" in message["Message"]
    assert "mfa-guardrails readiness" in message["Message"]
    monitor.handler({}, None)
    assert _messages(aws) == []  # the same silence is not repeated (the alarm stays in ALARM)
    _beat(aws, "111122223333", timedelta(minutes=1))
    monitor.handler({}, None)
    (message,) = _messages(aws)
    assert "heartbeat arrives again" in message["Subject"]
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["SilentAccounts"] for line in lines] == [0, 1, 1, 0]
    metrics = lines[0]["_aws"]["CloudWatchMetrics"]
    assert metrics == [{"Namespace": "mfa-guardrails", "Dimensions": [[]],
                        "Metrics": [{"Name": "SilentAccounts", "Unit": "Count"}]}]  # fmt: skip


def _organization() -> tuple[str, str, dict[str, str]]:
    """A root with two target OUs, one nested OU, and accounts in each."""
    organizations = boto3.client("organizations", region_name=REGION)
    organizations.create_organization(FeatureSet="ALL")
    root = organizations.list_roots()["Roots"][0]["Id"]
    ous = {}
    for name, parent in (("workloads", root), ("sandbox", root)):
        ous[name] = organizations.create_organizational_unit(ParentId=parent, Name=name)[
            "OrganizationalUnit"]["Id"]  # fmt: skip
    ous["nested"] = organizations.create_organizational_unit(
        ParentId=ous["workloads"], Name="nested")["OrganizationalUnit"]["Id"]  # fmt: skip
    accounts = {}
    for name, ou in (("app", "workloads"), ("deep", "nested"), ("play", "sandbox"),
                     ("outside", None)):  # fmt: skip
        status = organizations.create_account(AccountName=name, Email=f"{name}@example.org")
        account = status["CreateAccountStatus"]["AccountId"]
        if ou:
            organizations.move_account(AccountId=account, SourceParentId=root,
                                       DestinationParentId=ous[ou])  # fmt: skip
        accounts[name] = account
    return ous["workloads"], ous["sandbox"], accounts


def test_the_target_ous_accounts_are_listed_nested_ones_included(aws: dict[str, Any]) -> None:
    workloads, sandbox, accounts = aws["organization"]
    client = boto3.client("organizations", region_name=REGION)
    listed = monitor.organization_accounts(client, [workloads, sandbox])
    assert set(listed) == {accounts["app"], accounts["deep"], accounts["play"]}


def test_accounts_never_heard_from_are_silent_once_their_grace_is_over(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    workloads, _, accounts = aws["organization"]
    monkeypatch.setenv("EXPECTED_ACCOUNT_IDS", "111111111111")
    monkeypatch.setenv("TARGET_IDS", workloads)
    _beat(aws, "111111111111", timedelta(minutes=5))
    _beat(aws, accounts["app"], timedelta(minutes=5))
    # "deep" joined a moment ago (moto): not expected yet.
    assert monitor.handler({}, None) == {"silent": [], "expected": 3}
    later = datetime.now(UTC) + SILENCE + timedelta(minutes=1)
    client = boto3.client("organizations", region_name=REGION)
    expected = monitor.expected_accounts(client, ["111111111111"], [workloads])
    heartbeats, _ = monitor.read_heartbeats(aws["dynamodb"], TABLE)
    silent = monitor.silent_accounts(heartbeats, expected.accounts, later, SILENCE)
    assert [s.account for s in silent] == sorted(
        ["111111111111", accounts["app"], accounts["deep"]]
    )


def test_suspended_accounts_are_not_expected() -> None:
    class Organizations:
        def list_accounts_for_parent(self, **_: Any) -> dict[str, Any]:
            joined = datetime(2025, 1, 1, tzinfo=UTC)
            return {"Accounts": [
                {"Id": "111111111111", "State": "ACTIVE", "JoinedTimestamp": joined},
                {"Id": "222222222222", "State": "SUSPENDED", "JoinedTimestamp": joined},
                {"Id": "333333333333", "Status": "ACTIVE", "JoinedTimestamp": joined},
                {"Id": "444444444444", "State": "CLOSED", "JoinedTimestamp": joined},
            ]}  # fmt: skip

        def list_children(self, **_: Any) -> dict[str, Any]:
            return {"Children": []}

    listed = monitor.organization_accounts(Organizations(), ["ou-ab12-workload1"])
    assert set(listed) == {"111111111111", "333333333333"}


def test_without_organizations_access_the_known_accounts_are_still_watched(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No delegated administration yet: AccessDenied is said once, with the fix, and the
    accounts that sent heartbeats before are still watched."""
    monkeypatch.setenv("EXPECTED_ACCOUNT_IDS", "111111111111")
    monkeypatch.setenv("TARGET_IDS", "ou-ab12-workload1")
    _beat(aws, "111111111111", timedelta(minutes=5))
    _beat(aws, "999999999999", timedelta(hours=5))

    class Denied:
        def list_accounts_for_parent(self, **_: Any) -> dict[str, Any]:
            error = {"Error": {"Code": "AccessDeniedException", "Message": "not delegated"}}
            raise ClientError(error, "ListAccountsForParent")  # type: ignore[arg-type]

    real = monitor.client
    monkeypatch.setattr(monitor, "client", lambda service: Denied() if service ==
                        "organizations" else real(service))  # fmt: skip
    result = monitor.handler({}, None)
    assert result["silent"] == ["999999999999"]
    (message,) = _messages(aws)
    assert "cannot list the target OUs' accounts (AccessDeniedException)" in message["Message"]
    assert "delegated administrator" in message["Message"]
