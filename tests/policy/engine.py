"""The policy-evaluation engine: long-lived Node processes running @cloud-copilot/iam-simulate.

Each process starts once (about 0.2 s) and then evaluates batches sent as one JSON line each, so a
test session or a full sweep pays the start-up once, not per batch. Batches are split across the
processes (one per core) and evaluated concurrently.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("simulate.cjs")


class _Process:
    def __init__(self) -> None:
        self._process = subprocess.Popen(
            ["node", str(SCRIPT)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._lock = threading.Lock()

    def evaluate(self, batch: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        line = json.dumps(_by_reference(batch))
        with self._lock:
            self._process.stdin.write(line + "\n")
            self._process.stdin.flush()
            line = self._process.stdout.readline()
        if not line:
            stderr = self._process.stderr.read() if self._process.stderr else ""
            raise RuntimeError(f"policy simulator stopped: {stderr}")
        decided: list[dict[str, Any]] = json.loads(line)
        return decided

    def close(self) -> None:
        if self._process.stdin:
            self._process.stdin.close()
        self._process.wait(timeout=10)


def _by_reference(simulations: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The batch with each policy document sent once: simulations share the same document
    objects (a PolicySet's), which are replaced by {"$policy": key}."""
    policies: dict[str, Any] = {}
    keys: dict[int, str] = {}

    def ref(document: Any) -> dict[str, str]:
        key = keys.setdefault(id(document), str(len(keys)))
        policies[key] = document
        return {"$policy": key}

    def named(entries: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        return [{**entry, "policy": ref(entry["policy"])} for entry in entries]

    shared = []
    for simulation in simulations:
        levels = [
            {**level, "policies": named(level["policies"])}
            for level in simulation["serviceControlPolicies"]
        ]
        shared.append({
            **simulation,
            "identityPolicies": named(simulation["identityPolicies"]),
            "serviceControlPolicies": levels,
        })  # fmt: skip
    return {"policies": policies, "simulations": shared}


class Engine:
    """A pool of simulator processes; :meth:`evaluate` returns True where a request is allowed."""

    def __init__(self, processes: int | None = None) -> None:
        count = processes or min(2, os.cpu_count() or 1)
        self._processes = [_Process() for _ in range(count)]
        self._pool = ThreadPoolExecutor(max_workers=count)

    def evaluate(self, simulations: Sequence[Mapping[str, Any]]) -> list[bool]:
        decisions = self.decide(simulations)
        errors = [error for _, error in decisions if error]
        if errors:
            raise AssertionError(f"simulator rejected {len(errors)} request(s): {errors[:3]}")
        return [allowed for allowed, _ in decisions]

    def decide(self, simulations: Sequence[Mapping[str, Any]]) -> list[tuple[bool, str | None]]:
        """Each request's decision (True: allowed), and the simulator's error where it could not
        evaluate one (e.g. an ARN that fits several resource types of the action)."""
        if not simulations:
            return []
        size = -(-len(simulations) // len(self._processes))
        batches = [simulations[i : i + size] for i in range(0, len(simulations), size)]
        futures = [
            self._pool.submit(process.evaluate, batch)
            for process, batch in zip(self._processes, batches, strict=False)
        ]
        return [
            (d["decision"] == "Allowed", d["error"]) for f in futures for d in f.result()
        ]

    def close(self) -> None:
        self._pool.shutdown()
        for process in self._processes:
            process.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
