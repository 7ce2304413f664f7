"""The main job's gates: they must be able to fail, and the real run must pass."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mfa_guardrails import checks
from tests.background import Job, Lint
from tests.synth import Synthesized


def test_nag_violations_are_reported_and_acknowledgments_counted(tmp_path: Path) -> None:
    report = {
        "pluginReports": [
            {
                "pluginName": "AwsSolutions",
                "violations": [
                    {
                        "ruleName": "AwsSolutions-SNS3",
                        "severity": "error",
                        "description": "d",
                        "violatingConstructs": [{"constructPath": "S/Topic/Resource"}],
                    }
                ],
                "suppressedViolations": [{"ruleName": "AwsSolutions-IAM5"}],
            }
        ]
    }
    (tmp_path / "validation-report.json").write_text(json.dumps(report))
    findings, acknowledged = checks.nag_findings(tmp_path)
    assert [(f.rule, f.location) for f in findings] == [("AwsSolutions-SNS3", "S/Topic/Resource")]
    assert acknowledged == 1


def test_cfn_lint_gate_catches_a_bad_template(bad_template_lint: Lint) -> None:
    """The gate can fail: checks.lint_findings (run in the background on BAD_TEMPLATE) reports
    an unknown property."""
    code, out, err = bad_template_lint.wait()
    assert code == 0, err
    assert any(f["rule"] == "E3002" for f in json.loads(out)), out

def test_stacks_in_finds_every_synthesized_stack(default_synth: Synthesized) -> None:
    """The main job lints what stacks_in finds (its cfn-lint of the default configuration is
    asserted by test_main_job_end_to_end): every stack must be found."""
    assert {s.name for s in checks.stacks_in(default_synth.outdir)} == set(default_synth.templates)


def test_organization_is_clean(org_synth: Synthesized, org_lint: Lint) -> None:
    """The organization example, StackSet template included: cfn-lint (run in the background
    since the synth, by the same ``checks.lint_findings``) and cdk-nag clean."""
    org = org_synth
    stacks = checks.stacks_in(org.outdir)
    stack_sets = sorted(org.outdir.glob("*.stackset.template.json"))
    assert len(stacks) == 4
    assert len(stack_sets) == 2  # the member baseline and the management's regional forwarding
    code, out, err = org_lint.wait()
    assert code == 0, err
    assert json.loads(out) == []
    findings, _ = checks.nag_findings(org.outdir)
    assert findings == []


def test_synthesized_app_has_no_unresolved_nag_findings(default_synth: Synthesized) -> None:
    findings, acknowledged = checks.nag_findings(default_synth.outdir)
    assert findings == []
    assert acknowledged >= 1


def test_main_job_end_to_end(main_job: Job) -> None:
    """`make synth`'s core, through the pinned CLI: synth, nag, lint, summary, exit 0 (started
    at collection, so it runs beside the suite). The organization example goes through the same
    code (test_organization_is_clean)."""
    code, out, err = main_job.wait()
    assert code == 0, out + err
    assert "result: ok" in out
    assert "cdk-nag findings: 0 unresolved" in out
    assert "cfn-lint findings: 0" in out
    # What a user reads is what matters: no Node.js end-of-life banner (jsii runs on the venv's
    # Node.js), no unconfigured feature flags, no deprecation warnings.
    for noise in ("end-of-life", "feature flags are not configured", "deprecated", "Bundling"):
        assert noise not in out + err, noise


def test_a_missing_cdk_cli_says_to_run_make_setup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The main job runs the pinned CLI from node_modules; without it, it says how to get it."""
    monkeypatch.setattr(checks, "CDK_CLI", tmp_path / "node_modules" / ".bin" / "cdk")
    synth = checks.synthesize(tmp_path / "cdk.out", None)
    assert synth.code == 2
    assert "run `make setup`" in synth.output[0]
    outcome = checks.check_configuration(tmp_path / "cdk.out", None, synth)
    assert outcome.tool_error == "synth failed (exit 2) before writing a cloud assembly"
