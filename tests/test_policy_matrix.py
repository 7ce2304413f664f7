"""Preventive guardrails, proven by evaluation: the Force-MFA policy and the SCPs are read back from
the synthesized organization templates (with the targets each SCP is attached to) and evaluated
together with @cloud-copilot/iam-simulate over every cell of ``tests/policy/matrix.py``; then every
single statement and condition is removed in turn to prove the cells and chains would catch it.
"""

from __future__ import annotations

import fnmatch
import json
import random
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import pytest

from constructs_lib.scp.construct import SCP_SIZE_BUDGET, SCP_SIZE_LIMIT, sizes
from mfa_guardrails.config import ConfigError, load_config
from mfa_guardrails.preflight import OUR_SCP_COUNT
from tests.policy.chains import (
    attack_chains,
    configured_group_chain,
    plane_attack_chains,
    plane_runbook_chains,
    runbook_chains,
    stopped_at,
)
from tests.policy.engine import Engine
from tests.policy.matrix import Cell, cells
from tests.policy.policies import PolicySet, Request, mutations, resources_of
from tests.policy.principals import MEMBER_OU, Exempt, Principal, all_principals
from tests.policy.sweep import context_of
from tests.synth import ORGANIZATION_EXAMPLE, Synthesized, default_context

ORGANIZATION = ORGANIZATION_EXAMPLE
# The principals of the matrix: one of each kind the README's tables speak of (the sweep
# covers the rest: look-alike names, service-linked roles, every configured automation role).
MATRIX_KINDS = (
    "user", "user-with-path", "group-only-user", "workload-role", "force-mfa-role",
    "sso-admin-role", "sso-admin-role-us-east-1", "security-workload-role", "root",
    "break-glass:role-breakglassadmin", "break-glass:user-break-glass",
    "stackset:role-stacksets-exec-attacker1",
    "automation:role-cdk-hnb659fds-cfn-exec-role-2222222",
)  # fmt: skip


@pytest.fixture(scope="session")
def exempt_and_principals(org_synth: Synthesized) -> tuple[Exempt, list[Principal]]:
    exempt, _, base = context_of(org_synth.config)
    chosen = [p for p in base if p.name in MATRIX_KINDS]
    assert {p.name for p in chosen} == set(MATRIX_KINDS)
    return exempt, all_principals(chosen)


@pytest.fixture(scope="session")
def matrix(exempt_and_principals: tuple[Exempt, list[Principal]]) -> list[Cell]:
    exempt, principals = exempt_and_principals
    return cells(principals, exempt)


@pytest.fixture(scope="session")
def decisions(engine: Engine, policies: PolicySet, matrix: list[Cell]) -> dict[str, bool]:
    """Every cell, evaluated in the session's engine processes."""
    allowed = engine.evaluate([policies.simulation(c.principal, c.request) for c in matrix])
    return {cell.id: result for cell, result in zip(matrix, allowed, strict=True)}


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


def _chain_requests() -> list[tuple[Principal, Request]]:
    return [
        (step.actor, step.request)
        for chain in [*attack_chains(), *runbook_chains("222222222222"),
                      *plane_attack_chains(), *plane_runbook_chains()]
        for step in chain.steps
        if not step.refused_by_aws
    ]


def test_removing_any_statement_or_condition_changes_a_decision(
    engine: Engine, policies: PolicySet, matrix: list[Cell], decisions: dict[str, bool]
) -> None:
    """The cells and chains can fail: each statement and each condition key is load-bearing.

    Removing a Deny can only turn a denied request allowed, removing an Allow or a condition an
    allowed one denied, so each variant is tried on those candidates only: chain steps first,
    then the cells, and a variant stops at its first changed decision (three rounds)."""
    chained = _chain_requests()
    # Cells in a fixed shuffle: a variant's first candidates then span many principal kinds.
    shuffled = random.Random(7).sample(matrix, len(matrix))
    pairs = chained + [(c.principal, c.request) for c in shuffled]
    baseline = engine.evaluate([policies.simulation(p, r) for p, r in chained])
    baseline += [decisions[c.id] for c in shuffled]
    variants: list[tuple[str, PolicySet, list[int]]] = []
    for name, document in [("force-mfa", policies.force_mfa), *policies.scps.items()]:
        for label, doc in mutations(document):
            statement = _removed_or_changed(document, doc)
            # A statement's removal flips what it decided; a condition's removal widens it.
            flips_to = statement["Effect"] == "Deny" and label.startswith("-")
            among = [
                i for i, (p, r) in enumerate(pairs)
                if baseline[i] != flips_to and may_apply(statement, r)
                and (name != "force-mfa" or p.force_mfa)
            ]  # fmt: skip
            variant = (
                policies.with_force_mfa(doc) if name == "force-mfa"
                else policies.with_scp(name, doc)
            )  # fmt: skip
            variants.append((f"{name}{label}", variant, among))
    survivors = variants
    for first, last in ((0, 25), (25, 250), (250, None)):  # a round: one batch, every variant
        simulations = [v.simulation(*pairs[i]) for _, v, among in survivors
                       for i in among[first:last]]  # fmt: skip
        results = iter(engine.evaluate(simulations))
        unchanged = []
        for survivor in survivors:
            chunk = survivor[2][first:last]
            if [next(results) for _ in chunk] == [baseline[i] for i in chunk]:
                unchanged.append(survivor)
        survivors = unchanged
    assert len(variants) >= 30
    labels = [label for label, _, _ in survivors]
    assert labels == list(ENGINE_BLIND), f"removing these changes no decision: {labels}"


# Conditions the engine cannot show to be load-bearing, each with the reason it is kept.
ENGINE_BLIND = {
    "mfa-guardrails-account-protectionDenyMfaEnrolmentOnOtherUsers-ArnNotLike:aws:PrincipalArn": (
        "iam-simulate does not apply a NotResource whose ${aws:username} is absent; AWS does (a "
        "resource with an unresolved variable matches nothing, IAM user guide, policy "
        "variables), so without this root could not enrol its own device"
    ),
}


def _removed_or_changed(original: Mapping[str, Any], mutated: Mapping[str, Any]) -> Any:
    """The original statement a mutation removed or changed."""
    kept = {json.dumps(s, sort_keys=True) for s in mutated["Statement"]}
    (statement,) = [s for s in original["Statement"] if json.dumps(s, sort_keys=True) not in kept]
    return statement


def may_apply(statement: Mapping[str, Any], request: Request) -> bool:
    """Whether ``statement`` can apply to the request's action (and, where it lists plain
    resources, to its resource): a cheap filter, never a decision."""

    def matches(patterns: Any, value: str) -> bool:
        listed = [patterns] if isinstance(patterns, str) else patterns
        return any(fnmatch.fnmatchcase(value.lower(), p.lower()) for p in listed)

    if "NotAction" in statement and matches(statement["NotAction"], request.action):
        return False
    if "Action" in statement and not matches(statement["Action"], request.action):
        return False
    resources = statement.get("Resource")
    if resources and "${" not in json.dumps(resources) and request.resource != "*":
        return matches(resources, request.resource)
    return True


def test_each_scp_is_within_the_size_budget(policies: PolicySet) -> None:
    """Organizations' limit is 5,120 characters, whitespace included when saved by an API."""
    for name, document in policies.scps.items():
        minified, spaced = sizes(document)
        assert minified <= SCP_SIZE_BUDGET, f"{name} is {minified} characters minified"
        assert spaced <= SCP_SIZE_LIMIT, f"{name} is {spaced} characters with spaces"


def test_scps_attach_to_targets_and_the_security_account(org_synth: Synthesized) -> None:
    """Three SCPs (with FullAWSAccess, 4 of an OU's 10 slots), on the target OUs and on the
    security account, which as delegated administrator could otherwise change members' contacts."""
    management = org_synth.templates["MfaGuardrailsManagement"]
    scps = resources_of(management, "AWS::Organizations::Policy").values()
    assert len(scps) == OUR_SCP_COUNT == 3
    for props in scps:
        assert props["TargetIds"] == [
            *ORGANIZATION["mfa-guardrails:target-ou-ids"],
            ORGANIZATION["mfa-guardrails:security-account-id"],
        ]
        assert props["Type"] == "SERVICE_CONTROL_POLICY"


def test_audit_attaches_no_scp_and_configured_groups_are_guarded(
    synthesize: Callable[[Mapping[str, Any]], Synthesized], engine: Engine
) -> None:
    """Audit attaches nothing; the documents are those enforce attaches, and with
    attach-to-group-names they keep users in those groups (one synth for both)."""
    audit = synthesize({
        **ORGANIZATION,
        "mfa-guardrails:enforcement": "audit",
        "mfa-guardrails:attach-to-group-names": ["Developers"],
        "mfa-guardrails:attach-to-names-exist-in-members": True,
    })  # fmt: skip
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
