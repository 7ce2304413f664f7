"""Session-scoped synthesis: each configuration is synthesized once for the whole test session."""

from __future__ import annotations

import gc
import json
import os
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from mfa_guardrails.node_runtime import use_supported_node

use_supported_node()  # before aws_cdk is imported, as app.py does
# A deprecated CDK API used anywhere in a synth fails the test instead of printing a warning
# that every user would read on every synth.
os.environ.setdefault("JSII_DEPRECATED", "fail")

from mfa_guardrails.checks import stacks_in  # noqa: E402
from mfa_guardrails.config import CONFIG_FILE_VARIABLE  # noqa: E402
from tests.background import Job, Lint, lint_job  # noqa: E402
from tests.botocore_models import share_parsed_models  # noqa: E402
from tests.policy.engine import Engine  # noqa: E402
from tests.policy.policies import PolicySet  # noqa: E402
from tests.policy.proofs import Proofs  # noqa: E402
from tests.synth import ORGANIZATION_EXAMPLE, SUMMARY, Synthesized  # noqa: E402

share_parsed_models()

ENFORCE = {
    "mfa-guardrails:enforcement": "enforce",
    "mfa-guardrails:break-glass-principal-arns": ["arn:aws:iam::*:role/BreakGlassAdmin"],
    "mfa-guardrails:attach-to-group-names": ["Developers"],
    "mfa-guardrails:attach-to-role-names": ["ConsoleUsers"],
}


# The organization example in audit, with configured groups kept by the SCPs (tests/
# test_policy_matrix.py: the documents audit synthesizes are those enforce attaches).
AUDIT_ORGANIZATION = {
    **ORGANIZATION_EXAMPLE,
    "mfa-guardrails:enforcement": "audit",
    "mfa-guardrails:attach-to-group-names": ["Developers"],
    "mfa-guardrails:attach-to-names-exist-in-members": True,
}
# The configurations tests synthesize, by the fixture that asks for each, in the order the
# background synthesizer makes them (the order their tests run in).
_SYNTHESIZED: dict[str, Mapping[str, Any]] = {
    "default_synth": {}, "org_synth": ORGANIZATION_EXAMPLE, "enforce_synth": ENFORCE,
    "audit_org_synth": AUDIT_ORGANIZATION,
}  # fmt: skip
SYNTHESIZER = pytest.StashKey["_Planned"]()


def _synth_key(overrides: Mapping[str, Any]) -> str:
    return repr(sorted(overrides.items()))


class _Planned:
    """Configurations one background process synthesizes (``python -m tests.synth``, one CDK
    runtime for all, started at collection): the tests that need no synth run meanwhile."""

    def __init__(self, job: Job, outdirs: dict[str, Path]) -> None:
        self.job, self.outdirs = job, outdirs

    def wait_for(self, key: str) -> Path:
        outdir = self.outdirs[key]
        while not (outdir / SUMMARY).exists():
            if self.job.done():
                code, _, err = self.job.wait()
                assert (outdir / SUMMARY).exists(), f"synth failed ({code}):\n{err[-4000:]}"
            time.sleep(0.02)
        return outdir


@pytest.fixture(scope="session")
def synthesize(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Callable[[Mapping[str, Any]], Synthesized]:
    """Return a cached synthesizer: the same overrides are synthesized only once per session,
    in the background process when collection planned them, here otherwise."""
    cache: dict[str, Synthesized] = {}
    planned: _Planned | None = request.config.stash.get(SYNTHESIZER, None)

    def get(overrides: Mapping[str, Any]) -> Synthesized:
        key = _synth_key(overrides)
        if key not in cache:
            if planned is not None and key in planned.outdirs:
                cache[key] = Synthesized.load(overrides, planned.wait_for(key))
            else:
                cache[key] = Synthesized(overrides, tmp_path_factory.mktemp("cdk.out"))
        return cache[key]

    return get


@pytest.fixture(scope="session")
def default_synth(synthesize: Callable[[Mapping[str, Any]], Synthesized]) -> Synthesized:
    return synthesize({})


@pytest.fixture(scope="session")
def audit_org_synth(synthesize: Callable[[Mapping[str, Any]], Synthesized]) -> Synthesized:
    return synthesize(AUDIT_ORGANIZATION)


@pytest.fixture(scope="session")
def enforce_synth(synthesize: Callable[[Mapping[str, Any]], Synthesized]) -> Synthesized:
    return synthesize(ENFORCE)


MAIN_JOB = pytest.StashKey[Job]()
BAD_TEMPLATE_LINT = pytest.StashKey[Lint]()
BAD_CONFIG_APP = pytest.StashKey[Job]()
# app.py run as the CLI runs it, with a bad value in the CONFIG file, another from -c on top of
# it, and a context key without its prefix (tests/test_config.py reads what it printed).
BAD_CONFIG = {
    "mfa-guardrails:topology": "organization",
    "mfa-guardrails:enforcement": "enforced",
}
BAD_CONTEXT = {"mfa-guardrails:target-regions": "us-east-1,mars-1", "topology": "x"}
# A template cfn-lint must reject (an unknown property): proves the lint gate can fail.
BAD_TEMPLATE = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic",
                                        "Properties": {"NoSuchProperty": 1}}}}  # fmt: skip
ORG_LINT = pytest.StashKey[Lint]()
ORG_SCENARIO = pytest.StashKey[tuple[Job, Path]]()


_WAITS_FOR = {"main_job", "org_lint", "bad_template_lint", "bad_config_app", "detective_lint",
              "org_scenario"}  # fmt: skip


def pytest_collection_finish(session: pytest.Session) -> None:
    """The test process keeps a large heap for the whole session (CDK's jsii proxies, moto's
    backends, the policy cells), and each full garbage collection walked all of it: 21 of them,
    5 of the main process's 21 s of CPU. What exists after collection is frozen (never scanned
    again, as ``gc.freeze`` is meant for), and a full collection waits for far more survivors."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNGEST_THRESHOLD, 10, 100)


# Allocations between two collections of the youngest generation (CPython's default is 700).
GC_YOUNGEST_THRESHOLD = 20_000


# Every fixture whose work runs in the background: a whole-suite run needs them all.
_BACKGROUND = {*_SYNTHESIZED, "engine", "proofs", "bad_template_lint", "bad_config_app",
               "org_scenario", "main_job"}  # fmt: skip


def pytest_configure(config: pytest.Config) -> None:
    """A run of the whole suite (``pytest`` with no path, keyword, marker or deselection) needs
    every background job: they start now, before collection imports the test modules (1 s warm,
    4 s on a fresh clone that compiles them, with the other core idle until the jobs start).
    Any other run starts what its collected tests need, once they are collected."""
    whole_suite = (
        config.args_source == pytest.Config.ArgsSource.TESTPATHS
        and not config.getoption("keyword") and not config.getoption("markexpr")
        and not config.getoption("deselect") and not config.getoption("lf", False)
        and not config.getoption("collectonly")
    )  # fmt: skip
    if whole_suite:
        _start_background(config, _BACKGROUND)


def _start_background(config: pytest.Config, names: set[str]) -> None:
    """Start the background work of the fixtures in ``names`` that has not started yet: one
    process synthesizes every configuration needed (in ``_SYNTHESIZED`` order), the engine and
    the policy proofs, the lints, the app run with a bad configuration, the organization
    scenario and the main job end to end (its own synth through the CLI, cdk-nag, cfn-lint)."""
    needed = [f for f in _SYNTHESIZED if f in names]
    if needed and SYNTHESIZER not in config.stash:
        outdirs = {f: Path(tempfile.mkdtemp(prefix="cdk.out-")) for f in needed}
        plan = [[str(outdirs[f]), dict(_SYNTHESIZED[f])] for f in needed]
        config.stash[SYNTHESIZER] = _Planned(
            Job("-m", "tests.synth", json.dumps(plan), later=False),
            {_synth_key(_SYNTHESIZED[f]): outdirs[f] for f in needed},
        )
    if names & {"engine", "proofs"} and ENGINE not in config.stash:
        _start_engine_and_proofs(config, names)
    if "bad_template_lint" in names and BAD_TEMPLATE_LINT not in config.stash:
        bad = Path(tempfile.mkdtemp(prefix="bad-template-")) / "Bad.template.json"
        bad.write_text(json.dumps(BAD_TEMPLATE))
        config.stash[BAD_TEMPLATE_LINT] = lint_job([bad])
    if "bad_config_app" in names and BAD_CONFIG_APP not in config.stash:
        folder = Path(tempfile.mkdtemp(prefix="bad-config-"))
        (folder / "team.json").write_text(json.dumps(BAD_CONFIG))
        config.stash[BAD_CONFIG_APP] = Job("app.py", env={
            "CDK_CONTEXT_JSON": json.dumps(BAD_CONTEXT),
            CONFIG_FILE_VARIABLE: str(folder / "team.json"),
            "PATH": "/usr/bin:/bin",
            "CDK_OUTDIR": str(folder / "cdk.out"),
        })  # fmt: skip
    if "org_scenario" in names and ORG_SCENARIO not in config.stash:
        outdir = Path(tempfile.mkdtemp(prefix="org-scenario-"))
        config.stash[ORG_SCENARIO] = (Job("-m", "tests.org_scenario", str(outdir)), outdir)
    if "main_job" in names and MAIN_JOB not in config.stash:
        outdir = Path(tempfile.mkdtemp(prefix="main-job-")) / "cdk.out"
        config.stash[MAIN_JOB] = Job(
            "-m", "mfa_guardrails.checks", "--outdir", str(outdir), "--only", "single-account"
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Start the background work the collected tests need (a whole-suite run started it at
    configure), and order the tests around it: the tests that need no synth run first, meanwhile;
    then each configuration's tests, in the order they are synthesized; last, the tests that wait
    for another background job, so that it overlaps the whole suite instead of being waited for
    on the critical path."""
    names = {name for item in items for name in getattr(item, "fixturenames", ())}
    _start_background(config, names & _BACKGROUND)
    planned: _Planned | None = config.stash.get(SYNTHESIZER, None)
    order = [f for f in _SYNTHESIZED
             if planned is not None and _synth_key(_SYNTHESIZED[f]) in planned.outdirs]

    def rank(item: pytest.Item) -> int:
        used = set(getattr(item, "fixturenames", ()))
        if used & _WAITS_FOR:
            return len(order) + 1
        return max((order.index(f) + 1 for f in used & set(order)), default=0)

    items.sort(key=rank)  # stable: the collected order within each rank


@pytest.fixture(scope="session")
def bad_config_app(request: pytest.FixtureRequest) -> Job:
    return request.config.stash[BAD_CONFIG_APP]


@pytest.fixture(scope="session")
def bad_template_lint(request: pytest.FixtureRequest) -> Lint:
    return request.config.stash[BAD_TEMPLATE_LINT]


@pytest.fixture(scope="session")
def org_scenario(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The organization readiness report on 50+ simulated accounts (tests/org_scenario.py):
    what it printed and wrote, with the personas of the accounts."""
    job, outdir = request.config.stash[ORG_SCENARIO]
    code, _, err = job.wait()
    assert code == 0, err[-3000:]
    scenario: dict[str, Any] = json.loads((outdir / "scenario.json").read_text())
    scenario["outdir"] = str(outdir)
    return scenario


@pytest.fixture(scope="session")
def main_job(request: pytest.FixtureRequest) -> Job:
    return request.config.stash[MAIN_JOB]


@pytest.fixture(scope="session")
def org_synth(
    synthesize: Callable[[Mapping[str, Any]], Synthesized], request: pytest.FixtureRequest
) -> Synthesized:
    """The organization example; cfn-lint of its templates starts at once in the background."""
    synth = synthesize(ORGANIZATION_EXAMPLE)
    templates = [s.template for s in stacks_in(synth.outdir)]
    request.config.stash[ORG_LINT] = lint_job(
        templates + sorted(synth.outdir.glob("*.stackset.template.json"))
    )
    return synth


@pytest.fixture(scope="session")
def org_lint(org_synth: Synthesized, request: pytest.FixtureRequest) -> Lint:
    return request.config.stash[ORG_LINT]


ENGINE = pytest.StashKey[Engine]()
PROOFS = pytest.StashKey[Proofs]()


def _start_engine_and_proofs(config: pytest.Config, names: set[str]) -> None:
    """The engine starts with the background work when a test needs it, and the policy proofs'
    evaluations with it (a thread that waits for the organization example): they overlap the
    tests that run first instead of being waited for. One engine process: its memo fills once
    (two processes filled one each, 2 s more CPU), and the session's other work keeps the second
    core busy anyway."""
    config.stash[ENGINE] = engine = Engine(processes=1)
    if "proofs" in names:
        planned: _Planned | None = config.stash.get(SYNTHESIZER, None)
        key = _synth_key(ORGANIZATION_EXAMPLE)

        def organization() -> Synthesized:
            assert planned is not None
            assert key in planned.outdirs
            return Synthesized.load(ORGANIZATION_EXAMPLE, planned.wait_for(key))

        config.stash[PROOFS] = Proofs.start(engine, organization)


def pytest_unconfigure(config: pytest.Config) -> None:
    engine = config.stash.get(ENGINE, None)
    if engine is not None:
        engine.close()


@pytest.fixture(scope="session")
def engine(request: pytest.FixtureRequest) -> Engine:
    """The policy-evaluation engine: long-lived Node processes for the whole session."""
    return request.config.stash[ENGINE]


@pytest.fixture(scope="session")
def proofs(request: pytest.FixtureRequest, org_synth: Synthesized) -> Proofs:
    """The matrix, sweep slice and mutations, evaluated since collection (tests/policy/
    proofs.py); ``org_synth`` keeps their tests in the organization example's place."""
    return request.config.stash[PROOFS]


@pytest.fixture(scope="session")
def policies(org_synth: Synthesized) -> PolicySet:
    """Force-MFA and the SCPs (with their targets) as the organization example deploys them."""
    return PolicySet.from_templates(org_synth.templates)
