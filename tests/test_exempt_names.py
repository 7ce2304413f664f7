"""Identities created with an exempt name in any case (IAM names are unique whatever their case,
and the SCPs compare ARNs case-sensitively): the organization's rules catch them where IAM
records them, forwarded from every member, and the notifier, told the names by its environment,
words the alert. Samples in ``tests/samples/configured/`` (they need the example's names)."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from constructs_lib.alerting.runtime import handler
from constructs_lib.alerting.runtime.catalog import EXEMPT_NAMES_VARIABLE
from tests import eventbridge
from tests.policy.policies import resources_of
from tests.policy.runtime import stackset_templates
from tests.synth import Synthesized

SAMPLES = Path(__file__).resolve().parent / "samples" / "configured"
WATCHED = sorted(p for p in SAMPLES.glob("*.json") if not p.name.startswith("lookalike--"))
LOOKALIKES = sorted(SAMPLES.glob("lookalike--*.json"))


def _patterns(template: dict[str, Any]) -> dict[str, Any]:
    """The rules of a template whose pattern watches exempt names, by rule name."""
    return {
        rule.get("Name", logical_id): eventbridge.load(rule["EventPattern"])
        for logical_id, rule in resources_of(template, "AWS::Events::Rule").items()
        if "equals-ignore-case" in json.dumps(rule.get("EventPattern", {}))
    }


@pytest.fixture(scope="module")
def notifier(org_synth: Synthesized) -> Iterator[ModuleType]:
    """The notifier as deployed in the security account: its environment names the exempt."""
    (function,) = [f for f in resources_of(org_synth.templates["MfaGuardrailsSecurity"],
                                           "AWS::Lambda::Function").values()
                   if f["FunctionName"] == "mfa-guardrails-notifier"]  # fmt: skip
    names = function["Environment"]["Variables"][EXEMPT_NAMES_VARIABLE]
    assert names.split() == ["BreakGlassAdmin", "break-glass", "AWSControlTowerExecution"]
    with pytest.MonkeyPatch.context() as env:
        env.setenv(EXEMPT_NAMES_VARIABLE, names)
        yield importlib.reload(handler)
    importlib.reload(handler)  # back to the catalog without names for the other tests


@pytest.mark.parametrize("path", WATCHED, ids=lambda p: p.stem)
def test_a_squatted_exempt_name_alerts_from_every_member(
    path: Path, org_synth: Synthesized, notifier: ModuleType
) -> None:
    event = json.loads(path.read_text())
    assert event["region"] == "us-east-1"  # IAM records it there
    central = _patterns(org_synth.templates["MfaGuardrailsSecurity"])
    (member,) = [t for name, t in stackset_templates(org_synth.outdir).items()
                 if "MemberBaseline" in name]  # fmt: skip
    kind = path.stem.split("--")[0]
    assert eventbridge.matching(central, event) == [f"mfa-guardrails-{kind}"]
    assert len(eventbridge.matching(_patterns(member), event)) == 1  # forwarded
    entry = notifier.classify(event)
    assert entry is not None
    assert entry.id == kind
    message = notifier.format_message(event, entry)
    request = event["detail"]["requestParameters"]
    name = request.get("roleName") or request["userName"]
    assert name in message.body
    assert "squatting it in another case" in message.body


@pytest.mark.parametrize("path", LOOKALIKES, ids=lambda p: p.stem)
def test_another_name_stays_quiet(
    path: Path, org_synth: Synthesized, notifier: ModuleType
) -> None:
    event = json.loads(path.read_text())
    assert eventbridge.matching(_patterns(org_synth.templates["MfaGuardrailsSecurity"]),
                                event) == []  # fmt: skip
    assert notifier.classify(event) is None


def test_a_configuration_without_literal_names_adds_no_rule(default_synth: Synthesized) -> None:
    for template in default_synth.templates.values():
        assert _patterns(template) == {}
