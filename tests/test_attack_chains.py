"""Attack chains and runbooks, evaluated step by step on the synthesized policies: each attack
must stop at the step it names, each runbook must go through."""

from __future__ import annotations

import pytest

from tests.policy.chains import (
    Chain,
    attack_chains,
    plane_attack_chains,
    plane_runbook_chains,
    runbook_chains,
    stopped_at,
)
from tests.policy.engine import Engine
from tests.policy.policies import PolicySet

ATTACKS = attack_chains() + plane_attack_chains()
RUNBOOKS = runbook_chains("222222222222") + plane_runbook_chains()


def test_there_are_attacks_for_each_bypass() -> None:
    assert len(ATTACKS) >= 6
    assert all(len(c.steps) >= 1 for c in ATTACKS)
    assert len({c.name for c in ATTACKS + RUNBOOKS}) == len(ATTACKS + RUNBOOKS)


@pytest.mark.parametrize("chain", ATTACKS, ids=lambda c: c.name)
def test_attack_is_stopped_where_it_says(
    chain: Chain, engine: Engine, policies: PolicySet
) -> None:
    where = stopped_at(engine, policies, chain)
    assert chain.stopped_at is not None
    step = chain.steps[chain.stopped_at]
    assert where == chain.stopped_at, (
        f"{chain.story} Expected to stop at step {chain.stopped_at} "
        f"({step.request.action} by {step.actor.name}), stopped at {where}"
    )


@pytest.mark.parametrize("chain", RUNBOOKS, ids=lambda c: c.name)
def test_runbook_goes_through(chain: Chain, engine: Engine, policies: PolicySet) -> None:
    where = stopped_at(engine, policies, chain)
    assert where is None, (
        f"{chain.story} Stopped at step {where}: "
        f"{chain.steps[where].request.action} by {chain.steps[where].actor.name}"
        if where is not None else ""
    )
