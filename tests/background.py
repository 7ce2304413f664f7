"""Slow, independent checks run as subprocesses started early, so that they overlap the rest of
the suite on the second core (the pytest budget is measured on 2 cores). Each test still makes
its own assertions on the job's exit code and output.

cfn-lint runs in one process for the whole session (``python -m tests.background``): it imports
cfn-lint once (about a second) and then lints each list of templates it is sent, one JSON line
each, answering with the findings as one JSON line.
"""

from __future__ import annotations

import atexit
import collections
import dataclasses
import functools
import json
import os
import subprocess
import sys
import tempfile
import threading
import traceback
from collections.abc import Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _lower_priority(pid: int) -> None:
    """Nice 10: a job whose result the session wants only at its end takes the CPU the tests
    leave, instead of slowing them (and every test after them) down."""
    os.setpriority(os.PRIO_PROCESS, pid, 10)


class Job:
    """One subprocess of this Python, run from the project root with the venv first on PATH."""

    def __init__(
        self, *args: str, env: dict[str, str] | None = None, later: bool = True
    ) -> None:
        """``env``: the whole environment of the job (default: this one, venv first on PATH).
        ``later``: the job's result is wanted at the end of the session, so it runs at a lower
        priority (nice): the tests it overlaps keep a whole core, and it takes what they leave."""
        venv_bin = Path(sys.executable).parent
        if env is None:
            env = {**os.environ, "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}"}
        self._process = subprocess.Popen(
            [sys.executable, *args], cwd=ROOT, env=env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        if later:
            _lower_priority(self._process.pid)

    def done(self) -> bool:
        return self._process.poll() is not None

    def wait(self, timeout: float = 600) -> tuple[int, str, str]:
        """Exit code, standard output and standard error, once the job has finished."""
        out, err = self._process.communicate(timeout=timeout)
        return self._process.returncode, out, err


class _LintProcess:
    """The session's cfn-lint process: requests are answered in the order they were sent."""

    def __init__(self) -> None:
        venv_bin = Path(sys.executable).parent
        env = {**os.environ, "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}"}
        # A file, not a pipe: nothing has to drain it while the process runs.
        self._stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed by _read
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.background"], cwd=ROOT, env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
        )  # fmt: skip
        _lower_priority(self._process.pid)  # its answers are waited for at the end
        self._lock = threading.Lock()
        self._pending: collections.deque[Future[tuple[int, str, str]]] = collections.deque()
        self._ended: tuple[int, str, str] | None = None  # once the process has ended
        threading.Thread(target=self._read, daemon=True).start()
        atexit.register(self.close)

    def submit(self, templates: Sequence[Path]) -> Future[tuple[int, str, str]]:
        answer: Future[tuple[int, str, str]] = Future()
        assert self._process.stdin is not None
        with self._lock:
            if self._ended:
                answer.set_result(self._ended)
                return answer
            self._pending.append(answer)
            self._process.stdin.write(json.dumps([str(t) for t in templates]) + "\n")
            self._process.stdin.flush()
        return answer

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            reply = json.loads(line)
            with self._lock:
                answer = self._pending.popleft()
            if "error" in reply:
                answer.set_result((1, "", reply["error"]))
            else:
                answer.set_result((0, json.dumps(reply["findings"]), ""))
        code = self._process.wait()
        self._stderr.seek(0)
        err = self._stderr.read()
        self._stderr.close()
        with self._lock:
            self._ended = (code or 1, "", f"lint process ended: {err}")
            while self._pending:
                self._pending.popleft().set_result(self._ended)

    def close(self) -> None:
        """At the session's end: whatever it answered has been read, and nothing more is asked,
        so the process is stopped rather than waited for through its interpreter's teardown
        (half a second of cfn-lint's heap, on the session's critical path)."""
        if self._process.stdin and not self._process.stdin.closed:
            self._process.stdin.close()
        self._process.kill()
        self._process.wait(timeout=60)


@functools.cache
def _lint_process() -> _LintProcess:
    return _LintProcess()


class Lint:
    """The cfn-lint findings of some templates (``checks.lint_findings``), from the session's
    lint process; like :class:`Job`, :meth:`wait` gives an exit code, the findings as JSON
    (standard output) and the error."""

    def __init__(self, templates: Sequence[Path]) -> None:
        self._answer = _lint_process().submit(templates)

    def wait(self, timeout: float = 600) -> tuple[int, str, str]:
        return self._answer.result(timeout=timeout)


def lint_job(templates: Sequence[Path]) -> Lint:
    return Lint(templates)


def main() -> int:
    """Answer each line of standard input (a JSON list of templates) with one line: their
    cfn-lint findings, or the error that stopped the lint."""
    from mfa_guardrails.checks import lint_findings

    for line in sys.stdin:
        try:
            findings = lint_findings([Path(p) for p in json.loads(line)])
            reply: dict[str, Any] = {"findings": [dataclasses.asdict(f) for f in findings]}
        except Exception:  # the test that waits for this lint reports it
            reply = {"error": traceback.format_exc()}
        print(json.dumps(reply), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
