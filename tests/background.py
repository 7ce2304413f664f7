"""Slow, independent checks run as subprocesses started early, so that they overlap the rest of
the suite on the second core (the pytest budget is measured on 2 cores). Each test still makes
its own assertions on the job's exit code and output.

``python -m tests.background TEMPLATE...`` prints the cfn-lint findings of the templates as JSON.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class Job:
    """One subprocess of this Python, run from the project root with the venv first on PATH."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        """``env``: the whole environment of the job (default: this one, venv first on PATH)."""
        venv_bin = Path(sys.executable).parent
        if env is None:
            env = {**os.environ, "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}"}
        self._process = subprocess.Popen(
            [sys.executable, *args], cwd=ROOT, env=env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip

    def wait(self, timeout: float = 600) -> tuple[int, str, str]:
        """Exit code, standard output and standard error, once the job has finished."""
        out, err = self._process.communicate(timeout=timeout)
        return self._process.returncode, out, err


def lint_job(templates: Sequence[Path]) -> Job:
    return Job("-m", "tests.background", *map(str, templates))


def main(paths: Sequence[str]) -> int:
    from mfa_guardrails.checks import lint_findings

    findings = lint_findings([Path(p) for p in paths])
    print(json.dumps([dataclasses.asdict(f) for f in findings]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
