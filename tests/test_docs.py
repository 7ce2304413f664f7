"""README stays true: every command it shows is run by CI or checked here, and its configuration
table lists exactly the keys the typed configuration accepts."""

from __future__ import annotations

import re
import subprocess

from constructs_lib.alerting.runtime.catalog import ENTRIES
from mfa_guardrails.config import CONTEXT_PREFIX, config_keys
from tests.synth import ROOT

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


def test_every_readme_make_command_resolves() -> None:
    """`make -n` proves each target exists and shows what it would run (diff and deploy need
    AWS credentials, so they are only resolved here, never run)."""
    expected = {
        "make synth": "-m mfa_guardrails.checks",
        "make test": "-m pytest",
        "make diff": "cdk diff --all",
        "make deploy": "cdk deploy --all",
    }
    commands = readme_commands()
    assert set(commands) <= set(expected), set(commands) - set(expected)
    for command in commands:
        plan = subprocess.run([*command.split(), "-n"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout  # fmt: skip
        assert expected[command] in plan, plan


def test_configuration_table_matches_the_typed_configuration() -> None:
    documented = set(re.findall(r"^\| `([a-z0-9-]+)` \|", README, flags=re.MULTILINE))
    known = {key.removeprefix(CONTEXT_PREFIX) for key in config_keys()}
    assert known - documented == set(), "keys missing from README's configuration table"
    # The only other back-quoted first cells are the alert ids of the catalog table.
    assert documented - known <= {entry.id for entry in ENTRIES}
