"""A fixed slice of the catalog sweep (``tests/policy/sweep.py``; the whole sweep is
``make sweep``): every invariant, every principal kind, MFA true/false/absent."""

from __future__ import annotations

import pytest

from tests.policy.engine import Engine
from tests.policy.policies import PolicySet
from tests.policy.principals import all_principals
from tests.policy.sweep import SweepCell, catalog, context_of, failures, sample, sweep_cells
from tests.synth import Synthesized

SLICE = 0.03


@pytest.fixture(scope="session")
def sweep_slice(org_synth: Synthesized) -> list[SweepCell]:
    exempt, identities, base = context_of(org_synth.config)
    cells = sweep_cells(org_synth.templates, exempt, identities, all_principals(base))
    return sample(cells, SLICE)


def test_catalog_covers_the_services_that_matter() -> None:
    services = {a.service for a in catalog()}
    assert services >= {"iam", "sts", "account", "organizations", "cloudtrail", "config",
                        "events", "sns", "sqs", "lambda", "kms"}  # fmt: skip
    assert len(catalog()) >= 700


def test_slice_keeps_every_invariant(sweep_slice: list[SweepCell]) -> None:
    assert {c.invariant for c in sweep_slice} == {
        "a:force-mfa-bootstrap-only", "b:protected", "b:devices-and-contacts", "c:admins-can",
    }  # fmt: skip
    assert len(sweep_slice) >= 1000


def test_sweep_slice_holds(
    sweep_slice: list[SweepCell], engine: Engine, policies: PolicySet
) -> None:
    decided = engine.decide([policies.simulation(c.principal, c.request) for c in sweep_slice])
    assert failures(sweep_slice, decided) == []
