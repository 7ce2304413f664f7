"""Preventive guardrails, proven by evaluation: the Force-MFA policy and the SCPs are read back from
the synthesized organization templates (with the targets each SCP is attached to) and evaluated
together with @cloud-copilot/iam-simulate over every cell of ``tests/policy/matrix.py``; then every
single statement and condition is removed in turn to prove the cells and chains would catch it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest

from constructs_lib.scp.construct import SCP_SIZE_BUDGET, SCP_SIZE_LIMIT, sizes
from mfa_guardrails.cli.preflight import OUR_SCP_COUNT
from mfa_guardrails.config import ConfigError, load_config
from tests.policy.chains import (
    configured_group_chain,
    stopped_at,
)
from tests.policy.engine import Engine
from tests.policy.matrix import Cell
from tests.policy.policies import PolicySet, resources_of
from tests.policy.principals import MEMBER_OU
from tests.policy.proofs import ENGINE_BLIND, MATRIX_KINDS, Proofs
from tests.synth import ORGANIZATION_EXAMPLE, Synthesized, default_context

ORGANIZATION = ORGANIZATION_EXAMPLE
@pytest.fixture(scope="session")
def matrix(proofs: Proofs) -> list[Cell]:
    return proofs.matrix.result()


@pytest.fixture(scope="session")
def decisions(proofs: Proofs) -> dict[str, bool]:
    """Every cell, evaluated in the session's engine processes (tests/policy/proofs.py)."""
    return proofs.decisions.result()


def test_matrix_is_large_enough(matrix: list[Cell]) -> None:
    assert len(matrix) >= 2000
    assert len({c.id for c in matrix}) == len(matrix)


@pytest.mark.policy_matrix
@pytest.mark.parametrize("kind", MATRIX_KINDS)
def test_cells_of_principal(kind: str, matrix: list[Cell], decisions: dict[str, bool]) -> None:
    """All cells of one principal kind (MFA true, false, absent)."""
    mine = [c for c in matrix if c.principal.name.startswith(f"{kind}[")]
    assert mine
    wrong = [
        f"{c.id}: expected {'Allow' if c.allowed else 'Deny'} ({c.reason})"
        for c in mine
        if decisions[c.id] != c.allowed
    ]
    assert wrong == []


def test_removing_any_statement_or_condition_changes_a_decision(proofs: Proofs) -> None:
    """The cells and chains can fail: each statement and each condition key is load-bearing
    (tests/policy/proofs.py, surviving_mutations)."""
    tried, survivors = proofs.mutations.result()
    assert len(tried) >= 30
    # The engine-blind ones are not tried (each is kept for a reason), but must still exist.
    assert set(ENGINE_BLIND) <= set(tried), set(ENGINE_BLIND) - set(tried)
    assert survivors == [], f"removing these changes no decision: {survivors}"




def test_each_scp_is_within_the_size_budget(policies: PolicySet) -> None:
    """Organizations' limit is 5,120 characters, whitespace included when saved by an API."""
    for name, document in policies.scps.items():
        minified, spaced = sizes(document)
        assert minified <= SCP_SIZE_BUDGET, f"{name} is {minified} characters minified"
        assert spaced <= SCP_SIZE_LIMIT, f"{name} is {spaced} characters with spaces"


def test_scps_attach_to_targets_and_the_security_account(org_synth: Synthesized) -> None:
    """Four SCPs (with FullAWSAccess, 5 of an OU's 10 slots), on the target OUs and on the
    security account, which as delegated administrator could otherwise change members' contacts."""
    management = org_synth.templates["MfaGuardrailsManagement"]
    scps = resources_of(management, "AWS::Organizations::Policy").values()
    assert len(scps) == OUR_SCP_COUNT == 4
    for props in scps:
        assert props["TargetIds"] == [
            *ORGANIZATION["mfa-guardrails:target-ou-ids"],
            ORGANIZATION["mfa-guardrails:security-account-id"],
        ]
        assert props["Type"] == "SERVICE_CONTROL_POLICY"


def test_audit_attaches_no_scp_and_configured_groups_are_guarded(
    audit_org_synth: Synthesized, engine: Engine
) -> None:
    """Audit attaches nothing; the documents are those enforce attaches, and with
    attach-to-group-names they keep users in those groups (one synth for both)."""
    audit = audit_org_synth
    management = audit.templates["MfaGuardrailsManagement"]
    for props in resources_of(management, "AWS::Organizations::Policy").values():
        assert "TargetIds" not in props
    policies = PolicySet.from_templates(audit.templates)
    as_enforced = replace(policies, targets=dict.fromkeys(policies.scps, (MEMBER_OU,)))
    chain = configured_group_chain()
    assert stopped_at(engine, as_enforced, chain) == chain.stopped_at


@pytest.mark.parametrize("topology", [{}, ORGANIZATION], ids=["single-account", "organization"])
def test_enforce_without_exempt_admin_is_refused(topology: Mapping[str, Any]) -> None:
    """Neither topology invents an exemption, and neither enforces without one."""
    context = {
        **default_context(),
        **topology,
        "mfa-guardrails:enforcement": "enforce",
        "mfa-guardrails:break-glass-principal-arns": [],
        "mfa-guardrails:admin-principal-arns": [],
    }
    with pytest.raises(ConfigError) as caught:
        load_config(context)
    (problem,) = caught.value.problems
    assert problem.startswith("mfa-guardrails:admin-principal-arns = []")
    assert "nobody could remove a lost MFA device" in problem
    assert "Fix: list at least one admin or break-glass role ARN" in problem


def test_identity_center_pattern_that_misses_us_east_1_is_refused() -> None:
    bad = "arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_Admin_*"
    context = {**default_context(), **ORGANIZATION, "mfa-guardrails:admin-principal-arns": [bad]}
    with pytest.raises(ConfigError) as caught:
        load_config(context)
    (problem,) = caught.value.problems
    assert problem.startswith(f"mfa-guardrails:admin-principal-arns[0] = {bad!r}")
    assert "Identity Center in us-east-1" in problem
    assert "sso.amazonaws.com/*AWSReservedSSO_<PermissionSet>_????????????????" in problem


@pytest.mark.parametrize(
    ("key", "blanket"),
    [
        ("break-glass-principal-arns", "arn:aws:iam::*:role/*"),
        ("admin-principal-arns", "arn:aws:iam::111111111111:user/*/*"),
        ("automation-principal-arns", "arn:aws:iam::*:role/*"),
    ],
)
def test_blanket_exemption_is_refused(key: str, blanket: str) -> None:
    context = {**default_context(), **ORGANIZATION, f"mfa-guardrails:{key}": [blanket]}
    with pytest.raises(ConfigError) as caught:
        load_config(context)
    (problem,) = caught.value.problems
    assert problem.startswith(f"mfa-guardrails:{key}[0] = {blanket!r}: exempts every role or user")
    assert "Fix: name the identity" in problem
