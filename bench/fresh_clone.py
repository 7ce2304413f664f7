"""Fresh-clone figures: what a new machine (or CI) pays for each phase of the two commands.

``python3 bench/fresh_clone.py [--source PATH_OR_URL] [--ref REF] [--runs N]`` clones the
repository (default: this one, at HEAD) into a temporary folder, gives pip, uv and npm empty
caches, and times each phase as the Makefile runs it: the pinned uv (``requirements-uv.txt``),
the Python install (``uv sync --locked``), the CDK CLI (``npm ci``), the main job, pytest, mypy
and ruff; then, in a second fresh clone, ``make synth`` followed by ``make test`` as a user types
them. With ``--runs N`` everything is done N times and the minimum of each phase is printed (the
machine may be busy with something else: the minimum is the least disturbed run).

It needs only python3, git, make, node and npm: run it with any Python >= 3.11, no venv needed.
Downloads come from the package registries (cold caches), so the install figures include them.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Each phase as the Makefile runs it (`make -n synth` / `make -n test` show the same commands).
PY = ".venv/bin/python"
PHASES: list[tuple[str, list[str]]] = [
    ("uv (pinned, pip --require-hashes)", ["make", ".tools/uv/.installed"]),
    ("install (uv sync --locked)", ["make", ".venv/.installed"]),
    ("npm ci (CDK CLI)", ["make", "node_modules/.installed"]),
    ("synth: main job, every configuration", [PY, "-m", "mfa_guardrails.checks"]),
    ("pytest", [PY, "-m", "pytest", "-q", "-p", "no:cacheprovider"]),
    ("type check: mypy, cold cache", [PY, "-m", "mypy"]),
    ("ruff", [PY, "-m", "ruff", "check", "."]),
]
WHOLE: list[tuple[str, list[str]]] = [
    ("make synth (fresh clone, set-up included)", ["make", "synth"]),
    ("make test (after make synth)", ["make", "test"]),
]


def fresh_environment(scratch: Path) -> dict[str, str]:
    """This environment with empty package caches, and Python writing bytecode as make lets it."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for variable in ("PIP_CACHE_DIR", "UV_CACHE_DIR", "npm_config_cache"):
        env[variable] = tempfile.mkdtemp(prefix=variable.lower() + "-", dir=scratch)
    env["UV_PYTHON_DOWNLOADS"] = "never"
    return env


def clone(source: str, ref: str, scratch: Path) -> Path:
    target = Path(tempfile.mkdtemp(prefix="clone-", dir=scratch)) / "mfa-guardrails"
    subprocess.run(["git", "clone", "--quiet", source, str(target)], check=True)
    subprocess.run(["git", "-C", str(target), "checkout", "--quiet", ref], check=True)
    return target


def timed(steps: Sequence[tuple[str, list[str]]], cwd: Path, env: dict[str, str]) -> list[float]:
    seconds = []
    for name, command in steps:
        start = time.perf_counter()
        result = subprocess.run(
            command, cwd=cwd, env=env, capture_output=True, text=True, check=False
        )
        seconds.append(time.perf_counter() - start)
        if result.returncode != 0:
            sys.exit(f"{name} failed ({' '.join(command)}):\n{result.stdout[-3000:]}"
                     f"{result.stderr[-3000:]}")  # fmt: skip
        print(f"  {name}: {seconds[-1]:.1f} s", file=sys.stderr, flush=True)
    return seconds


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="fresh-clone timings of the two commands")
    parser.add_argument("--source", default=str(ROOT), help="repository to clone (default: this)")
    parser.add_argument("--ref", default="HEAD", help="commit, branch or tag (default: HEAD)")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args(argv)
    ref = args.ref
    if Path(args.source).exists():  # a local repository: pin the commit for every clone
        ref = subprocess.run(["git", "-C", args.source, "rev-parse", args.ref], check=True,
                             capture_output=True, text=True).stdout.strip()  # fmt: skip
    phases: list[list[float]] = []
    whole: list[list[float]] = []
    with tempfile.TemporaryDirectory(prefix="fresh-clone-") as folder:
        scratch = Path(folder)
        for run in range(args.runs):
            print(f"run {run + 1}/{args.runs}: phases", file=sys.stderr)
            env = fresh_environment(scratch)
            phases.append(timed(PHASES, clone(args.source, ref, scratch), env))
            print(f"run {run + 1}/{args.runs}: make synth, make test", file=sys.stderr)
            env = fresh_environment(scratch)
            whole.append(timed(WHOLE, clone(args.source, ref, scratch), env))
    note = f"minimum of {args.runs} runs" if args.runs > 1 else "one run"
    print(f"Fresh clone of {ref[:12]}, cold pip/uv/npm caches, {os.cpu_count()} cores ({note})")
    print()
    print("| phase | seconds |")
    print("|---|---:|")
    for index, (name, _) in enumerate(PHASES):
        print(f"| {name} | {min(run[index] for run in phases):.1f} |")
    for index, (name, _) in enumerate(WHOLE):
        print(f"| {name} | {min(run[index] for run in whole):.1f} |")
    total = min(sum(run) for run in whole)
    print(f"| make synth then make test, in all | {total:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
