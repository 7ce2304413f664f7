"""Helpers shared by the tests that mutate real-shaped events."""

from __future__ import annotations

from typing import Any


def dict_paths(node: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every key path of nested dicts (lists are leaves), parents before children."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            found.append((*prefix, key))
            found += dict_paths(value, (*prefix, key))
    return found
