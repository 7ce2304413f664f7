"""The heartbeat monitor: which accounts' canaries stopped reaching the notifier.

Every quarter of an hour it reads the heartbeat table the notifier writes (one item per account:
its last heartbeat), lists the accounts that should be sending them (this account; in the
organization topology the management account and every active account under the target OUs,
through Organizations), and calls an account silent when its last heartbeat, or its joining the
organization if it never sent one, is older than ``SILENCE_AFTER_SECONDS``.

It writes one CloudWatch metric without dimensions (``mfa-guardrails/SilentAccounts``, through
the embedded metric format: no per-account metric, no PutMetricData call), which the alarm on
the operations topic watches, and when the set of silent accounts changes it publishes one
message to the operations topic naming them, so the alarm says that and the message says who.

Standard library and boto3 only; boto3 is imported on the first call.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, NamedTuple

NAMESPACE = "mfa-guardrails"
SILENT_METRIC = "SilentAccounts"
STATE_KEY = "#reported"
"""The table item that remembers what was last reported (no account id starts with ``#``)."""


class Silence(NamedTuple):
    account: str
    last_heard: str  # the last heartbeat, or "never (joined …)"


class Expected(NamedTuple):
    """The accounts that must send heartbeats, with when they joined (None: long ago), and why
    the list may be incomplete."""

    accounts: dict[str, datetime | None]
    problem: str = ""


def parse_time(value: Any) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _pages(call: Callable[..., dict[str, Any]], key: str, **kwargs: Any) -> Iterator[Any]:
    token: str | None = None
    while True:
        page = call(**kwargs, **({"NextToken": token} if token else {}))
        yield from page.get(key, [])
        token = page.get("NextToken")
        if not token:
            return


def organization_accounts(organizations: Any, target_ids: Iterable[str]) -> dict[str, datetime]:
    """Active accounts under the targets (OUs or the root), nested OUs included."""
    found: dict[str, datetime] = {}
    parents = list(target_ids)
    while parents:
        parent = parents.pop()
        for account in _pages(organizations.list_accounts_for_parent, "Accounts",
                              ParentId=parent):  # fmt: skip
            # Organizations replaces Status with State (2025); read whichever is there.
            if account.get("State", account.get("Status")) == "ACTIVE":
                found[account["Id"]] = account["JoinedTimestamp"]
        parents += [child["Id"] for child in _pages(
            organizations.list_children, "Children", ParentId=parent,
            ChildType="ORGANIZATIONAL_UNIT",
        )]  # fmt: skip
    return found


def expected_accounts(
    organizations: Any, account_ids: Iterable[str], target_ids: Iterable[str]
) -> Expected:
    accounts: dict[str, datetime | None] = dict.fromkeys(account_ids)
    targets = tuple(target_ids)
    if not targets:
        return Expected(accounts)
    try:
        accounts.update(organization_accounts(organizations, targets))
    except Exception as error:  # AccessDenied, throttling: watch the known accounts anyway
        code = getattr(error, "response", {}).get("Error", {}).get("Code", type(error).__name__)
        return Expected(accounts, (
            f"cannot list the target OUs' accounts ({code}): only accounts that sent a heartbeat "
            "before are watched. Fix: make this account a delegated administrator of the "
            "organization (README, 'Before you deploy') so it may call organizations:List*."
        ))  # fmt: skip
    return Expected(accounts)


def silent_accounts(
    heartbeats: dict[str, datetime],
    expected: dict[str, datetime | None],
    now: datetime,
    silence_after: timedelta,
) -> list[Silence]:
    """Accounts whose last heartbeat (or joining, for one never heard from) is too old."""
    silent = []
    for account in sorted({*heartbeats, *expected}):
        last = heartbeats.get(account)
        if last is not None:
            if now - last > silence_after:
                silent.append(Silence(account, last.isoformat(timespec="seconds")))
            continue
        joined = expected.get(account)
        if joined is None or now - joined > silence_after:
            since = f" (joined {joined.date().isoformat()})" if joined else ""
            silent.append(Silence(account, f"never{since}"))
    return silent


def read_heartbeats(dynamodb: Any, table: str) -> tuple[dict[str, datetime], str]:
    """Each account's last heartbeat, and the last report's state."""
    heartbeats: dict[str, datetime] = {}
    reported = ""
    key: dict[str, Any] | None = None
    while True:
        page = dynamodb.scan(TableName=table, **({"ExclusiveStartKey": key} if key else {}))
        for item in page.get("Items", []):
            account = item.get("account", {}).get("S", "")
            if account == STATE_KEY:
                reported = item.get("state", {}).get("S", "")
            elif (when := parse_time(item.get("lastHeartbeat", {}).get("S"))) is not None:
                heartbeats[account] = when
        key = page.get("LastEvaluatedKey")
        if not key:
            return heartbeats, reported


def metric_line(silent: list[Silence], problem: str, now: datetime) -> str:
    """One embedded-metric-format log line: the metric, and who, for the log reader."""
    return json.dumps({
        "_aws": {
            "Timestamp": int(now.timestamp() * 1000),
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [[]],
                "Metrics": [{"Name": SILENT_METRIC, "Unit": "Count"}],
            }],
        },
        SILENT_METRIC: len(silent),
        "silent": [s._asdict() for s in silent],
        "problem": problem,
    })  # fmt: skip


def report(silent: list[Silence], problem: str, silence_after: timedelta) -> tuple[str, str]:
    """Subject and body of the operations message."""
    hours = silence_after.total_seconds() / 3600
    if not silent and not problem:
        return "mfa-guardrails: every account's heartbeat arrives again", (
            "Every watched account's canary heartbeat reached the notifier within the last "
            f"{hours:g} hours."
        )
    lines = [f"No canary heartbeat reached the notifier for more than {hours:g} hours from:"]
    lines += [f"- {s.account}: last heartbeat {s.last_heard}" for s in silent] or ["- none"]
    lines += [
        "",
        "Alerts from these accounts may be lost. In each, run `mfa-guardrails readiness` "
        "(a checkout of mfa-guardrails after make setup): it checks the trail, the recorder, "
        "the rules and the forwarding, and names the fix. A stopped trail or a deleted "
        "forwarding rule is the usual cause; an account leaving the organization is another.",
    ]
    if problem:
        lines += ["", problem]
    return f"mfa-guardrails: {len(silent)} account(s) went silent", "\n".join(lines)


@cache
def client(service: str) -> Any:
    import boto3

    return boto3.client(service)  # type: ignore[call-overload]


def handler(event: Any, context: Any) -> dict[str, Any]:
    table = os.environ["HEARTBEAT_TABLE"]
    silence_after = timedelta(seconds=int(os.environ["SILENCE_AFTER_SECONDS"]))
    now = datetime.now(UTC)
    heartbeats, reported = read_heartbeats(client("dynamodb"), table)
    expected = expected_accounts(
        client("organizations"),
        os.environ.get("EXPECTED_ACCOUNT_IDS", "").split(),
        os.environ.get("TARGET_IDS", "").split(),
    )
    silent = silent_accounts(heartbeats, expected.accounts, now, silence_after)
    print(metric_line(silent, expected.problem, now))
    state = json.dumps([[s.account for s in silent], expected.problem])
    if state != reported:
        subject, body = report(silent, expected.problem, silence_after)
        if reported or silent or expected.problem:  # no "all well again" on the very first run
            client("sns").publish(
                TopicArn=os.environ["OPERATIONS_TOPIC_ARN"], Subject=subject, Message=body
            )
        client("dynamodb").put_item(TableName=table, Item={
            "account": {"S": STATE_KEY}, "state": {"S": state},
            "reportedAt": {"S": now.isoformat(timespec="seconds")},
        })  # fmt: skip
    return {"silent": [s.account for s in silent], "expected": len(expected.accounts)}
