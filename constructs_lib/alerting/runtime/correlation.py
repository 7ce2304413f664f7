"""State the notifier keeps before alerting on Identity Center sign-ins (catalog ``correlate``).

Two kinds, both in the heartbeat table (partition key ``account``; the heartbeat monitor reads
only items with a ``lastHeartbeat``, and these keys start with ``#``, which no account id does):

* ``once-per-user-per-day``: the first password-only sign-in of a user on a UTC day alerts; its
  item (``#signin-no-mfa/<account>/<user>/<day>``) makes the later ones of that day quiet.
* ``repeated-failures``: failed second-factor verifications of a user are counted per UTC hour
  (``#mfa-failures/<account>/<user>/<hour>``); the one that reaches :data:`FAILURE_THRESHOLD`
  alerts, once.

Bounded: every item expires (DynamoDB TTL on ``expiresAt``, :data:`STATE_TTL_SECONDS`), a user
key is cut to :data:`USER_LIMIT` characters and at most :data:`MAX_EVENT_IDS` event ids are kept
per window, so an item stays under 1 KB. Idempotent under the notifier's retries: each item
remembers the event that claimed the alert, and that same event (a Lambda retry, or EventBridge
delivering twice) may claim it again until :func:`mark_published` records the publish, so a
publish that failed is retried and one that succeeded is not repeated. Never silent by accident:
without a table, without a user to key on, or when DynamoDB fails, :func:`decide` says publish.

Standard library only; the DynamoDB client is handed in.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any, NamedTuple

if __package__:  # imported as constructs_lib.alerting.runtime.correlation
    from .catalog import ONCE_PER_USER_PER_DAY, REPEATED_FAILURES
else:  # pragma: no cover - in Lambda the runtime folder is the code root
    from catalog import (  # type: ignore[import-not-found,no-redef]
        ONCE_PER_USER_PER_DAY,
        REPEATED_FAILURES,
    )

FAILURE_THRESHOLD = 3
"""Failed second-factor verifications of one user in one UTC hour that make an alert: a person
mistypes a code once, maybe twice, then gets it right (or resynchronizes); a third failure within
the hour is more than a typo, and every one of them came after the password was accepted."""
STATE_TTL_SECONDS = 2 * 24 * 3600
"""Items outlive their day or hour (the key carries the window; TTL only cleans up)."""
MAX_EVENT_IDS = 10
USER_LIMIT = 128
TTL_ATTRIBUTE = "expiresAt"


class Decision(NamedTuple):
    """Whether to publish, a line for the message (or the log), and the item to mark published."""

    publish: bool
    note: str = ""
    key: str = ""


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _clean(value: Any) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool):
        return ""
    text = "".join(ch for ch in str(value) if ch.isprintable() and ch not in "/#")
    return text.strip()[:USER_LIMIT]


def user_of(detail: dict[str, Any]) -> str:
    """The user a sign-in record is about: the Identity Center user id (userIdentity.onBehalfOf,
    the 2024 format) or the user name (the documented sign-in examples), else ""."""
    identity = _obj(detail.get("userIdentity"))
    user_id = _clean(_obj(identity.get("onBehalfOf")).get("userId"))
    if user_id:
        return f"id:{user_id}"
    name = _clean(identity.get("userName"))
    return f"name:{name}" if name else ""


def event_id(event: dict[str, Any]) -> str:
    """EventBridge's id (the same on every retry of one delivery), CloudTrail's eventID, or a
    digest of the event."""
    for value in (event.get("id"), _obj(event.get("detail")).get("eventID")):
        if text := _clean(value):
            return text[:64]
    payload = json.dumps(event, sort_keys=True, default=repr, ensure_ascii=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def _moment(event: dict[str, Any], now: datetime) -> datetime:
    for value in (_obj(event.get("detail")).get("eventTime"), event.get("time")):
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            continue
        if moment.tzinfo:
            return moment.astimezone(UTC)
    return now


def _conditional_failed(error: Exception) -> bool:
    response = getattr(error, "response", None)
    code = _obj(_obj(response).get("Error")).get("Code")
    return code == "ConditionalCheckFailedException"


def decide(kind: str, event: Any, dynamodb: Any, table: str | None, now: datetime) -> Decision:
    """Whether ``event`` of a correlated entry should be published now."""
    if not table:
        return Decision(True, "No state table: every such event alerts (no per-user limit).")
    if not isinstance(event, dict):
        return Decision(True, "Malformed event: alerted without state.")
    detail = _obj(event.get("detail"))
    user = user_of(detail)
    if not user:
        return Decision(True, "The record names no user: alerted without the per-user limit.")
    account = _clean(event.get("account")) or _clean(detail.get("recipientAccountId")) or "?"
    moment = _moment(event, now)
    expires = str(int(now.timestamp()) + STATE_TTL_SECONDS)
    this = event_id(event)
    windows = {
        ONCE_PER_USER_PER_DAY: (_once_a_day, f"#signin-no-mfa/{account}/{user}/{moment:%Y-%m-%d}"),
        REPEATED_FAILURES: (_repeated, f"#mfa-failures/{account}/{user}/{moment:%Y-%m-%dT%H}"),
    }
    if kind not in windows:
        return Decision(True, f"Unknown correlation {kind!r}: alerted.")
    step, key = windows[kind]
    try:
        return step(dynamodb, table, key, this, expires)
    except Exception as error:  # throttled, denied: an alert too many beats one lost
        return Decision(True, f"Sign-in state unavailable ({type(error).__name__}): alerted "
                        "without the per-user limit.")  # fmt: skip


# A retry of the event that claimed the alert may claim it again until it was published.
_CLAIMABLE = (
    "attribute_not_exists(alertedBy) OR (alertedBy = :id AND attribute_not_exists(published))"
)


def _once_a_day(dynamodb: Any, table: str, key: str, this: str, expires: str) -> Decision:
    try:
        dynamodb.update_item(
            TableName=table, Key={"account": {"S": key}},
            UpdateExpression=f"SET alertedBy = :id, {TTL_ATTRIBUTE} = :ttl",
            ConditionExpression=_CLAIMABLE,
            ExpressionAttributeValues={":id": {"S": this}, ":ttl": {"N": expires}},
        )  # fmt: skip
    except Exception as error:
        if _conditional_failed(error):
            return Decision(False, "already alerted for this user today")
        raise
    return Decision(True, "", key)


def _repeated(dynamodb: Any, table: str, key: str, this: str, expires: str) -> Decision:
    item_key = {"account": {"S": key}}
    try:
        response = dynamodb.update_item(
            TableName=table, Key=item_key,
            UpdateExpression=f"ADD failures :one, eventIds :ids SET {TTL_ATTRIBUTE} = :ttl",
            ConditionExpression="attribute_not_exists(eventIds) OR "
            "(NOT contains(eventIds, :id) AND size(eventIds) < :cap)",
            ExpressionAttributeValues={
                ":one": {"N": "1"}, ":ids": {"SS": [this]}, ":id": {"S": this},
                ":cap": {"N": str(MAX_EVENT_IDS)}, ":ttl": {"N": expires},
            },
            ReturnValues="ALL_NEW",
        )  # fmt: skip
        attributes = _obj(response.get("Attributes"))
    except Exception as error:
        if not _conditional_failed(error):
            raise
        # Counted already (a retry), or the window is full: read where it stands.
        attributes = _obj(dynamodb.get_item(TableName=table, Key=item_key,
                                            ConsistentRead=True).get("Item"))  # fmt: skip
    try:
        failures = int(_obj(attributes.get("failures")).get("N", "0"))
    except ValueError:
        failures = 0
    if failures < FAILURE_THRESHOLD:
        return Decision(False, f"{failures} of {FAILURE_THRESHOLD} failures this hour")
    try:
        dynamodb.update_item(
            TableName=table, Key=item_key, UpdateExpression="SET alertedBy = :id",
            ConditionExpression=_CLAIMABLE, ExpressionAttributeValues={":id": {"S": this}},
        )  # fmt: skip
    except Exception as error:
        if _conditional_failed(error):
            return Decision(False, "already alerted for this user this hour")
        raise
    return Decision(True, f"{failures} failed second-factor verifications for this user in "
                    f"this UTC hour (alert threshold {FAILURE_THRESHOLD}).", key)  # fmt: skip


def mark_published(dynamodb: Any, table: str, key: str) -> None:
    """Record that the claimed alert went out: a later retry of its event stays quiet."""
    dynamodb.update_item(
        TableName=table, Key={"account": {"S": key}}, UpdateExpression="SET published = :t",
        ExpressionAttributeValues={":t": {"BOOL": True}},
    )  # fmt: skip
