"""Session-scoped synthesis: each configuration is synthesized once for the whole test session."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
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
from tests.policy.engine import Engine  # noqa: E402
from tests.policy.policies import PolicySet  # noqa: E402
from tests.synth import ORGANIZATION_EXAMPLE, Synthesized  # noqa: E402

ENFORCE = {
    "mfa-guardrails:enforcement": "enforce",
    "mfa-guardrails:break-glass-principal-arns": ["arn:aws:iam::*:role/BreakGlassAdmin"],
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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Start the main job end to end (its own synth through the CLI, cdk-nag, cfn-lint) as soon
    as a test that needs it is collected: it overlaps the rest of the suite."""
    # Tests that wait for a background job run last, so the job overlaps the whole suite instead
    # of being waited for on the critical path.
    waits = [item for item in items if _WAITS_FOR & set(getattr(item, "fixturenames", ()))]
    items[:] = [item for item in items if item not in waits] + waits
    if any("bad_template_lint" in getattr(item, "fixturenames", ()) for item in items):
        bad = Path(tempfile.mkdtemp(prefix="bad-template-")) / "Bad.template.json"
        bad.write_text(json.dumps(BAD_TEMPLATE))
        config.stash[BAD_TEMPLATE_LINT] = lint_job([bad])
    if any("bad_config_app" in getattr(item, "fixturenames", ()) for item in items):
        folder = Path(tempfile.mkdtemp(prefix="bad-config-"))
        (folder / "team.json").write_text(json.dumps(BAD_CONFIG))
        config.stash[BAD_CONFIG_APP] = Job("app.py", env={
            "CDK_CONTEXT_JSON": json.dumps(BAD_CONTEXT),
            CONFIG_FILE_VARIABLE: str(folder / "team.json"),
            "PATH": "/usr/bin:/bin",
            "CDK_OUTDIR": str(folder / "cdk.out"),
        })  # fmt: skip
    if any("org_scenario" in getattr(item, "fixturenames", ()) for item in items):
        outdir = Path(tempfile.mkdtemp(prefix="org-scenario-"))
        config.stash[ORG_SCENARIO] = (Job("-m", "tests.org_scenario", str(outdir)), outdir)
    if any("main_job" in getattr(item, "fixturenames", ()) for item in items):
        outdir = Path(tempfile.mkdtemp(prefix="main-job-")) / "cdk.out"
        config.stash[MAIN_JOB] = Job(
            "-m", "mfa_guardrails.checks", "--outdir", str(outdir), "--only", "single-account"
        )


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


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    """The policy-evaluation engine: long-lived Node processes for the whole session."""
    with Engine() as started:
        yield started


@pytest.fixture(scope="session")
def policies(org_synth: Synthesized) -> PolicySet:
    """Force-MFA and the SCPs (with their targets) as the organization example deploys them."""
    return PolicySet.from_templates(org_synth.templates)
