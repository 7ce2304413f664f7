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


def _could_match(pattern: EventPattern, event: Any) -> bool:
    """False only when the pattern's ``source`` is a list of plain strings (exact matches) that
    does not hold the event's source: then EventBridge cannot match it either. A shortcut that
    keeps moto's matcher for every pattern that could."""
    sources = pattern._pattern.get("source") if isinstance(pattern._pattern, dict) else None
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        return True
    source = event.get("source") if isinstance(event, dict) else None
    if not isinstance(source, str):
        return True  # a list (any element may match), or nothing: moto decides
    return source in sources


def matching(patterns: Mapping[str, EventPattern], event: Any) -> list[str]:
    """The names of the patterns EventBridge would match ``event`` with, sorted."""
    candidates = {name: p for name, p in patterns.items() if _could_match(p, event)}
    if not candidates:
        return []
    flat = EventPattern._flatten_dict(json.loads(json.dumps(event)))
    return sorted(
        name for name, pattern in candidates.items()
        if not pattern._pattern or pattern._does_event_match(flat, pattern._pattern)
    )  # fmt: skip
