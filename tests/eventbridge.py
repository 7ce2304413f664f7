"""moto's EventBridge pattern matcher, with each event flattened once for many patterns.

``EventPattern.matches_event`` round-trips the event through JSON and flattens it on every call;
the tests match each event against every rule (40 or more), so they flatten it once and ask each
pattern with moto's own matching function.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from moto.events.models import EventPattern


def load(pattern: Mapping[str, Any]) -> EventPattern:
    return EventPattern.load(json.dumps(pattern))


def matching(patterns: Mapping[str, EventPattern], event: Any) -> list[str]:
    """The names of the patterns EventBridge would match ``event`` with, sorted."""
    flat = EventPattern._flatten_dict(json.loads(json.dumps(event)))
    return sorted(
        name for name, pattern in patterns.items()
        if not pattern._pattern or pattern._does_event_match(flat, pattern._pattern)
    )  # fmt: skip
