"""README stays true: every command it shows is run by CI or checked here, and its configuration
table lists exactly the keys the typed configuration accepts."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from bench import scale_model
from mfa_guardrails.cli import preflight
from mfa_guardrails.config import CONTEXT_PREFIX, config_keys, load_config
from tests.background import Job
from tests.synth import ORGANIZATION_EXAMPLE, ROOT, Synthesized

README = (ROOT / "README.md").read_text()


def readme_commands() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", README, flags=re.DOTALL)
    lines = (line.split("#")[0].strip() for block in blocks for line in block.splitlines())
    return [line for line in lines if line]


def test_readme_shows_the_two_commands_and_ci_runs_the_test_one() -> None:
    commands = readme_commands()
    assert {"make synth", "make test"} <= set(commands)
    ci = (ROOT / ".ci" / "run").read_text()
    assert "\nmake test\n" in ci


# How each README command is checked without AWS credentials: `make -n` proves a target exists
# and shows what it would run; the readiness CLI (it needs credentials) answers --help here and
# is exercised end to end with moto in tests/test_readiness.py.
# The console script `make setup` installs (README shows it with its venv path).
CLI = str(Path(sys.executable).parent / "mfa-guardrails")
CHECKS = {
    "make synth": (["make", "-n", "synth"], "-m mfa_guardrails.checks"),
    "make test": (["make", "-n", "test"], "-m pytest"),
    "make diff": (["make", "-n", "diff"], "cdk diff\n"),
    "make lock": (["make", "-n", "lock"], "uv lock"),
    "make synth CONFIG=my-org.json": (
        ["make", "-n", "synth", "CONFIG=my-org.json"], "checks --config my-org.json"),
    "make diff CONFIG=my-org.json": (
        ["make", "-n", "diff", "CONFIG=my-org.json"], "/my-org.json npx --no-install cdk diff\n"),
    "make preflight CONFIG=my-org.json": (
        ["make", "-n", "preflight", "CONFIG=my-org.json"],
        "bin/mfa-guardrails preflight --config my-org.json"),
    "make deploy CONFIG=my-org.json": (
        ["make", "-n", "deploy", "CONFIG=my-org.json"], "/my-org.json npx --no-install cdk deploy"),
    "make deploy": (["make", "-n", "deploy"], "cdk deploy --all --require-approval broadening"),
    "make manifest": (["make", "-n", "manifest"], "-m mfa_guardrails.manifest"),
    "make upgrade-check INSTALLED=../installed/cdk.out": (
        ["make", "-n", "upgrade-check", "INSTALLED=../installed/cdk.out"],
        "bin/mfa-guardrails upgrade-check --installed ../installed/cdk.out"),
    "make upgrade-check CONFIG=my-org.json": (
        ["make", "-n", "upgrade-check", "CONFIG=my-org.json"],
        "bin/mfa-guardrails upgrade-check --deployed --config my-org.json"),
    "make deploy APPROVAL=never": (
        ["make", "-n", "deploy", "APPROVAL=never"], "cdk deploy --all --require-approval never"),
    "make org-readiness CONFIG=examples/organization.json": (
        ["make", "-n", "org-readiness", "CONFIG=examples/organization.json"],
        "bin/mfa-guardrails org-readiness --config examples/organization.json"),
    ".venv/bin/mfa-guardrails org-readiness --config team.json --ou ou-ab12-workload1 --html "
    "r.html": ([CLI, "org-readiness", "--help"], "--html FILE"),
    ".venv/bin/mfa-guardrails readiness": ([CLI, "readiness", "--help"], "--json"),
    ".venv/bin/mfa-guardrails replay": ([CLI, "replay", "--help"], "--apply"),
    ".venv/bin/mfa-guardrails replay --apply": ([CLI, "replay", "--help"], "--apply"),
    ".venv/bin/mfa-guardrails readiness --json": ([CLI, "readiness", "--help"], "--json"),
    **{f".venv/bin/mfa-guardrails recover {case}": (
        [CLI, "recover",
         case.split()[0], "--help"], option)
       for case, option in {
           "user --account-id 123456789012 --user bob --stolen": "--stolen",
           "user --account-id 123456789012 --user bob --stolen --apply": "--apply",
           "verify --account-id 123456789012 --user bob": "--account-id",
           "root --account-id 333333333333 --delete-credentials": "--delete-credentials",
           "identity-center --user alice": "--user",
       }.items()},
}  # fmt: skip


def test_every_readme_command_resolves() -> None:
    commands = readme_commands()
    assert set(commands) <= set(CHECKS), set(commands) - set(CHECKS)
    for command in commands:
        argv, expected = CHECKS[command]
        output = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=True).stdout
        assert expected in output, output


def test_configuration_table_matches_the_typed_configuration() -> None:
    section = README.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z0-9-]+)` \|", section, flags=re.MULTILINE))
    known = {key.removeprefix(CONTEXT_PREFIX) for key in config_keys()}
    assert known - documented == set(), "keys missing from README's configuration table"
    assert documented - known == set(), "README documents keys the configuration rejects"


def test_cdk_json_runs_the_app_with_the_project_venv() -> None:
    """`npx cdk synth -c …` as README shows works after `make setup` without activating anything:
    cdk.json names the venv's interpreter, not whatever python3 is on PATH."""
    app = json.loads((ROOT / "cdk.json").read_text())["app"].split()
    assert app[1:] == ["app.py"]
    assert (ROOT / app[0]).resolve() == Path(sys.executable).resolve()


def test_deploy_asks_before_broadening_changes_unless_told_otherwise() -> None:
    def deploy(*args: str) -> str:
        argv = ["make", "-n", "deploy", *args]
        return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=True).stdout

    assert "--require-approval broadening" in deploy()
    assert "--require-approval never" in deploy("APPROVAL=never")
    assert "--all" not in subprocess.run(
        ["make", "-n", "diff"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout  # the pinned CLI's diff has no --all option


def test_diff_and_deploy_without_credentials_say_so(tmp_path: Path) -> None:
    """Not CDK's "Unable to resolve AWS account" twice and a bootstrap hint: the cause."""
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(tmp_path),
           "AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_EC2_METADATA_DISABLED": "true",
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}  # fmt: skip
    for target in ("diff", "deploy"):
        done = subprocess.run(["make", "--no-print-directory", target], cwd=ROOT, env=env,
                              capture_output=True, text=True, check=False)  # fmt: skip
        assert done.returncode != 0
        assert "no AWS credentials: sign in to the deploying account first" in done.stdout
        assert "Unable to resolve" not in done.stdout + done.stderr


def test_license_is_an_spdx_expression() -> None:
    """A TOML table for project.license is deprecated (PEP 639): build backends warn on it."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0"


def test_readme_cost_table_is_what_the_model_computes(
    default_synth: Synthesized, org_synth: Synthesized
) -> None:
    """Regenerate with `python bench/scale_model.py --cost --update-readme` after `make synth`."""
    start, end = scale_model.README_MARKERS
    shown = README.split(start + "\n", 1)[1].split("\n" + end, 1)[0]
    assert shown == scale_model.readme_cost_table(default_synth.outdir, org_synth.outdir)


def test_readme_bootstrap_lines_are_what_preflight_prints() -> None:
    config = load_config({**ORGANIZATION_EXAMPLE, CONTEXT_PREFIX + "management-account-id":
                          "111111111111"})  # fmt: skip
    management, security = "111111111111", "222222222222"
    lines = preflight.bootstrap_commands(config, caller=management)
    home = config.home_region
    readme = {ln.strip() for ln in README.splitlines()}
    for line in lines:
        generic = line.replace(management, "M").replace(security, "S").replace(home, "H")
        if "--trust" in generic:
            assert generic in readme, generic
        else:
            assert any(generic in ln for ln in readme), generic


def test_readme_summary_is_what_the_main_job_prints(main_job: Job) -> None:
    """The example summary under "The two commands", line by line and in order, against the main
    job's real output for the embedded default (test_checks.py runs it)."""
    block = README.split("<!-- main-job-summary", 1)[1].split("```\n", 1)[1].split("```", 1)[0]
    code, out, _ = main_job.wait()
    assert code == 0
    printed = re.sub(r"-> \S*cdk\.out/", "-> cdk.out/", out).splitlines()
    position = 0
    for line in block.splitlines():
        if line == "...":
            continue
        assert line in printed[position:], line
        position = printed.index(line, position) + 1


def test_readme_org_readiness_sample_is_the_golden_output() -> None:
    """The sample summary in README's rollout section is what the renderer prints (the golden
    output of tests/test_org_readiness.py), indented as the list item it sits in."""
    readme = (ROOT / "README.md").read_text()
    start, end = "<!-- org-readiness-sample: start -->", "<!-- org-readiness-sample: end -->"
    block = readme[readme.index(start) + len(start):readme.index(end)]
    shown = block.split("```\n", 1)[1].rsplit("   ```", 1)[0]
    golden = (ROOT / "tests" / "golden" / "org_report.txt").read_text()
    assert [line.removeprefix("   ") for line in shown.splitlines()] == golden.splitlines()
