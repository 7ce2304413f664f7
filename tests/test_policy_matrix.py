"""Preventive guardrails, proven by evaluation: the Force-MFA policy and the SCPs are read back from
the synthesized organization templates and evaluated together with @cloud-copilot/iam-simulate,
over every cell of ``tests/policy/matrix.py``; then every single statement and condition is removed
in turn to prove the matrix would catch it.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from mfa_guardrails.config import ConfigError, load_config
from tests.policy.matrix import (
    Cell,
    PolicySet,
    cells,
    evaluate,
    mutations,
    resolve,
    resources_of,
)
from tests.synth import ORGANIZATION_EXAMPLE, Synthesized, default_context

ORGANIZATION = ORGANIZATION_EXAMPLE
CELLS = cells()


@pytest.fixture(scope="session")
def policies(org_synth: Synthesized) -> PolicySet:
    baseline = org_synth.templates["MfaGuardrailsManagementBaseline"]
    management = org_synth.templates["MfaGuardrailsManagement"]
    (force_mfa,) = resources_of(baseline, "AWS::IAM::ManagedPolicy").values()
    scps = {
        props["Name"]: props["Content"]
        for props in resources_of(management, "AWS::Organizations::Policy").values()
    }
    return PolicySet(force_mfa=resolve(force_mfa["PolicyDocument"]), scps=resolve(scps))


@pytest.fixture(scope="session")
def decisions(policies: PolicySet) -> dict[str, bool]:
    """Every cell, evaluated in one Node process for the whole session."""
    allowed = evaluate([policies.simulation(c.principal, c.request) for c in CELLS])
    return {cell.id: result for cell, result in zip(CELLS, allowed, strict=True)}


def test_matrix_is_large_enough() -> None:
    assert len(CELLS) >= 200
    assert len({c.id for c in CELLS}) == len(CELLS)


@pytest.mark.policy_matrix
@pytest.mark.parametrize("cell", CELLS, ids=lambda c: c.id)
def test_cell(cell: Cell, decisions: dict[str, bool]) -> None:
    verdict = "Allow" if cell.allowed else "Deny"
    assert decisions[cell.id] == cell.allowed, f"expected {verdict}: {cell.reason}"


def test_removing_any_statement_or_condition_flips_a_cell(policies: PolicySet) -> None:
    """The matrix can fail: each statement and each condition key is load-bearing."""
    user_cells = [c for c in CELLS if c.principal.kind == "user"]  # Force-MFA's only holders
    variants: list[tuple[str, PolicySet, list[Cell]]] = [
        (f"force-mfa{label}", PolicySet(force_mfa=doc, scps=policies.scps), user_cells)
        for label, doc in mutations(policies.force_mfa)
    ]
    for name, document in policies.scps.items():
        # An SCP only denies: weakening it can only change cells whose action it names.
        named = [c for c in CELLS if names_action(document, c.request.action)]
        variants += [
            (f"{name}{label}", PolicySet(policies.force_mfa, {**policies.scps, name: doc}), named)
            for label, doc in mutations(document)
        ]
    simulations = [
        variant.simulation(c.principal, c.request) for _, variant, among in variants for c in among
    ]
    results = iter(evaluate(simulations))
    survivors = []
    for label, _, among in variants:
        decided = [next(results) for _ in among]
        if decided == [c.allowed for c in among]:
            survivors.append(label)
    assert len(variants) >= 30
    assert survivors == [], f"removing these changes no cell: {survivors}"


def names_action(document: Mapping[str, Any], action: str) -> bool:
    """Whether any statement of ``document`` can apply to ``action`` (NotAction: always)."""
    for statement in document["Statement"]:
        if "NotAction" in statement:
            return True
        actions = statement["Action"]
        for pattern in [actions] if isinstance(actions, str) else actions:
            if fnmatch.fnmatchcase(action.lower(), pattern.lower()):
                return True
    return False


def test_each_scp_is_within_the_size_budget(policies: PolicySet) -> None:
    for name, document in policies.scps.items():
        size = len(json.dumps(document, separators=(",", ":")))
        assert size <= 4000, f"{name} is {size} characters minified"


def test_scps_attach_to_configured_targets_when_enforcing(org_synth: Synthesized) -> None:
    management = org_synth.templates["MfaGuardrailsManagement"]
    scps = resources_of(management, "AWS::Organizations::Policy").values()
    assert len(scps) == 4
    for props in scps:
        assert props["TargetIds"] == ORGANIZATION["mfa-guardrails:target-ou-ids"]
        assert props["Type"] == "SERVICE_CONTROL_POLICY"


def test_audit_attaches_no_scp(synthesize: Callable[[Mapping[str, Any]], Synthesized]) -> None:
    audit = synthesize({**ORGANIZATION, "mfa-guardrails:enforcement": "audit"})
    management = audit.templates["MfaGuardrailsManagement"]
    for props in resources_of(management, "AWS::Organizations::Policy").values():
        assert "TargetIds" not in props


def test_enforce_without_exempt_admin_is_refused() -> None:
    context = {
        **default_context(),
        **ORGANIZATION,
        "mfa-guardrails:break-glass-principal-arns": [],
        "mfa-guardrails:admin-principal-arns": [],
    }
    with pytest.raises(ConfigError) as caught:
        load_config(context)
    (problem,) = caught.value.problems
    assert problem.startswith("mfa-guardrails:admin-principal-arns = []")
    assert "nobody could remove a lost MFA device" in problem
    assert "Fix: list at least one admin or break-glass role ARN" in problem
