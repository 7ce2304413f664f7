"""The organization readiness run's two costly steps: ``python bench/org_run.py [--accounts 5000]
[--latency 0.05] [--concurrency 50]``.

The per-account function (``org_run.account_handler``) runs once for each persona of the simulated
organization (moto, ``tests/simulated_org.py``) with ``--latency`` seconds added to every AWS call:
its calls and seconds per account, and from them the map's wall time for ``--accounts`` accounts
at ``--concurrency`` children at once.

Builds the map's result files for ``--accounts`` accounts (each a few findings, every tenth one to
fix, as the simulated organization's personas produce) in an in-memory S3 double, then times
``org_run.aggregate_handler`` (reading the results, the four report formats, the Security Hub
findings, the change alert) and its peak Python memory (tracemalloc). The aggregation Lambda has
1,024 MB and 10 minutes (constructs_lib/org_readiness_run).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
import tracemalloc
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class _S3:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put_object(self, *, Key: str, Body: bytes, **_: Any) -> None:  # noqa: N803
        self.objects[Key] = Body

    def get_object(self, *, Key: str, **_: Any) -> dict[str, Any]:  # noqa: N803
        if Key not in self.objects:
            raise KeyError(Key)
        return {"Body": io.BytesIO(self.objects[Key])}


class _Sink:
    def batch_import_findings(self, Findings: list[Any]) -> dict[str, Any]:  # noqa: N803
        return {"FailedFindings": []}

    def publish(self, **_: Any) -> None:
        return None


def _output(index: int) -> dict[str, Any]:
    account = {"id": f"{100000000000 + index}", "name": f"account-{index}", "ou": "Root/W"}
    def finding(check: str, subject: str, status: str) -> dict[str, Any]:
        return {"check": check, "subject": subject, "status": status, "fix": "do this " * 12,
                "headline": "h", "resource_type": "AWS::::Account", "resource_id": None}
    findings = [finding("contact-phone", "account", "COMPLIANT"),
                finding("security-contact", "account", "COMPLIANT"),
                finding("root-mfa", "root user", "COMPLIANT"),
                *(finding("user-mfa", f"user u{u}", "COMPLIANT") for u in range(5))]
    if index % 10 == 0:
        findings.append(finding("cli-lockout", "user bob", "NON_COMPLIANT"))
    return {"account": account, "findings": findings}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--accounts", type=int, default=5000)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per AWS call")
    parser.add_argument("--concurrency", type=int, default=50, help="the map's MaxConcurrency")
    args = parser.parse_args(argv)
    import os

    per_account = _per_account(args.latency)

    from constructs_lib.detective.runtime import org_run

    os.environ[org_run.BUCKET_ENV] = "bench"
    os.environ[org_run.ALERT_TOPIC_ENV] = "arn:aws:sns:us-east-1:123456789012:t"
    s3 = _S3()
    outputs = [_output(i) for i in range(args.accounts)]
    s3.objects["runs/r/accounts.json"] = json.dumps([o["account"] for o in outputs]).encode()
    s3.objects["results/m/SUCCEEDED_0.json"] = json.dumps(
        [{"Input": json.dumps({"account": o["account"]}), "Output": json.dumps(o)}
         for o in outputs]).encode()
    s3.objects["results/m/manifest.json"] = json.dumps({"ResultFiles": {
        "SUCCEEDED": [{"Key": "results/m/SUCCEEDED_0.json"}], "FAILED": []}}).encode()
    event = {"runId": "r", "map": {"ResultWriterDetails": {"Key": "results/m/manifest.json"}}}
    org_run_optional = org_run._optional_json
    org_run._optional_json = lambda s, b, k: None  # type: ignore[assignment]  # no previous run
    tracemalloc.start()
    started = time.perf_counter()
    result = org_run.aggregate_handler(event, None, s3=s3, securityhub=_Sink(), sns=_Sink(),
                                       security_account="123456789012")
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    org_run._optional_json = org_run_optional
    size = sum(len(v) for k, v in s3.objects.items() if k.startswith("latest/report"))
    print(f"| {args.accounts} accounts | {seconds:.1f} s | peak {peak / 2**20:.0f} MiB | "
          f"reports {size / 2**20:.1f} MiB | {result['findingsToFix']} findings to fix |")
    waves = -(-args.accounts // args.concurrency)
    print(f"a {args.accounts}-account run at concurrency {args.concurrency}: {waves} waves of "
          f"{per_account:.1f} s, then the aggregation: about "
          f"{(waves * per_account + seconds) / 60:.1f} min (the 30-minute goal)")
    return 0


def _per_account(latency: float) -> float:
    """Seconds of one account's check at ``latency`` per call (the slowest persona: the
    healthy one reads every user), printing the calls and seconds of each persona."""
    import boto3
    from moto import mock_aws

    from constructs_lib.detective.runtime import org_check, org_run
    from tests import simulated_org

    class Context:
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:x"

    with mock_aws():
        org = simulated_org.build(len(simulated_org.PERSONAS))
        org.latency = latency
        base = boto3.Session(region_name="us-east-1")
        calls = [0]
        base.events.register("before-call", lambda **_: calls.__setitem__(0, calls[0] + 1))
        session_for = org.session_for(org_check.retrying_session_factory(base))
        sts = session_for(None).client("sts")
        slowest = 0.0
        for account, persona in org.personas.items():
            calls[0] = 0
            started = time.perf_counter()
            org_run.account_handler({"account": {"id": account, "name": persona, "ou": "x"}},
                                    Context(), sts=sts, session_for=session_for)  # fmt: skip
            seconds = time.perf_counter() - started
            slowest = max(slowest, seconds)
            print(f"| {persona} | {calls[0]} calls | {seconds * 1000:.0f} ms |")
    return slowest


if __name__ == "__main__":
    sys.exit(main())
