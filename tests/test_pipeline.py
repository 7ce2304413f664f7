"""The CI pipeline example and its deploy role: the workflow runs exactly README's commands with
SHA-pinned actions, and the role trusts only this repository's protected environment."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from sarif_pydantic import Sarif

from mfa_guardrails import checks
from tests.policy.policies import resources_of
from tests.synth import ROOT, Synthesized
from tests.test_docs import readme_commands

WORKFLOW = ROOT / ".github" / "workflows" / "mfa-guardrails.yml"


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    parsed: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text())
    return parsed


def steps(workflow: dict[str, Any], job: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = workflow["jobs"][job]["steps"]
    return found


def test_every_action_is_pinned_to_a_commit_sha(workflow: dict[str, Any]) -> None:
    uses = [step["uses"] for job in workflow["jobs"] for step in steps(workflow, job)
            if "uses" in step]  # fmt: skip
    assert uses
    for action in uses:
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", action), action


def test_jobs_run_exactly_readme_commands(workflow: dict[str, Any]) -> None:
    documented = set(readme_commands())
    runs = {job: [s["run"] for s in steps(workflow, job) if "run" in s] for job in workflow["jobs"]}
    assert runs["check"] == ["make test", "make synth"]
    assert runs["deploy"] == ["make synth", "make diff", "make deploy APPROVAL=never"]
    # The team's configuration file, from a repository variable, for all three.
    assert workflow["jobs"]["deploy"]["env"] == {"CONFIG": "${{ vars.MFA_GUARDRAILS_CONFIG }}"}
    assert {command for commands in runs.values() for command in commands} <= documented


def test_check_job_uploads_cdk_out_and_sarif(workflow: dict[str, Any]) -> None:
    withs = [s.get("with", {}) for s in steps(workflow, "check")]
    assert {"name": "cdk-out", "path": "cdk.out"} in withs
    assert {"sarif_file": "cdk.out/findings.sarif"} in withs


def test_only_the_main_branch_deploy_job_gets_an_oidc_token(workflow: dict[str, Any]) -> None:
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["jobs"]["check"]["permissions"].get("id-token") is None
    deploy = workflow["jobs"]["deploy"]
    assert deploy["permissions"]["id-token"] == "write"
    assert deploy["environment"] == "production"
    assert "refs/heads/main" in deploy["if"]
    credentials = [
        s
        for s in steps(workflow, "deploy")
        if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@")
    ]
    assert len(credentials) == 1
    assert "role-to-assume" in credentials[0]["with"]
    assert "aws-access-key-id" not in credentials[0]["with"]


@pytest.fixture(scope="module")
def deploy_role(org_synth: Synthesized) -> dict[str, Any]:
    template = org_synth.templates["MfaGuardrailsPipeline"]
    (role,) = resources_of(template, "AWS::IAM::Role").values()
    (policy,) = resources_of(template, "AWS::IAM::Policy").values()
    return {"role": role, "policy": policy}


def test_trust_policy_pins_audience_and_subject(deploy_role: dict[str, Any]) -> None:
    (statement,) = deploy_role["role"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert "Federated" in statement["Principal"]
    assert statement["Condition"] == {"StringEquals": {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        "token.actions.githubusercontent.com:sub":
            "repo:acme/mfa-guardrails:environment:production",
    }}  # fmt: skip
    assert deploy_role["role"]["MaxSessionDuration"] == 3600


def test_deploy_role_can_only_assume_cdk_bootstrap_roles(deploy_role: dict[str, Any]) -> None:
    """Its own account's, and the security account's, where MfaGuardrailsSecurity deploys (that
    account is bootstrapped with --trust of this one: see make preflight): every stack of the
    organization topology deploys from the pipeline, and nothing else can."""
    (statement,) = deploy_role["policy"]["PolicyDocument"]["Statement"]
    assert statement["Action"] == ["sts:AssumeRole", "sts:TagSession"]
    own, security = statement["Resource"]
    assert ":role/cdk-hnb659fds-*-role-" in json.dumps(own)
    assert "AWS::AccountId" in json.dumps(own)
    assert security == {"Fn::Join": ["", [
        "arn:", {"Ref": "AWS::Partition"},
        ":iam::222222222222:role/cdk-hnb659fds-*-role-222222222222-*"]]}  # fmt: skip


def test_findings_are_written_as_json_and_valid_sarif(tmp_path: Path) -> None:
    findings = [
        checks.Finding("AwsSolutions", "AwsSolutions-SNS3", "error", "single/S/Topic", "no TLS"),
        checks.Finding("cfn-lint", "W3005", "warning", "single/S.template.json:4", "redundant"),
    ]
    checks.write_findings(tmp_path, findings)
    log = Sarif.model_validate(json.loads((tmp_path / "findings.sarif").read_text()))
    results = [r for run in log.runs for r in (run.results or [])]
    assert sorted(r.rule_id for r in results) == ["AwsSolutions-SNS3", "W3005"]
    assert len(json.loads((tmp_path / "findings.json").read_text())) == 2


def test_exit_codes_distinguish_findings_from_tool_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checks, "synthesize", lambda outdir, context: checks.Synth(1, ()))
    assert checks.main(["--outdir", str(tmp_path), "--only", "single-account"]) == 2
    finding = checks.Finding("cfn-lint", "E3002", "error", "x", "bad")
    monkeypatch.setattr(
        checks, "check_configuration", lambda outdir, config_file, synth: checks.Outcome((finding,))
    )
    assert checks.main(["--outdir", str(tmp_path), "--only", "single-account"]) == 1
