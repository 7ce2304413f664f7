"""Session-scoped synthesis: each configuration is synthesized once for the whole test session."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from tests.policy.engine import Engine
from tests.policy.policies import PolicySet
from tests.synth import ORGANIZATION_EXAMPLE, Synthesized

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

ENFORCE = {
    "mfa-guardrails:enforcement": "enforce",
    "mfa-guardrails:attach-to-group-names": ["Developers"],
    "mfa-guardrails:attach-to-role-names": ["ConsoleUsers"],
}


@pytest.fixture(scope="session")
def synthesize(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[Mapping[str, Any]], Synthesized]:
    """Return a cached synthesizer: the same overrides are synthesized only once per session."""
    cache: dict[str, Synthesized] = {}

    def get(overrides: Mapping[str, Any]) -> Synthesized:
        key = repr(sorted(overrides.items()))
        if key not in cache:
            cache[key] = Synthesized(overrides, tmp_path_factory.mktemp("cdk.out"))
        return cache[key]

    return get


@pytest.fixture(scope="session")
def default_synth(synthesize: Callable[[Mapping[str, Any]], Synthesized]) -> Synthesized:
    return synthesize({})


@pytest.fixture(scope="session")
def enforce_synth(synthesize: Callable[[Mapping[str, Any]], Synthesized]) -> Synthesized:
    return synthesize(ENFORCE)


@pytest.fixture(scope="session")
def org_synth(synthesize: Callable[[Mapping[str, Any]], Synthesized]) -> Synthesized:
    return synthesize(ORGANIZATION_EXAMPLE)


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    """The policy-evaluation engine: long-lived Node processes for the whole session."""
    with Engine() as started:
        yield started


@pytest.fixture(scope="session")
def policies(org_synth: Synthesized) -> PolicySet:
    """Force-MFA and the SCPs (with their targets) as the organization example deploys them."""
    return PolicySet.from_templates(org_synth.templates)
