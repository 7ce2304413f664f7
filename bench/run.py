"""Benchmarks of mfa-guardrails, measured in one run and printed as a Markdown table.

Run from the venv that ``make synth`` creates: ``.venv/bin/python bench/run.py``.

Every synth is a fresh ``python`` process (what ``cdk synth`` runs), timed wall-clock, median of
``--runs`` runs. The empty app is built with the same ``App`` settings as ``app.py`` (built-in
CloudFormation validation off, because cfn-lint runs in the main job instead), so the ratio measures
what our stacks and cdk-nag add, not a validation setting; the default empty app is printed too.
The last line is ``ratio full/empty: X.XX`` (full synth of every stack with cdk-nag over the empty
app, medians from this run).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(__file__).resolve().parent / "synth_target.py"


def wall_seconds(command: Sequence[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def median_synth(variant: str, runs: int, env: dict[str, str]) -> float:
    samples = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as outdir:
            samples.append(wall_seconds([sys.executable, str(TARGET), variant, outdir], env))
    return statistics.median(samples)


def cold_imports(runs: int, env: dict[str, str]) -> list[tuple[str, float]]:
    """Cold import of each Lambda handler module (``constructs_lib/*/runtime/handler.py``)."""
    rows = []
    for handler in sorted(ROOT.glob("constructs_lib/*/runtime/handler.py")):
        module = ".".join(handler.relative_to(ROOT).with_suffix("").parts)
        code = (
            "import time,importlib;s=time.perf_counter();"
            f"importlib.import_module({module!r});print(time.perf_counter()-s)"
        )
        samples = [
            float(
                subprocess.run(
                    [sys.executable, "-X", "frozen_modules=on", "-c", code],
                    cwd=ROOT,
                    env=env,
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
            )
            for _ in range(runs)
        ]
        rows.append((module, statistics.median(samples)))
    return rows


def notifier_per_event_microseconds(events: int = 10_000) -> tuple[float, float]:
    """Median cost of formatting one alert, and of classifying + formatting it (in-process)."""
    import gc
    import json

    from constructs_lib.alerting.runtime import handler

    samples = [
        json.loads(path.read_text())
        for path in sorted((ROOT / "tests" / "samples").glob("*.json"))
        if not path.name.startswith("lookalike")
    ]
    pairs = [(event, handler.classify(event)) for event in samples]
    work = [pairs[i % len(pairs)] for i in range(events)]
    clock = time.perf_counter_ns
    formatting: list[int] = []
    end_to_end: list[int] = []
    gc.disable()
    try:
        for event, entry in work:
            start = clock()
            handler.format_message(event, entry)
            formatting.append(clock() - start)
        for event, _ in work:
            start = clock()
            handler.build_message(event)
            end_to_end.append(clock() - start)
    finally:
        gc.enable()
    return statistics.median(formatting) / 1000, statistics.median(end_to_end) / 1000


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="mfa-guardrails benchmarks")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--test-runs", type=int, default=5)
    args = parser.parse_args(argv)
    env = dict(os.environ)

    rows: list[tuple[str, str]] = []
    # Context only (the ratio uses app.py's settings): 3 runs keep the bench under 5 minutes.
    empty_default = median_synth("empty-default", 3, env)
    empty = median_synth("empty", args.runs, env)
    full = median_synth("full", args.runs, env)
    full_nag = median_synth("full-nag", args.runs, env)
    organization = median_synth("organization-nag", args.runs, env)
    rows += [
        (
            "synth: empty app, aws-cdk-lib defaults, built-in validation on (median of 3)",
            f"{empty_default:.2f} s",
        ),
        ("synth: empty app, app.py settings", f"{empty:.2f} s"),
        ("synth: every stack, no cdk-nag", f"{full:.2f} s"),
        ("synth: every stack, with cdk-nag", f"{full_nag:.2f} s"),
        ("ratio full/empty, no cdk-nag", f"{full / empty:.2f}"),
        ("synth: organization example, every stack, with cdk-nag", f"{organization:.2f} s"),
        ("ratio organization/empty, with cdk-nag", f"{organization / empty:.2f}"),
    ]
    # The main job as `make synth` runs it: both configurations synthesized at once, each linted
    # while the other still synthesizes (serially, before issue 21: 17.3 s; at once: 13.1 s).
    with tempfile.TemporaryDirectory() as outdir:
        main_job = statistics.median(
            wall_seconds([sys.executable, "-m", "mfa_guardrails.checks", "--outdir", outdir], env)
            for _ in range(min(3, args.runs))
        )
    rows.append(("main job, every configuration (python -m mfa_guardrails.checks, median of 3)",
                 f"{main_job:.1f} s"))  # fmt: skip
    test_samples = [
        wall_seconds([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], env)
        for _ in range(args.test_runs)
    ]
    rows.append(
        (
            f"test suite wall time (median of {args.test_runs})",
            f"{statistics.median(test_samples):.1f} s",
        )
    )
    sweep = subprocess.run(
        [sys.executable, "-m", "tests.policy.sweep"], cwd=ROOT, env=env, check=True,
        capture_output=True, text=True,
    )  # fmt: skip
    # Its first line: "policy sweep: N cells (A actions, P principals) evaluated in S s (...)".
    rows.append(("policy sweep, whole (one run)", sweep.stdout.splitlines()[0].split(": ", 1)[1]))
    for module, seconds in cold_imports(args.runs, env):
        rows.append((f"cold import {module}", f"{seconds * 1000:.1f} ms"))
    formatting, end_to_end = notifier_per_event_microseconds()
    rows.append(("notifier format_message per event (median of 10,000)", f"{formatting:.1f} µs"))
    rows.append(("notifier classify + format per event (median of 10,000)", f"{end_to_end:.1f} µs"))

    print(f"| measure (median of {args.runs} unless noted) | value |")
    print("|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    print()
    print(f"ratio full/empty: {full_nag / empty:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
