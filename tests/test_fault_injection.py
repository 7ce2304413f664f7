"""Nothing is lost when SNS fails at random: thousands of real-shaped and fuzzed events through the
notifier, each invoked the way Lambda invokes asynchronously (one try and up to two retries while
the handler raises, then the on-failure destination), with publish failing at a fixed rate.

Every event must end exactly one way: published once, or (all tries failed) in the on-failure
queue, from where `mfa-guardrails replay` delivers it. Never both, never neither.
The SNS client is an in-memory double that fails like botocore (a ClientError) and checks what
SNS checks (subject, size); moto is too slow for thousands of publishes in the test budget, and
tests/test_notifier.py already runs every sample through moto's SNS.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from constructs_lib.alerting.runtime import handler as notifier

SAMPLES = sorted((Path(__file__).parent / "samples").glob("*.json"))
EVENTS = 3_000
FAILURE_RATE = 0.3
ASYNC_TRIES = 3  # Lambda: the first invocation and two retries (notifier_retry_attempts = 2)
SNS_MESSAGE_LIMIT = 256 * 1024


class FlakySns:
    """publish() fails with a ClientError at ``rate``; otherwise records one notification."""

    def __init__(self, rate: float, seed: int) -> None:
        self.random = random.Random(seed)
        self.rate = rate
        self.published: list[dict[str, Any]] = []

    def publish(self, **request: Any) -> dict[str, str]:
        assert len(request["Subject"]) < 100
        assert request["Subject"].isascii()
        assert len(request["Message"].encode()) <= SNS_MESSAGE_LIMIT
        if self.random.random() < self.rate:
            raise ClientError({"Error": {"Code": "ThrottledException", "Message": "injected"}},
                              "Publish")  # fmt: skip
        self.published.append(request)
        return {"MessageId": str(len(self.published))}


def _events(count: int, seed: int) -> list[Any]:
    """Real-shaped samples, and the same with fields removed, retyped or made huge."""
    rng = random.Random(seed)
    samples = [json.loads(path.read_text()) for path in SAMPLES]
    hostile: list[Any] = [None, 0, "", [], {}, "x" * 20_000, {"nested": {"deep": [1, 2]}}]
    events: list[Any] = []
    for index in range(count):
        event = copy.deepcopy(samples[index % len(samples)])
        if index % 3:
            detail = event.get("detail", {})
            for _ in range(rng.randint(1, 3)):
                if detail:
                    detail[rng.choice(sorted(detail))] = rng.choice(hostile)
        if index % 97 == 0:
            event = rng.choice(hostile)
        events.append(event)
    return events


def test_every_event_is_published_or_in_the_failure_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sns = FlakySns(FAILURE_RATE, seed=20261130)
    monkeypatch.setenv("TOPIC_ARN", "arn:aws:sns:us-east-1:111122223333:mfa-guardrails-alerts")
    monkeypatch.setattr(notifier, "sns_client", lambda region: sns)
    events = _events(EVENTS, seed=7)
    on_failure: set[int] = set()  # indices of the events the destination holds
    published_per_event: list[int] = []
    for index, event in enumerate(events):
        before = len(sns.published)
        for _ in range(ASYNC_TRIES):
            try:
                notifier.handler(event, None)
            except ClientError:
                continue  # Lambda retries the same event
            break
        else:
            on_failure.add(index)  # the on-failure destination keeps it for replay
        published_per_event.append(len(sns.published) - before)
    lost = [i for i, n in enumerate(published_per_event) if n == 0 and i not in on_failure]
    doubled = [i for i, n in enumerate(published_per_event) if n > 1]
    both = [i for i, n in enumerate(published_per_event) if n and i in on_failure]
    assert (lost, doubled, both) == ([], [], [])
    assert len(sns.published) + len(on_failure) == EVENTS
    # With 30 % failures, about 0.3^3 = 2.7 % exhaust every try: the failure path is exercised.
    assert 0.01 * EVENTS < len(on_failure) < 0.05 * EVENTS
