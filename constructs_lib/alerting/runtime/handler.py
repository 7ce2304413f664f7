"""The alert notifier: turn one watched EventBridge event into one SNS message, or raise.

The pipeline is three small pure functions and a tiny handler:

* :func:`classify` finds the catalog entry whose EventBridge conditions the event meets (the same
  conditions the rules were built from, so the rules and the messages cannot drift apart);
* :func:`format_message` writes who, what, where, when, the severity and the catalog's advice;
* :meth:`Message.publish_args` renders the SNS ``Publish`` call;
* :func:`handler` publishes to ``TOPIC_ARN`` and lets a failure raise, so Lambda's asynchronous
  retries and then the on-failure queue (which alarms) take over: an alert is never dropped.
  The canary's heartbeat is the one event that is not published: :func:`record_heartbeat` writes
  the account's last heartbeat to ``HEARTBEAT_TABLE``, where the heartbeat monitor looks for
  accounts gone silent.

Every field of an event is untrusted: it may be missing, null, of the wrong type, unicode or huge.
An event that matches no entry, or is not an object at all, still produces one message, carrying
the raw payload truncated so the SNS message stays far below its 256 KB limit.

Cold start matters more than elegance: only the standard library is imported at module level;
boto3 is imported on the first publish.
"""

from __future__ import annotations

import fnmatch
import json
import os
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

if __package__:  # imported as constructs_lib.alerting.runtime.handler (tests, tools)
    from .catalog import (
        ENTRIES,
        EXEMPT_NAMES_VARIABLE,
        HEARTBEAT_TAG_KEY,
        MISSING,
        PHONE,
        RECOVERY_ADMINS_VARIABLE,
        RECOVERY_EMAIL_DOMAINS_VARIABLE,
        RECOVERY_USER_AGENT,
        RULE_OWNER,
        UNRECOGNIZED,
        Advice,
        Condition,
        Entry,
        Shown,
        config_rule_owner,
        exempt_name_entries,
        matches,
    )
    from .correlation import Decision, decide, mark_published
    from .phone import email_domain_problem, phone_problem
else:  # pragma: no cover - in Lambda the runtime folder is the code root ("handler.handler")
    from catalog import (  # type: ignore[import-not-found,no-redef]
        ENTRIES,
        EXEMPT_NAMES_VARIABLE,
        HEARTBEAT_TAG_KEY,
        MISSING,
        PHONE,
        RECOVERY_ADMINS_VARIABLE,
        RECOVERY_EMAIL_DOMAINS_VARIABLE,
        RECOVERY_USER_AGENT,
        RULE_OWNER,
        UNRECOGNIZED,
        Advice,
        Condition,
        Entry,
        Shown,
        config_rule_owner,
        exempt_name_entries,
        matches,
    )
    from correlation import (  # type: ignore[import-not-found,no-redef]
        Decision,
        decide,
        mark_published,
    )
    from phone import (  # type: ignore[import-not-found,no-redef]
        email_domain_problem,
        phone_problem,
    )

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sns import SNSClient

SUBJECT_LIMIT = 99  # SNS: "less than 100 characters", ASCII, no line breaks
FIELD_LIMIT = 256  # one identity, device, address... in the body
USER_AGENT_LIMIT = 160
RAW_LIMIT_BYTES = 32 * 1024  # raw payload of an unrecognized event
BODY_LIMIT_BYTES = 64 * 1024  # the body appears twice in the SNS message (default and https)
CHAT_LIMIT = 3000  # characters of the body sent to Slack through AWS Chatbot

FORGED_HEARTBEAT = (
    "This looks like the canary's heartbeat but its account ids disagree, or it has no time: it "
    "was not recorded. The canary never writes such an event; if nobody replayed a damaged one, "
    "someone forged it to make a silent account look alive."
)
_CONTROL = dict.fromkeys((*range(32), *range(127, 160), 8232, 8233), " ")
_ASSUME_ROOT = "AWS::STS::AssumeRoot"


class Message(NamedTuple):
    """One alert, ready to publish (a named tuple: the cheapest immutable record to build)."""

    alert_id: str
    severity: str
    subject: str
    body: str

    def publish_args(self, topic_arn: str) -> dict[str, Any]:
        """Keyword arguments of ``sns.publish``: plain text for e-mail (and every other protocol),
        an AWS Chatbot custom notification for the HTTPS subscription Chatbot uses."""
        chat = {
            "version": "1.0",
            "source": "custom",
            "content": {
                "textType": "client-markdown",
                "title": self.subject,
                "description": _truncate(self.body, CHAT_LIMIT),
            },
            "metadata": {"additionalContext": {"alert": self.alert_id}},
        }
        message = {"default": self.body, "https": json.dumps(chat, ensure_ascii=False)}
        return {
            "TopicArn": topic_arn,
            "Subject": self.subject,
            "Message": json.dumps(message, ensure_ascii=False),
            "MessageStructure": "json",
            "MessageAttributes": {
                "severity": {"DataType": "String", "StringValue": self.severity},
                "alert": {"DataType": "String", "StringValue": self.alert_id},
            },
        }


# ---------------------------------------------------------------------------------------------
# Classification
# ---------------------------------------------------------------------------------------------


Candidate = tuple[Entry, tuple[Condition, ...]]


def _index(entries: tuple[Entry, ...]) -> dict[tuple[str, str | None], tuple[Candidate, ...]]:
    """Entries and their conditions by (source, event name); None when any name matches."""
    index: dict[tuple[str, str | None], list[Candidate]] = {}
    for entry in entries:
        for source in (entry.source, *(other for other, _ in entry.also_from)):
            for name in entry.event_names or (None,):
                index.setdefault((source, name), []).append((entry, entry.conditions()))
    return {key: tuple(value) for key, value in index.items()}


# The catalog this notifier classifies with: every entry, and those about identities created
# with the configuration's exempt names (handed over by the construct in the environment).
_EXEMPT_NAMES = tuple(os.environ.get(EXEMPT_NAMES_VARIABLE, "").split())
_RECOVERY_ADMINS = tuple(os.environ.get(RECOVERY_ADMINS_VARIABLE, "").split())
_EMAIL_DOMAINS = tuple(os.environ.get(RECOVERY_EMAIL_DOMAINS_VARIABLE, "").split())
_CATALOG = (*ENTRIES, *exempt_name_entries(_EXEMPT_NAMES))
_INDEX = _index(_CATALOG)
_ALL: tuple[Candidate, ...] = tuple((entry, entry.conditions()) for entry in _CATALOG)


def classify(event: Any) -> Entry | None:
    """The catalog entry whose rule would deliver ``event``, or None.

    The index only narrows the candidates for the common case of string fields; the decision is
    always :func:`catalog.matches` over ``entry.conditions()``, the very conditions the rule
    patterns are built from.
    """
    if not isinstance(event, dict):
        return None
    source = event.get("source")
    detail = event.get("detail")
    name = detail.get("eventName") if isinstance(detail, dict) else None
    if type(source) is str and (name is None or type(name) is str):
        candidates = _INDEX.get((source, name), ()) + _INDEX.get((source, None), ())
    else:
        candidates = _ALL
    for entry, conditions in candidates:
        if matches(conditions, event):
            return entry
    return None


# ---------------------------------------------------------------------------------------------
# Defensive field access: every helper accepts anything and returns clean, bounded text.
# ---------------------------------------------------------------------------------------------


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any, limit: int = FIELD_LIMIT) -> str:
    """One line of at most ``limit`` characters, or "" for missing/null/empty values."""
    if type(value) is str:
        if len(value) <= limit and value.isprintable():
            return value
        text = value
    elif value is None or value is MISSING:
        return ""
    elif isinstance(value, bool | int | float):
        try:
            text = str(value)
        except ValueError:  # an int beyond Python's 4300-digit str() limit
            text = "<huge number>"
    else:
        text = _dumps(value, limit * 4)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    if not text.isprintable():
        text = text.translate(_CONTROL).encode("utf-8", "replace").decode("utf-8")
    return text.strip()


def _dumps(value: Any, limit_bytes: int) -> str:
    """Compact JSON of anything, truncated to ``limit_bytes`` of UTF-8; never raises."""
    try:
        text = json.dumps(value, ensure_ascii=False, skipkeys=True, default=repr)
    except (ValueError, TypeError, RecursionError) as error:
        text = f"<payload not serializable: {type(error).__name__}>"
    data = text.encode("utf-8", "replace")
    if len(data) <= limit_bytes:
        return data.decode("utf-8")
    return data[:limit_bytes].decode("utf-8", "ignore") + f"… [truncated, {len(data)} bytes]"


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _ascii_subject(text: str) -> str:
    """SNS subjects: ASCII, no control characters, start with a letter/digit/punctuation."""
    if not (text.isascii() and text.isprintable()):
        text = text.translate(_CONTROL).encode("ascii", "replace").decode("ascii")
    text = text.strip()
    if len(text) > SUBJECT_LIMIT:
        text = text[: SUBJECT_LIMIT - 3] + "..."
    return text or "mfa-guardrails alert"


def _failure(detail: dict[str, Any]) -> str:
    """Why the call failed ("AccessDenied: ...", "Failure"), or "" when it succeeded."""
    code = detail.get("errorCode")
    if code is not None and code != "":
        code = _text(code)
        message = _text(detail.get("errorMessage"))
        return f"{code}: {message}" if message else code
    response = detail.get("responseElements")
    if isinstance(response, dict):
        for key in (
            "ConsoleLogin", "PasswordRecoveryRequested", "PasswordRecoveryCompleted",
            "PasswordUpdated",
        ):  # fmt: skip
            if response.get(key) == "Failure":
                message = _text(detail.get("errorMessage"))
                return f"Failure: {message}" if message else "Failure"
    return ""


# ---------------------------------------------------------------------------------------------
# Formatting
# ---------------------------------------------------------------------------------------------


def _shown(lines: list[str], detail: dict[str, Any], shows: tuple[Shown, ...]) -> None:
    """Append "label: value" for each of the entry's fields present in the event."""
    for label, path in shows:
        value: Any = detail
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if value is None:
            continue
        text = _text(value)
        if label == RULE_OWNER:
            text = config_rule_owner(text)
        lines.append(f"  {label}: {text}")
        if label == PHONE and (problem := phone_problem(text)):
            lines.append(f"  WARNING: {problem}")


_IDENTITY_CENTER_ROLE = "AWSReservedSSO_"


def _who(lines: list[str], identity: Any, detail: dict[str, Any]) -> None:
    if not isinstance(identity, dict) or not identity:
        lines.append("Who: AWS (no user identity in the event)")
        return
    get = identity.get
    on_behalf_of = get("onBehalfOf")
    user_id = on_behalf_of.get("userId") if isinstance(on_behalf_of, dict) else None
    principal = (
        _text(get("arn"))
        or _text(get("principalId"))
        # An Identity Center user acting in the access portal has neither (AWS, 2024).
        or (f"Identity Center user {_text(user_id)}" if user_id else "")
        or "(unknown principal)"
    )
    lines.append(f"Who: {principal} ({_text(get('type'), 40) or 'unknown identity type'})")
    session = get("sessionContext")
    mfa = ""
    if isinstance(session, dict):
        issuer = session.get("sessionIssuer")
        if isinstance(issuer, dict) and issuer.get("arn") is not None:
            lines.append(f"  role: {_text(issuer.get('arn'))}")
        attributes = session.get("attributes")
        if isinstance(attributes, dict) and attributes.get("mfaAuthenticated") is not None:
            mfa = f"; MFA-authenticated session: {_text(attributes['mfaAuthenticated'], 8)}"
            if _IDENTITY_CENTER_ROLE in _text(issuer.get("arn") if isinstance(issuer, dict)
                                              else "") + _text(get("arn")):  # fmt: skip
                mfa += (
                    " (an Identity Center session: MFA, if any, happened at Identity Center "
                    "sign-in, which AWS logs as false here)"
                )
    lines.append(f"  via: {_via(identity, detail)}{mfa}")


def _via(identity: dict[str, Any], detail: dict[str, Any]) -> str:
    scope = identity.get("inScopeOf")
    if isinstance(scope, dict) and scope.get("issuerType") == _ASSUME_ROOT:
        issued_to = _text(scope.get("credentialsIssuedTo")) or "an unknown principal"
        return f"AssumeRoot (centralized root access) session issued to {issued_to}"
    if detail.get("eventType") == "AwsConsoleSignIn":
        return "console sign-in"
    key = _text(identity.get("accessKeyId"), 40)
    if detail.get("sessionCredentialFromConsole") == "true":
        how = "console session"
    elif key.startswith("AKIA"):
        how = "long-term access key"
    elif key.startswith("ASIA"):
        how = "temporary credentials"
    elif identity.get("invokedBy"):
        return f"AWS service {_text(identity.get('invokedBy'))}"
    else:
        how = "access key" if key else "unknown"
    return f"{how} {key}" if key else how


_ADVICE: tuple[Entry | Advice, ...] = (*_CATALOG, UNRECOGNIZED)
_TAILS = {
    advice.id: f"\nWhy it matters: {advice.why}\n\nWhat to do: {advice.what_to_do}\n\n"
    f"Alert: {advice.id}"
    for advice in _ADVICE
}


def format_message(event: Any, entry: Entry | Advice | None) -> Message:
    """The alert for ``event`` (``entry`` is what :func:`classify` returned for it)."""
    if entry is None or not isinstance(event, dict):
        return _unrecognized(event)
    detail = event.get("detail")
    if not isinstance(detail, dict):
        detail = {}
    get = detail.get
    failure = _failure(detail)
    headline = entry.attempt_title if failure and entry.attempt_title else entry.title
    severity = entry.severity.upper()
    account = _text(event.get("account"), 40) or _text(get("recipientAccountId"), 40)

    what = _text(get("eventName"), 80) or _text(event.get("detail-type"), 80)
    if get("eventSource") is not None:
        what = f"{what} ({_text(get('eventSource'), 80)})"
    if failure:
        what = f"{what}, FAILED with {failure}"
    lines = [f"{severity}: {headline}", "", f"What: {what}"]
    if isinstance(entry, Entry):
        _shown(lines, detail, entry.shows)
    if isinstance(entry, Entry) and entry.raw_detail:
        # AWS documents no field of this detail: nothing is picked, everything is shown.
        lines.append("Who: not documented for this event; see the detail below")
        lines.append(f"Detail (raw JSON, as AWS sent it): {_dumps(detail, RAW_LIMIT_BYTES)}")
        if event.get("resources"):
            lines.append(f"  resources: {_text(event.get('resources'), 1024)}")
    else:
        _who(lines, get("userIdentity"), detail)
    region = _text(event.get("region"), 40) or _text(get("awsRegion"), 40)
    lines.append(f"Where: account {account or '?'}, region {region or '?'}")
    if get("sourceIPAddress") is not None:
        lines.append(f"  source IP: {_text(get('sourceIPAddress'), 64)}")
    if get("userAgent") is not None:
        lines.append(f"  user agent: {_text(get('userAgent'), USER_AGENT_LIMIT)}")
    when = _text(get("eventTime"), 40) or _text(event.get("time"), 40) or "?"
    event_id = _text(get("eventID"), 64) or _text(event.get("id"), 64) or "?"
    tail = _TAILS.get(entry.id) or _tail(entry)
    lines.append(f"When: {when}\nSeverity: {severity}\n{tail}\nEvent id: {event_id}")
    subject = f"[{severity}] {headline} - {account}" if account else f"[{severity}] {headline}"
    return Message(
        alert_id=entry.id,
        severity=entry.severity.value,
        subject=_ascii_subject(subject),
        body=_limit_body("\n".join(lines)),
    )


def _caller_arn(identity: dict[str, Any]) -> str:
    """The ARN the SCPs saw: an assumed role's own ARN (with its path), else the caller's."""
    issuer = _obj(_obj(identity.get("sessionContext")).get("sessionIssuer"))
    arn = issuer.get("arn") if identity.get("type") == "AssumedRole" else identity.get("arn")
    return _text(arn, 256) if isinstance(arn, str) else ""


def recovery_note(event: Any, admins: tuple[str, ...]) -> str:
    """What an alert caused by ``mfa-guardrails recover`` says first: expected, naming the
    recovery and who ran it, when the caller is one of the configuration's admins; otherwise
    that the mark is a claim (a user agent is whatever the caller sends). Empty without it."""
    detail = _obj(event.get("detail")) if isinstance(event, dict) else {}
    agent = detail.get("userAgent")
    if not isinstance(agent, str) or RECOVERY_USER_AGENT not in agent:
        return ""
    record = _text(agent.split(RECOVERY_USER_AGENT, 1)[1].split(" ")[0], 128)
    caller = _caller_arn(_obj(detail.get("userIdentity")))
    if caller and any(fnmatch.fnmatchcase(caller, pattern) for pattern in admins):
        return (f"Expected: recovery {record} by {caller} (mfa-guardrails recover); its record "
                "says why. If nobody ran it, treat the caller's credentials as stolen.")
    return (f"Marked as recovery {record}, but {caller or 'the caller'} is not an admin of the "
            "configuration: treat it as not expected.")


def email_note(event: Any, domains: tuple[str, ...]) -> str:
    """For a root e-mail change: whether the new address is the organization's (the first
    recovery factor, in a mailbox someone else holds, is how accounts are lost). Empty when the
    event names no new address."""
    detail = _obj(event.get("detail")) if isinstance(event, dict) else {}
    address = _obj(detail.get("requestParameters")).get("primaryEmail")
    if not isinstance(address, str) or "@" not in address:
        return ""
    domain = _text(address.rpartition("@")[2], 253)
    problem = email_domain_problem(address, domains)
    if problem:
        return f"The new root e-mail is at {domain}: {problem}. Undo it unless that is planned."
    if domains:
        return f"The new root e-mail is at {domain}, one of the organization's domains."
    return f"The new root e-mail is at {domain} (recovery-email-domains is not set)."


def with_note(message: Message, note: str) -> Message:
    """``message`` with ``note`` after its headline (what the correlation state knows)."""
    if not note:
        return message
    headline, _, rest = message.body.partition("\n")
    return message._replace(body=_limit_body(f"{headline}\n{_text(note, 512)}\n{rest}"))


def _tail(advice: Entry | Advice) -> str:
    return (
        f"\nWhy it matters: {advice.why}\n\nWhat to do: {advice.what_to_do}\n\nAlert: {advice.id}"
    )


def _unrecognized(event: Any, note: str = "") -> Message:
    advice = UNRECOGNIZED
    lines = [f"{advice.severity.upper()}: {advice.title}", ""]
    if note:
        lines += [note, ""]
    lines += [
        f"Why it matters: {advice.why}",
        "",
        f"What to do: {advice.what_to_do}",
        "",
        "Raw payload (JSON, truncated):",
        _dumps(event, RAW_LIMIT_BYTES),
    ]
    return Message(
        alert_id=advice.id,
        severity=advice.severity.value,
        subject=_ascii_subject(f"[{advice.severity.upper()}] {advice.title}"),
        body=_limit_body("\n".join(lines)),
    )


def _limit_body(body: str) -> str:
    if len(body) * 4 <= BODY_LIMIT_BYTES:  # fast path: cannot exceed in UTF-8
        return body
    data = body.encode("utf-8", "replace")
    if len(data) <= BODY_LIMIT_BYTES:
        return data.decode("utf-8")
    return data[: BODY_LIMIT_BYTES - 32].decode("utf-8", "ignore") + "\n… [truncated]"


# ---------------------------------------------------------------------------------------------
# Lambda entry point
# ---------------------------------------------------------------------------------------------


@cache
def sns_client(region: str) -> SNSClient:
    """The SNS client, created on first use (boto3 import is the bulk of a cold start)."""
    import boto3

    return boto3.client("sns", region_name=region)


@cache
def dynamodb_client(region: str) -> DynamoDBClient:
    import boto3

    return boto3.client("dynamodb", region_name=region)


class Heartbeat(NamedTuple):
    """What the heartbeat table keeps per account: when CloudTrail recorded its canary's write
    (the event's own time, so a heartbeat replayed late proves nothing about now) and how long
    the path took from the schedule to the notifier."""

    account: str
    event_time: str  # ISO 8601, UTC, "Z": compares as text
    scheduled_time: str  # the schedule's <aws.scheduler.scheduled-time>, from the tag's value
    latency_seconds: float | None

    def item(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "account": {"S": self.account},
            "lastHeartbeat": {"S": self.event_time},
            "scheduledTime": {"S": self.scheduled_time},
        }
        if self.latency_seconds is not None:
            item["latencySeconds"] = {"N": f"{self.latency_seconds:.0f}"}
        return item


def _utc(text: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else None


HEARTBEAT_CLOCK_SKEW = timedelta(minutes=5)


def heartbeat_of(event: dict[str, Any], now: datetime) -> Heartbeat | None:
    """The heartbeat in a canary event, or None when it cannot be one: the event's account must
    be an account id that the caller, its session's issuer and CloudTrail's recipient all agree
    on, and the event must have a time, not in the future. None is published as an alert
    instead."""
    detail = _obj(event.get("detail"))
    identity = _obj(detail.get("userIdentity"))
    issuer = _obj(_obj(identity.get("sessionContext")).get("sessionIssuer"))
    account = event.get("account")
    claimed = {identity.get("accountId"), issuer.get("accountId"), detail.get("recipientAccountId")}
    recorded = _utc(event.get("time"))
    if not (isinstance(account, str) and len(account) == 12 and account.isdigit()):
        return None
    if claimed != {account} or recorded is None:
        return None
    # A time ahead of now would outrank every real heartbeat in the table's conditional write
    # (an admin may invoke the notifier, replaying dead letters): that account would never look
    # silent again. Clocks may differ by seconds, not by minutes.
    if recorded > now + HEARTBEAT_CLOCK_SKEW:
        return None
    scheduled = ""
    tags = _obj(detail.get("requestParameters")).get("tags")
    for tag in tags if isinstance(tags, list) else ():
        if isinstance(tag, dict) and tag.get("key") == HEARTBEAT_TAG_KEY:
            scheduled = _text(tag.get("value"), 64)
    fired = _utc(scheduled)
    latency = (now - fired).total_seconds() if fired is not None else None
    event_time = recorded.isoformat(timespec="seconds").replace("+00:00", "Z")
    return Heartbeat(account, event_time, scheduled, latency)


def record_heartbeat(heartbeat: Heartbeat, table: str) -> bool:
    """Write the account's heartbeat unless a later one is there already (False then); any other
    failure raises, so the event retries like an alert."""
    region = os.environ.get("AWS_REGION", "us-east-1")
    client = dynamodb_client(region)
    try:
        client.put_item(
            TableName=table, Item=heartbeat.item(),
            ConditionExpression="attribute_not_exists(lastHeartbeat) OR lastHeartbeat < :t",
            ExpressionAttributeValues={":t": {"S": heartbeat.event_time}},
        )  # fmt: skip
    except client.exceptions.ConditionalCheckFailedException:
        return False
    return True


def _classified(event: Any) -> Entry | Exception | None:
    """The entry of ``event``, None, or the exception a classifier bug raised."""
    try:
        return classify(event)
    except Exception as error:  # the alert must go out whatever the bug: build_message says so
        return error


def build_message(event: Any, classified: Entry | Exception | None = MISSING) -> Message:
    """Format ``event`` as classified (classifying it unless given); a classifier or formatter
    bug still yields an (unrecognized) alert, never nothing."""
    try:
        found = _classified(event) if classified is MISSING else classified
        if isinstance(found, Exception):
            raise found
        return format_message(event, found)
    except Exception as error:  # the alert must go out whatever the bug
        return _unrecognized(event, note=f"The notifier failed to format this event: {error!r}")


def handler(event: Any, context: Any) -> dict[str, str]:
    """Lambda entry point: publish one message for ``event``, or record a heartbeat; raise if
    either fails (Lambda retries, then the on-failure queue)."""
    classified = _classified(event)  # once per event: the hot path
    table = os.environ.get("HEARTBEAT_TABLE")
    decision = Decision(True)
    if isinstance(classified, Entry) and classified.correlate:
        decision = _decide(classified, event, table)
        if not decision.publish:
            print(json.dumps({"quiet": classified.id, "why": decision.note}))
            return {"quiet": classified.id, "why": decision.note}
    if table and isinstance(classified, Entry) and classified.heartbeat:
        heartbeat = heartbeat_of(event, datetime.now(UTC))
        if heartbeat is not None:
            newest = record_heartbeat(heartbeat, table)
            print(json.dumps({"heartbeat": heartbeat.account, "newest": newest,
                              "latency_seconds": heartbeat.latency_seconds}))  # fmt: skip
            return {"heartbeat": heartbeat.account}
        message = _unrecognized(event, note=FORGED_HEARTBEAT)
    else:
        note = " ".join(filter(None, (
            recovery_note(event, _RECOVERY_ADMINS),
            email_note(event, _EMAIL_DOMAINS) if isinstance(classified, Entry)
            and classified.id == "primary-email-update-started" else "",
            decision.note,
        )))
        message = with_note(build_message(event, classified), note)
    topic_arn = os.environ["TOPIC_ARN"]
    region = topic_arn.split(":")[3] if topic_arn.count(":") >= 5 else None
    response = sns_client(region or os.environ.get("AWS_REGION", "us-east-1")).publish(
        **message.publish_args(topic_arn)
    )
    print(json.dumps({"alert": message.alert_id, "severity": message.severity}))
    if table and decision.key:
        try:
            mark_published(_dynamodb(), table, decision.key)
        except Exception as error:  # published already: a retry may repeat it, nothing is lost
            print(json.dumps({"unmarked": decision.key, "error": type(error).__name__}))
    return {"alert": message.alert_id, "messageId": str(response.get("MessageId", ""))}


def _dynamodb() -> DynamoDBClient:
    return dynamodb_client(os.environ.get("AWS_REGION", "us-east-1"))


def _decide(entry: Entry, event: Any, table: str | None) -> Decision:
    """The correlation's decision; a bug in it still publishes (an alert is never dropped)."""
    try:
        return decide(entry.correlate, event, _dynamodb() if table else None, table,
                      datetime.now(UTC))  # fmt: skip
    except Exception as error:
        return Decision(True, f"Sign-in state failed ({type(error).__name__}): alerted anyway.")
