"""The aggregation step of the organization readiness run on synthetic results:
``python bench/org_run.py [--accounts 5000]``.

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
    args = parser.parse_args(argv)
    import os

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
    return 0


if __name__ == "__main__":
    sys.exit(main())
