"""Under ``enforce`` the product still does its own work: every role of ours, in every account an
SCP of ours reaches, may make every call its own grants and its functions' logging need, with both
SCPs attached (tests/policy/runtime.py derives the calls from the synthesized templates)."""

from __future__ import annotations

import fnmatch

import pytest

from constructs_lib.naming import RUNTIME_ROLE_NAMES
from tests.policy.engine import Engine
from tests.policy.policies import PolicySet
from tests.policy.principals import MEMBER, MEMBER_OU
from tests.policy.runtime import Deployment, RuntimeCall, runtime_calls, stackset_templates
from tests.synth import Synthesized

# Templates deployed only to the management account, which no SCP restricts.
MANAGEMENT_ONLY = ("MfaGuardrailsManagement", "MfaGuardrailsManagementBaseline",
                   "MfaGuardrailsPipeline", "RegionalForwardingTemplate")  # fmt: skip


def _deployments(synth: Synthesized) -> tuple[dict[str, Deployment], dict[str, object]]:
    """Each template an SCP reaches, with where it is deployed; every template must be placed."""
    templates: dict[str, object] = {**synth.templates, **stackset_templates(synth.outdir)}
    security = synth.config.security_account_id
    assert security is not None
    where: dict[str, Deployment] = {}
    for name in templates:
        if name == "MfaGuardrailsSecurity":
            where[name] = Deployment(security, None)  # the SCPs attach to the account itself
        elif "MemberBaseline" in name:
            where[name] = Deployment(MEMBER, MEMBER_OU)
        else:
            assert any(known in name for known in MANAGEMENT_ONLY), (
                f"template {name}: say where it is deployed, so the runtime invariant covers it"
            )
    return where, templates


@pytest.fixture(scope="module")
def calls(org_synth: Synthesized) -> list[RuntimeCall]:
    where, templates = _deployments(org_synth)
    return runtime_calls(templates, where)  # type: ignore[arg-type]


def test_every_role_of_ours_is_covered(calls: list[RuntimeCall]) -> None:
    roles = {call.role.arn.rpartition("/")[2] for call in calls}
    for expected in ("mfa-guardrails-notifier", "mfa-guardrails-heartbeat-monitor",
                     "mfa-guardrails-recovery-readiness", "mfa-guardrails-readiness-reader",
                     "mfa-guardrails-canary", "mfa-guardrails-forward-us-east-1"):  # fmt: skip
        assert expected in roles
    actions = {call.request.action for call in calls}
    # The calls the review found denied under enforce.
    assert {"dynamodb:PutItem", "dynamodb:Scan", "logs:PutLogEvents"} <= actions


def test_every_role_of_ours_does_its_own_work_under_both_scps(
    calls: list[RuntimeCall], engine: Engine, policies: PolicySet
) -> None:
    decided = engine.decide(
        [policies.simulation(c.role, c.request, c.identity) for c in calls]
    )
    failed = [
        f"{c.id} ({c.why}): {'not evaluated: ' + error if error else 'denied'}"
        for c, (allowed, error) in zip(calls, decided, strict=True)
        if error or not allowed
    ]
    assert not failed, "\n".join(failed)


def test_every_runtime_role_named_in_the_scps_exists(calls: list[RuntimeCall]) -> None:
    """A name the SCPs let through that no template creates would be an exemption for whoever
    creates it first: each must match a role of ours."""
    roles = {call.role.arn.rpartition("/")[2] for call in calls}
    for pattern in RUNTIME_ROLE_NAMES:
        assert any(fnmatch.fnmatchcase(role, pattern) for role in roles), pattern
    # The reader, assumable by the security account's admins, is not among them.
    assert not any(fnmatch.fnmatchcase("mfa-guardrails-readiness-reader", pattern)
                   for pattern in RUNTIME_ROLE_NAMES)  # fmt: skip
