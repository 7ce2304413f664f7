"""Dead letters come back: ``mfa-guardrails replay [--apply] [--region R]``.

An alert EventBridge could not deliver to the notifier waits in the rule dead-letter queue
(``mfa-guardrails-rule-dead-letters``: the message body is the event itself); an alert the
notifier could not publish after its retries waits in its on-failure queue
(``mfa-guardrails-notifier-failures``: a Lambda destination record whose ``requestPayload`` is the
event). This command reads both and sends each event back through the notifier function.

Dry run by default: it reads and counts, changes nothing. With ``--apply`` each event is
invoked synchronously, and its message is deleted only after the notifier returned without an
error, so running it twice delivers nothing twice (a crash between the two steps can repeat one
alert, never lose one). A message that is not an event (empty, malformed, a foreign record) is
reported and left in the queue. Exit code: 0 nothing left to deliver (or a dry run), 1 some
events are still waiting, 2 the command could not run (credentials, permissions, no queue).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from constructs_lib.naming import PRODUCT_PREFIX

QUEUES = (f"{PRODUCT_PREFIX}rule-dead-letters", f"{PRODUCT_PREFIX}notifier-failures")
NOTIFIER = f"{PRODUCT_PREFIX}notifier"
EXIT_DONE, EXIT_WAITING, EXIT_CANNOT_RUN = 0, 1, 2
# A dry run hides what it read for this long only (it must not delay a real replay much).
DRY_RUN_VISIBILITY_SECONDS = 30
APPLY_VISIBILITY_SECONDS = 120


@dataclass
class Counts:
    """What one queue held, and what became of it."""

    events: int = 0
    delivered: int = 0
    failed: int = 0
    not_events: list[str] = field(default_factory=list)  # message ids, left in the queue


def event_of(body: str) -> dict[str, Any] | None:
    """The alert event a dead letter carries, or None when it carries none."""
    try:
        message = json.loads(body)
    except (json.JSONDecodeError, TypeError):
        return None
    if not isinstance(message, dict):
        return None
    # A Lambda on-failure destination record wraps the invocation's payload.
    if isinstance(message.get("requestContext"), dict) and "requestPayload" in message:
        payload = message["requestPayload"]
        return payload if isinstance(payload, dict) and "detail-type" in payload else None
    return message if "detail-type" in message and "source" in message else None


def replay_queue(
    sqs: Any, queue_url: str, invoke: Callable[[dict[str, Any]], bool], *, apply: bool
) -> Counts:
    """Read ``queue_url`` to the end; with ``apply``, deliver each event and delete it after."""
    counts = Counts()
    seen: set[str] = set()
    visibility = APPLY_VISIBILITY_SECONDS if apply else DRY_RUN_VISIBILITY_SECONDS
    while True:
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=visibility,
            WaitTimeSeconds=0,
        ).get("Messages", [])  # fmt: skip
        fresh = [m for m in messages if m["MessageId"] not in seen]
        if not fresh:
            return counts
        for message in fresh:
            seen.add(message["MessageId"])
            event = event_of(message.get("Body", ""))
            if event is None:
                counts.not_events.append(message["MessageId"])
                continue
            counts.events += 1
            if not apply:
                continue
            if invoke(event):
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
                counts.delivered += 1
            else:
                counts.failed += 1


def lambda_invoker(client: Any, function_name: str) -> Callable[[dict[str, Any]], bool]:
    """Invoke the notifier synchronously: True when it returned without a function error."""

    def invoke(event: dict[str, Any]) -> bool:
        response = client.invoke(
            FunctionName=function_name, InvocationType="RequestResponse",
            Payload=json.dumps(event).encode(),
        )  # fmt: skip
        return int(response.get("StatusCode", 0)) == 200 and not response.get("FunctionError")

    return invoke


def main(
    argv: Sequence[str] | None = None,
    *,
    session: Any = None,
    invoker: Callable[[Any, str], Callable[[dict[str, Any]], bool]] = lambda_invoker,
    out: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    parser = argparse.ArgumentParser(prog="mfa-guardrails replay", description=__doc__)
    parser.add_argument("--apply", action="store_true", help="deliver (default: dry run)")
    parser.add_argument("--region", default=None, help="the alerting stack's region")
    parser.add_argument("--queue", action="append", help=f"queue names (default: {QUEUES})")
    parser.add_argument("--function", default=NOTIFIER, help="the notifier function's name")
    args = parser.parse_args(argv)
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        if session is None:
            import boto3

            session = boto3.Session()
        region = args.region or getattr(session, "region_name", None) or "us-east-1"
        sqs = session.client("sqs", region_name=region)
        invoke = invoker(session.client("lambda", region_name=region), args.function)
        totals = {
            name: replay_queue(sqs, sqs.get_queue_url(QueueName=name)["QueueUrl"], invoke,
                               apply=args.apply)
            for name in args.queue or QUEUES
        }
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        print(f"replay could not run: {code}: {error}. Fix: run it in the alerting account and "
              "region with sqs:ReceiveMessage, sqs:DeleteMessage, sqs:GetQueueUrl and "
              f"lambda:InvokeFunction on {args.function}", file=out)  # fmt: skip
        return EXIT_CANNOT_RUN
    except BotoCoreError as error:
        print(f"replay could not run: {error}. Fix: sign in to the alerting account", file=out)
        return EXIT_CANNOT_RUN
    verb = "delivered" if args.apply else "would replay"
    for name, counts in totals.items():
        done = counts.delivered if args.apply else counts.events
        line = f"{name}: {counts.events} event(s), {verb} {done}"
        if counts.failed:
            line += f", {counts.failed} failed (left in the queue)"
        if counts.not_events:
            line += (f", {len(counts.not_events)} message(s) that are not events left in the "
                     f"queue ({', '.join(counts.not_events[:3])})")  # fmt: skip
        print(line, file=out)
    if not args.apply:
        print("dry run: nothing was sent or deleted; run again with --apply", file=out)
        return EXIT_DONE
    waiting = sum(c.failed for c in totals.values())
    return EXIT_WAITING if waiting else EXIT_DONE


if __name__ == "__main__":
    sys.exit(main())
