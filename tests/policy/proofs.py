"""The policy proofs' evaluations, computed once per session in a thread started at collection,
as soon as the organization example is synthesized: the engine's Node processes evaluate the
matrix, the sweep slice and the mutations while the suite's other tests run on the main thread
(tests/test_policy_matrix.py and tests/test_policy_sweep.py then assert on the results).
"""

from __future__ import annotations

import fnmatch
import json
import random
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from tests.policy.chains import (
    attack_chains,
    plane_attack_chains,
    plane_runbook_chains,
    runbook_chains,
)
from tests.policy.engine import Engine
from tests.policy.matrix import Cell, cells
from tests.policy.policies import PolicySet, Request, mutations
from tests.policy.principals import Exempt, Principal, all_principals
from tests.policy.sweep import SweepCell, context_of, sample, sweep_cells
from tests.synth import Synthesized

# The principals of the matrix: one of each kind the README's tables speak of (the sweep
# covers the rest: look-alike names, service-linked roles, every configured automation role).
MATRIX_KINDS = (
    "user", "user-with-path", "group-only-user", "workload-role", "force-mfa-role",
    "sso-admin-role", "sso-admin-role-us-east-1", "security-workload-role", "root",
    "break-glass:role-breakglassadmin", "break-glass:user-break-glass",
    "stackset:role-stacksets-exec-attacker1",
    "automation:role-cdk-hnb659fds-cfn-exec-role-2222222",
)  # fmt: skip


# The fixed share of the whole catalog sweep (``make sweep``) that every test session evaluates.
SWEEP_SLICE = 0.02


def matrix_of(synth: Synthesized) -> tuple[Exempt, list[Cell]]:
    exempt, _, base = context_of(synth.config)
    chosen = [p for p in base if p.name in MATRIX_KINDS]
    assert {p.name for p in chosen} == set(MATRIX_KINDS)
    return exempt, cells(all_principals(chosen), exempt)


def sweep_slice_of(synth: Synthesized) -> list[SweepCell]:
    exempt, identities, base = context_of(synth.config)
    return sample(sweep_cells(synth.templates, exempt, identities, all_principals(base)),
                  SWEEP_SLICE)  # fmt: skip


def chain_requests() -> list[tuple[Principal, Request]]:
    return [
        (step.actor, step.request)
        for chain in [*attack_chains(), *runbook_chains("222222222222"),
                      *plane_attack_chains(), *plane_runbook_chains()]
        for step in chain.steps
        if not step.refused_by_aws
    ]


# Conditions the engine cannot show to be load-bearing, each with the reason it is kept.
ENGINE_BLIND = {
    "mfa-guardrails-account-protectionDenyMfaEnrolmentOnOtherUsers-ArnNotLike:aws:PrincipalArn": (
        "iam-simulate does not apply a NotResource whose ${aws:username} is absent; AWS does (a "
        "resource with an unresolved variable matches nothing, IAM user guide, policy "
        "variables), so without this root could not enrol its own device"
    ),
}


def surviving_mutations(
    engine: Engine, policies: PolicySet, matrix: list[Cell], decisions: Mapping[str, bool]
) -> tuple[list[str], list[str]]:
    """(every variant's label, the labels of those no decision caught; the engine-blind ones are
    listed, not tried: each would be evaluated on every candidate for nothing). Removing a Deny
    can only turn a denied request allowed, removing an Allow or a condition an allowed one
    denied, so each variant is tried on those candidates only: chain steps first, then the
    cells, and a variant stops at its first changed decision (three rounds)."""
    chained = chain_requests()
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
    survivors = [v for v in variants if v[0] not in ENGINE_BLIND]
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
    return [label for label, _, _ in variants], [label for label, _, _ in survivors]


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


@dataclass(frozen=True)
class Proofs:
    """The session's evaluations, each a future of the thread that computes them in turn."""

    policies: Future[PolicySet]
    matrix: Future[list[Cell]]
    decisions: Future[dict[str, bool]]
    sweep_slice: Future[list[SweepCell]]
    sweep_decisions: Future[list[tuple[bool, str | None]]]
    mutations: Future[tuple[list[str], list[str]]]

    @classmethod
    def start(cls, engine: Engine, organization: Callable[[], Synthesized]) -> Proofs:
        proofs = cls(*(Future() for _ in range(6)))
        worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="policy-proofs")
        worker.submit(proofs._compute, engine, organization)
        worker.shutdown(wait=False)
        return proofs

    def _compute(self, engine: Engine, organization: Callable[[], Synthesized]) -> None:
        steps: list[tuple[Future[Any], Callable[[], Any]]] = []
        try:
            synth = organization()
            policies = PolicySet.from_templates(synth.templates)
            self.policies.set_result(policies)
            _, matrix = matrix_of(synth)
            self.matrix.set_result(matrix)
            allowed = engine.evaluate([policies.simulation(c.principal, c.request)
                                       for c in matrix])  # fmt: skip
            decisions = {c.id: result for c, result in zip(matrix, allowed, strict=True)}
            self.decisions.set_result(decisions)
            steps = [
                (self.sweep_slice, lambda: sweep_slice_of(synth)),
                (self.sweep_decisions, lambda: engine.decide(
                    [policies.simulation(c.principal, c.request)
                     for c in self.sweep_slice.result()])),
                (self.mutations, lambda: surviving_mutations(engine, policies, matrix, decisions)),
            ]  # fmt: skip
        except BaseException as error:  # every test that needs a result sees the failure
            for future in (self.policies, self.matrix, self.decisions, self.sweep_slice,
                           self.sweep_decisions, self.mutations):  # fmt: skip
                if not future.done():
                    future.set_exception(error)
            return
        for future, compute in steps:
            try:
                future.set_result(compute())
            except BaseException as error:
                future.set_exception(error)
