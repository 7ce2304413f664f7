"""How fast the organization readiness report checks accounts: ``python bench/org_readiness.py``.

A simulated organization (``tests/simulated_org.py``: every persona of the report, the throttled
accounts included) of ``--accounts`` accounts in moto, with ``--latency`` seconds added to every
AWS call (50 ms: a round trip to an AWS endpoint from a laptop; moto itself answers in ~5 ms).
For each ``--concurrency`` it runs the real report (``check_account`` over ``run``) and prints
accounts per second, the calls it made, and the projection for 500 and 2,000 accounts.

The figure is conservative: moto answers in this process, so its CPU time competes with the
report's threads for one interpreter, which real AWS endpoints do not.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added per call")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 32])
    args = parser.parse_args(argv)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                      AWS_DEFAULT_REGION="us-east-1")  # fmt: skip
    import boto3
    from moto import mock_aws

    from mfa_guardrails.cli import org_readiness
    from mfa_guardrails.config import load_config
    from tests import simulated_org

    print("| accounts | latency per call | concurrency | seconds | accounts/s | calls/account "
          "| 500 accounts | 2,000 accounts |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for concurrency in args.concurrency:
        with mock_aws():
            org = simulated_org.build(args.accounts)
            base = boto3.Session(region_name="us-east-1")
            calls = _count_calls(base)
            session_for = org.session_for(org_readiness.retrying_session_factory(base))
            own = session_for(None)
            accounts = org_readiness.list_accounts(own.client("organizations"))
            sts = own.client("sts")
            checks = org_readiness.checks_from_config(load_config(simulated_org.CONFIG))
            org.latency = args.latency
            calls[0] = 0  # the listing is not per account
            started = time.perf_counter()
            check = partial(org_readiness.check_account, sts=sts, session_for=session_for,
                            report_account=simulated_org.SECURITY_ACCOUNT, checks=checks)
            report = org_readiness.run(accounts, check, concurrency=concurrency,
                                       report_account=simulated_org.SECURITY_ACCOUNT)
            seconds = time.perf_counter() - started
        rate = len(report.accounts) / seconds
        print(f"| {len(report.accounts)} | {args.latency * 1000:.0f} ms | {concurrency} | "
              f"{seconds:.1f} | {rate:.1f} | {calls[0] / len(report.accounts):.1f} | "
              f"{500 / rate:.0f} s | {2000 / rate / 60:.1f} min |")  # fmt: skip
    return 0


def _count_calls(session: object) -> list[int]:
    """Count every AWS call the report's clients send (a hook on the shared session)."""
    counter = [0]

    def count(**_: object) -> None:
        counter[0] += 1

    session.events.register("before-send", count)  # type: ignore[attr-defined]
    return counter


if __name__ == "__main__":
    sys.exit(main())
