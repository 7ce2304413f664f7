"""``mfa-guardrails org-readiness --in-aws``: the scheduled organization readiness run, started now.

Starts the security account's state machine (``mfa-guardrails-org-readiness``, deployed by the
security stack) with the caller's credentials, waits with a progress line, and says where the
report is (``s3://mfa-guardrails-org-readiness-<account>-<region>/runs/<run>/``; ``latest/`` holds
the newest). The laptop mode (without ``--in-aws``) stays for before anything is deployed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TextIO

from constructs_lib.detective.runtime.org_run import REPORT_KINDS, RUNS_PREFIX
from constructs_lib.naming import ORG_READINESS_RUN_NAME

EXIT_DONE, EXIT_FAILED, EXIT_CANNOT_RUN = 0, 1, 2
POLL_SECONDS = 10.0


def run_in_aws(
    session: Any, region: str, out: TextIO, *, poll_seconds: float = POLL_SECONDS,
    sleep: Callable[[float], None] = time.sleep, now: Callable[[], float] = time.monotonic,
) -> int:  # fmt: skip
    """Start one run, wait for it, print where its report is. 0: the run finished (its report
    says what it found); 1: the run failed or was stopped; 2: it could not start."""
    account = str(session.client("sts", region_name=region).get_caller_identity()["Account"])
    machine = f"arn:aws:states:{region}:{account}:stateMachine:{ORG_READINESS_RUN_NAME}"
    states = session.client("stepfunctions", region_name=region)
    name = "on-demand-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    try:
        execution = states.start_execution(stateMachineArn=machine, name=name)["executionArn"]
    except states.exceptions.StateMachineDoesNotExist:
        print(f"cannot run: no {ORG_READINESS_RUN_NAME} state machine in {account} {region}. "
              "Fix: deploy the security stack (make deploy), then run this with the security "
              "account's credentials in the home region", file=out)  # fmt: skip
        return EXIT_CANNOT_RUN
    started = now()
    while True:
        status = states.describe_execution(executionArn=execution)["status"]
        print(f"run {name}: {status.lower()} after {now() - started:.0f} s", file=out, flush=True)
        if status != "RUNNING":
            break
        sleep(poll_seconds)
    bucket = f"{ORG_READINESS_RUN_NAME}-{account}-{region}"
    if status != "SUCCEEDED":
        print(f"the run ended {status}: see its execution in the Step Functions console "
              f"({execution}); the operations topic got the alarm", file=out)  # fmt: skip
        return EXIT_FAILED
    where = f"s3://{bucket}/{RUNS_PREFIX}{name}/"
    print(f"report: {where}report.{{{','.join(REPORT_KINDS)}}} (the newest is always under "
          f"s3://{bucket}/latest/); findings are in Security Hub too", file=out)  # fmt: skip
    return EXIT_DONE
