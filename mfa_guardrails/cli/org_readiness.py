"""Readiness at organization scale: ``mfa-guardrails org-readiness [--config FILE]``.

Run from the security account (the organization's delegated administrator, which may list the
accounts): it lists the active accounts of the organization, or of the chosen OUs (nested OUs
included) or accounts, assumes the read-only ``mfa-guardrails-readiness-reader`` role the member
StackSet and the management baseline put in each, and runs there the very checks of the
single-account report and the Config rule (``constructs_lib/detective/runtime``: contacts and the
recovery phone, root and users' MFA, who would be locked out under ``enforce``, the alert path's
trail and recorder). One implementation, so the three cannot disagree.

Accounts are checked concurrently (``--concurrency``, 32 by default) with botocore's adaptive
retries on throttling; an account whose role is missing or refuses this account, or whose calls
fail, is a finding for that account and never stops the run; Ctrl-C stops it and still writes
what was checked, marked partial. A progress bar on a terminal, plain lines otherwise (CI).

Outputs: a terminal summary always; ``--json``, ``--csv``, ``--sarif`` and ``--html`` files on
request (``mfa_guardrails/report_formats.py``). Exit code: 0 nothing to fix, 1 findings, 2 the
report could not run (no credentials, accounts not listable, bad configuration), 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from constructs_lib.detective.runtime.org_check import (
    Checks,
    SessionFactory,
    _unreachable,
    centralized_root_access,
    check_account,
    list_accounts,
    retrying_session_factory,
)
from constructs_lib.detective.runtime.org_report import Account, AccountResult, OrgReport
from constructs_lib.detective.runtime.prerequisites import EVENTS_REGION
from constructs_lib.detective.runtime.readiness import MFA_REQUIRED_GROUP, LockoutScope, error_code
from mfa_guardrails.cli.arguments import configuration
from mfa_guardrails.config import GuardrailsConfig

# The account check and the report's data model are runtime code the scheduled run in AWS
# packages too (constructs_lib/detective/runtime/org_check.py, org_report.py); they are
# re-exported here for the command's users.
__all__ = ["Account", "AccountResult", "Checks", "OrgReport", "SessionFactory", "_unreachable",
           "check_account", "checks_from_config", "list_accounts", "main",
           "retrying_session_factory", "run"]  # fmt: skip

EXIT_READY = 0
EXIT_NOT_READY = 1
EXIT_CANNOT_RUN = 2
EXIT_INTERRUPTED = 130
DEFAULT_CONCURRENCY = 32  # bench/org_readiness.py: 500 accounts in under a minute


def checks_from_config(config: GuardrailsConfig) -> Checks:
    """What to check in every account, from the configuration (the scheduled run in AWS gets the
    same values from its construct's environment)."""
    return Checks(
        home_region=config.home_region,
        lockout=LockoutScope(
            group_names=(MFA_REQUIRED_GROUP, *config.attach_to_group_names),
            role_names=config.attach_to_role_names,
        ),
        require_operations_contact=config.require_operations_contact,
        require_hardware_root_mfa=config.require_hardware_root_mfa,
        recovery_email_domains=config.recovery_email_domains,
    )


# ---------------------------------------------------------------------------------------------
# The run: bounded concurrency, progress, Ctrl-C
# ---------------------------------------------------------------------------------------------


class Progress:
    """A bar redrawn in place on a terminal; in CI, a plain line every tenth of the run."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total, self.stream, self.done = total, stream, 0
        self.tty = stream.isatty()
        self.started = time.perf_counter()
        self._decile = 0
        self._lock = threading.Lock()

    def advance(self) -> None:
        with self._lock:
            self.done += 1
            rate = self.done / max(time.perf_counter() - self.started, 1e-9)
            if self.tty:
                filled = 30 * self.done // max(self.total, 1)
                self.stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {self.done}/"
                                  f"{self.total} accounts, {rate:.1f}/s")  # fmt: skip
                if self.done == self.total:
                    self.stream.write("\n")
            elif (decile := 10 * self.done // max(self.total, 1)) > self._decile:
                self.stream.write(f"readiness: {self.done}/{self.total} accounts checked "
                                  f"({rate:.1f}/s)\n")  # fmt: skip
                self._decile = decile
            self.stream.flush()


def run(
    accounts: Sequence[Account],
    check: Callable[[Account], AccountResult],
    *,
    report_account: str,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: Progress | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> OrgReport:
    """Check ``accounts`` with at most ``concurrency`` in flight; Ctrl-C returns what is done."""
    report = OrgReport(generated_at=now(), report_account=report_account,
                       requested=len(accounts))  # fmt: skip
    pool = ThreadPoolExecutor(max_workers=max(concurrency, 1), thread_name_prefix="readiness")
    futures: dict[Future[AccountResult], Account] = {pool.submit(check, a): a for a in accounts}
    done: dict[str, AccountResult] = {}
    try:
        for future in as_completed(futures):
            result = future.result()
            done[result.account.id] = result
            if progress is not None:
                progress.advance()
    except KeyboardInterrupt:
        report.interrupted = True
        pool.shutdown(wait=False, cancel_futures=True)
    else:
        pool.shutdown()
    report.accounts = [done[a.id] for a in accounts if a.id in done]
    return report


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


def _ids(kind: str, prefixes: tuple[str, ...]) -> Callable[[str], list[str]]:
    def parse(value: str) -> list[str]:
        ids = [v for v in value.replace(",", " ").split() if v]
        bad = [v for v in ids if not v.startswith(prefixes)] if prefixes else [
            v for v in ids if not (len(v) == 12 and v.isdigit())]  # fmt: skip
        if bad:
            raise argparse.ArgumentTypeError(f"not {kind}: {', '.join(bad)}")
        return ids

    return parse


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="mfa-guardrails org-readiness",
        description="Check, read-only, every account of the organization (or the chosen OUs or "
        "accounts) before enforcement: who would be locked out, recovery contacts, MFA, the "
        "alert path. Run from the security account.",
    )
    parser.add_argument("--config", type=Path, help="the configuration file (make CONFIG=…)")
    parser.add_argument("--in-aws", action="store_true",
                        help="start the deployed run in the security account now, wait, and "
                        "say where its report is (make org-readiness IN_AWS=1)")
    parser.add_argument("--ou", dest="ou_ids", type=_ids("OU ids (ou-…, r-…)", ("ou-", "r-")),
                        action="extend", default=[], help="only these OUs (nested included)")
    parser.add_argument("--account", dest="account_ids", type=_ids("12-digit account ids", ()),
                        action="extend", default=[], help="only these accounts")
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY,
                        help=f"accounts checked at once (default {DEFAULT_CONCURRENCY})")
    for kind in ("json", "csv", "sarif", "html"):
        parser.add_argument(f"--{kind}", type=Path, metavar="FILE",
                            help=f"also write the report as {kind.upper()} to FILE")
    args = parser.parse_args(argv)  # fmt: skip
    if args.concurrency < 1:
        parser.error("--concurrency must be at least 1")
    return args


def write_outputs(report: OrgReport, args: argparse.Namespace, out: TextIO) -> None:
    from constructs_lib.detective.runtime import org_report as report_formats

    renderers = {"json": report_formats.to_json, "csv": report_formats.to_csv,
                 "sarif": report_formats.to_sarif, "html": report_formats.to_html}  # fmt: skip
    for kind, render in renderers.items():
        path: Path | None = getattr(args, kind)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render(report), encoding="utf-8")
            print(f"{kind.upper()} report written to {path}", file=out)


def _in_aws(session: Any, region: str, out: TextIO, err: TextIO) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    from mfa_guardrails.cli.org_run import run_in_aws

    try:
        if session is None:
            import boto3

            session = boto3.Session()
        return run_in_aws(session, region, out)
    except ClientError as error:
        print(f"mfa-guardrails org readiness: cannot start the run ({error_code(error)}): run it "
              "with the security account's credentials (states:StartExecution, "
              "states:DescribeExecution)", file=err)  # fmt: skip
    except BotoCoreError as error:
        print(f"mfa-guardrails org readiness: {error}. Sign in to the security account first",
              file=err)  # fmt: skip
    return EXIT_CANNOT_RUN


def exit_code(report: OrgReport) -> int:
    if report.interrupted:
        return EXIT_INTERRUPTED
    failed = any(f.failed for r in report.accounts for f in r.findings)
    return EXIT_NOT_READY if failed else EXIT_READY


def main(
    argv: Sequence[str] | None = None,
    *,
    session: Any = None,
    session_for: SessionFactory | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run the organization report. ``session`` is the report account's boto3 Session;
    ``session_for`` builds member sessions from assumed credentials (tests inject both)."""
    out, err = out or sys.stdout, err or sys.stderr
    args = parse_args(argv)
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    from constructs_lib.detective.runtime.org_report import terminal_summary

    config = configuration(args.config, err)
    if config is None:
        return EXIT_CANNOT_RUN
    if args.in_aws:
        return _in_aws(session, config.home_region, out, err)
    try:
        if session is None:
            import boto3

            session = boto3.Session()
        session_for = session_for or retrying_session_factory(session)
        own = session_for(None)
        sts = own.client("sts", region_name=EVENTS_REGION)
        caller = str(sts.get_caller_identity()["Account"])
        accounts = list_accounts(own.client("organizations", region_name=EVENTS_REGION),
                                 ou_ids=args.ou_ids, account_ids=args.account_ids)  # fmt: skip
    except NoCredentialsError:
        print("mfa-guardrails org readiness: no AWS credentials found. Sign in to the security "
              "account first (e.g. aws sso login --profile NAME, then AWS_PROFILE=NAME); the "
              "report only reads.", file=err)  # fmt: skip
        return EXIT_CANNOT_RUN
    except ClientError as error:
        print(f"mfa-guardrails org readiness: cannot list the organization's accounts "
              f"({error_code(error)}): run it from the management account or a delegated "
              "administrator (the security account).", file=err)  # fmt: skip
        return EXIT_CANNOT_RUN
    except BotoCoreError as error:
        print(f"mfa-guardrails org readiness: could not reach AWS: {error}", file=err)
        return EXIT_CANNOT_RUN
    if config.security_account_id and caller != config.security_account_id:
        print(f"note: the reader roles trust {config.security_account_id} "
              f"(security-account-id) only; from {caller} every other account will be "
              "unreachable.", file=err)  # fmt: skip
    # Each root's recovery path: centralized root access read once, for the whole report.
    checks = replace(checks_from_config(config), centralized_root=centralized_root_access(
        own.client("iam", region_name=EVENTS_REGION)))
    report = run(
        accounts,
        lambda account: check_account(account, sts=sts, session_for=session_for,
                                      report_account=caller, checks=checks),
        report_account=caller,
        concurrency=args.concurrency,
        progress=Progress(len(accounts), err),
    )  # fmt: skip
    print(terminal_summary(report), file=out)
    write_outputs(report, args, out)
    return exit_code(report)


if __name__ == "__main__":
    sys.exit(main())
