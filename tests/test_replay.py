"""The dead-letter replay against moto SQS, with the notifier's invocation injected (moto runs
Lambda only in Docker): dry run by default, delete only after delivery, leave what is not an
event, and say so."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from mfa_guardrails.cli import replay

REGION = "us-east-1"
SESSION = boto3.session.Session()
EVENT = json.loads((Path(__file__).parent / "samples" / "root-mfa-removed.json").read_text())
# What Lambda writes to an on-failure destination after the retries (AWS Lambda developer guide,
# "Capturing records of asynchronous invocations").
DESTINATION_RECORD = {
    "version": "1.0",
    "timestamp": "2025-03-04T10:20:02.000Z",
    "requestContext": {"requestId": "e4b46cbf-b738-xmpl-8880-a18cdf61200e",
                       "functionArn": "arn:aws:lambda:us-east-1:111122223333:function:"
                       "mfa-guardrails-notifier:$LATEST", "condition": "RetriesExhausted",
                       "approximateInvokeCount": 3},
    "requestPayload": EVENT,
    "responseContext": {"statusCode": 200, "executedVersion": "$LATEST",
                        "functionError": "Unhandled"},
    "responsePayload": {"errorMessage": "SNS publish failed", "errorType": "ClientError"},
}  # fmt: skip


class Queues:
    def __init__(self) -> None:
        self.sqs: Any = SESSION.client("sqs", region_name=REGION)
        self.urls = {name: self.sqs.create_queue(QueueName=name)["QueueUrl"]
                     for name in replay.QUEUES}  # fmt: skip
        rule_dlq, failures = (self.urls[name] for name in replay.QUEUES)
        for body in (json.dumps(EVENT), "", "{not json"):
            self.sqs.send_message(QueueUrl=rule_dlq, MessageBody=body or " ")
        for body in (json.dumps(DESTINATION_RECORD), json.dumps({"Records": []})):
            self.sqs.send_message(QueueUrl=failures, MessageBody=body)

    def held(self) -> int:
        """Every message still in the queues, visible or not."""
        return sum(
            int(attributes[key])
            for url in self.urls.values()
            for attributes in [self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
                ["Attributes"]]
            for key in ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")
        )  # fmt: skip


@pytest.fixture
def queues(monkeypatch: pytest.MonkeyPatch) -> Iterator[Queues]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        yield Queues()


def run(*argv: str, invoke: Any = None) -> tuple[int, str, list[dict[str, Any]]]:
    delivered: list[dict[str, Any]] = []

    def invoker(_client: Any, _name: str) -> Any:
        def call(event: dict[str, Any]) -> bool:
            ok = invoke(event) if invoke else True
            if ok:
                delivered.append(event)
            return bool(ok)

        return call

    out = io.StringIO()
    code = replay.main(["--region", REGION, *argv], session=SESSION, invoker=invoker, out=out)
    return code, out.getvalue(), delivered


def test_a_dry_run_counts_and_changes_nothing(queues: Queues) -> None:
    code, out, delivered = run()
    assert (code, delivered) == (0, [])
    assert "mfa-guardrails-rule-dead-letters: 1 event(s), would replay 1, 2 message(s) that " \
        "are not events" in out
    assert "mfa-guardrails-notifier-failures: 1 event(s), would replay 1" in out
    assert "dry run: nothing was sent or deleted" in out
    assert queues.held() == 5


def test_apply_delivers_each_event_once_and_keeps_what_is_not_an_event(queues: Queues) -> None:
    code, out, delivered = run("--apply")
    assert code == 0
    assert "mfa-guardrails-rule-dead-letters: 1 event(s), delivered 1" in out
    assert delivered == [EVENT, EVENT]  # the raw dead letter and the unwrapped record
    assert queues.held() == 3  # the empty, the malformed and the foreign message stay
    code, _out, delivered = run("--apply")
    assert (code, delivered) == (0, [])  # idempotent: nothing is delivered twice


def test_a_failed_delivery_stays_in_the_queue(queues: Queues) -> None:
    code, out, _delivered = run("--apply", invoke=lambda event: False)
    assert code == replay.EXIT_WAITING
    assert "1 failed (left in the queue)" in out
    assert queues.held() == 5


def test_a_missing_queue_cannot_run(queues: Queues) -> None:
    code, out, _ = run("--queue", "no-such-queue")
    assert code == replay.EXIT_CANNOT_RUN
    assert "replay could not run" in out
    assert "Fix: run it in the alerting account" in out


@pytest.mark.parametrize(
    "body", ["", "null", "[1]", '{"requestContext": {}, "requestPayload": "x"}', '{"a": 1}']
)
def test_what_is_not_an_event(body: str) -> None:
    assert replay.event_of(body) is None
