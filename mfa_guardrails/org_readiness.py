"""Readiness at organization scale: ``python -m mfa_guardrails.org_readiness [--config FILE]``.

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
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from constructs_lib.detective.runtime.prerequisites import (
    EVENTS_REGION,
    AlertPath,
    PrerequisiteClients,
    all_pages,
    evaluate_prerequisites,
)
from constructs_lib.detective.runtime.readiness import (
    MFA_REQUIRED_GROUP,
    Clients,
    Finding,
    LockoutScope,
    Status,
    error_code,
    evaluate_account,
)
from constructs_lib.naming import READINESS_READER_ROLE_NAME
from mfa_guardrails.config import ConfigError, GuardrailsConfig, effective_context, load_config

EXIT_READY = 0
EXIT_NOT_READY = 1
EXIT_CANNOT_RUN = 2
EXIT_INTERRUPTED = 130
DEFAULT_CONCURRENCY = 32  # bench/org_readiness.py: 500 accounts in under a minute
MAX_ATTEMPTS = 8  # botocore adaptive retries: throttling is waited out, not reported
SESSION_NAME = "mfa-guardrails-readiness"


@dataclass(frozen=True)
class Account:
    """An active account of the organization and the OU path it sits in (``Root/Workloads``)."""

    id: str
    name: str
    ou: str


@dataclass(frozen=True)
class AccountResult:
    account: Account
    findings: tuple[Finding, ...]


@dataclass
class OrgReport:
    """What one run found: the accounts checked (in the order listed), and whether it stopped
    early. ``requested`` counts the accounts listed, ``accounts`` those actually checked."""

    generated_at: datetime
    report_account: str
    requested: int
    accounts: list[AccountResult] = field(default_factory=list)
    interrupted: bool = False


# ---------------------------------------------------------------------------------------------
# Which accounts
# ---------------------------------------------------------------------------------------------


def list_accounts(
    organizations: Any, *, ou_ids: Sequence[str] = (), account_ids: Sequence[str] = ()
) -> list[Account]:
    """Active accounts under the root (or ``ou_ids``, nested OUs included), with their OU path,
    sorted by OU path then id; ``account_ids`` keeps only those."""
    (root,) = organizations.list_roots()["Roots"]
    start = [(ou, ou) for ou in ou_ids] if ou_ids else [(root["Id"], "Root")]
    found: list[Account] = []
    while start:
        parent, path = start.pop()
        for account in all_pages(organizations.list_accounts_for_parent, "Accounts",
                              ParentId=parent):  # fmt: skip
            # Organizations replaces Status with State (2025): read whichever is there.
            if account.get("State", account.get("Status")) == "ACTIVE":
                found.append(Account(account["Id"], account.get("Name", ""), path))
        start += [(ou["Id"], f"{path}/{ou.get('Name', ou['Id'])}") for ou in all_pages(
            organizations.list_organizational_units_for_parent, "OrganizationalUnits",
            ParentId=parent,
        )]  # fmt: skip
    if account_ids:
        wanted = set(account_ids)
        found = [a for a in found if a.id in wanted]
    return sorted(found, key=lambda a: (a.ou, a.id))


# ---------------------------------------------------------------------------------------------
# One account
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checks:
    """What to check in every account (from the configuration)."""

    home_region: str
    lockout: LockoutScope
    require_operations_contact: bool = False
    require_hardware_root_mfa: bool = False

    @classmethod
    def from_config(cls, config: GuardrailsConfig) -> Checks:
        return cls(
            home_region=config.home_region,
            lockout=LockoutScope(
                group_names=(MFA_REQUIRED_GROUP, *config.attach_to_group_names),
                role_names=config.attach_to_role_names,
            ),
            require_operations_contact=config.require_operations_contact,
            require_hardware_root_mfa=config.require_hardware_root_mfa,
        )


SessionFactory = Callable[[Mapping[str, Any] | None], Any]
"""Builds a boto3 Session from assumed-role credentials (None: the report's own account)."""


class AccountSession:
    """The clients of one account, all made from one shared boto3 Session: its service models
    load once for the whole run (a boto3 Session per account would load them again, tens of
    milliseconds a client). ``credentials`` None: the shared session's own account."""

    def __init__(self, shared: Any, credentials: Mapping[str, Any] | None, config: Any,
                 lock: threading.Lock) -> None:  # fmt: skip
        self.shared, self.config, self.lock = shared, config, lock
        self.credentials = {} if credentials is None else {
            "aws_access_key_id": credentials["AccessKeyId"],
            "aws_secret_access_key": credentials["SecretAccessKey"],
            "aws_session_token": credentials.get("SessionToken") or None,
        }  # fmt: skip
        self.region_name = shared.region_name or EVENTS_REGION

    def client(self, service: str, region_name: str | None = None, **kwargs: Any) -> Any:
        with self.lock:  # client creation on a shared session is not thread-safe; calls are
            return self.shared.client(service, region_name=region_name or self.region_name,
                                      config=self.config, **self.credentials, **kwargs)


def retrying_session_factory(base: Any) -> SessionFactory:
    """Sessions whose clients retry throttling adaptively (botocore's client-side rate limiter
    plus backoff), so a throttled account slows down instead of failing."""
    from botocore.config import Config

    config = Config(retries={"mode": "adaptive", "max_attempts": MAX_ATTEMPTS})
    lock = threading.Lock()
    return lambda credentials: AccountSession(base, credentials, config, lock)


def _unreachable(account: Account, report_account: str, code: str) -> Finding:
    role = f"arn:aws:iam::{account.id}:role/{READINESS_READER_ROLE_NAME}"
    return Finding(
        check="reader-role",
        subject=f"account {account.id}",
        status=Status.INSUFFICIENT_DATA,
        fix=f"cannot assume {role} ({code}): the member StackSet has not reached this account "
        f"yet (or it sits outside the target OUs), or the role does not trust this caller in "
        f"{report_account}: run the report from the security account as a break-glass or admin "
        "principal (break-glass-principal-arns, admin-principal-arns), and deploy the member "
        "baseline to this account",
        headline="reader role not assumable",
    )


def check_account(
    account: Account,
    *,
    sts: Any,
    session_for: SessionFactory,
    report_account: str,
    checks: Checks,
) -> AccountResult:
    """Every readiness finding of one account; anything that goes wrong becomes a finding:
    the role not assumable, or the checks failing once in (a call the retries did not save)."""
    try:
        if account.id == report_account:
            session = session_for(None)
        else:
            credentials = sts.assume_role(
                RoleArn=f"arn:aws:iam::{account.id}:role/{READINESS_READER_ROLE_NAME}",
                RoleSessionName=SESSION_NAME,
            )["Credentials"]
            session = session_for(credentials)
    except Exception as error:  # one account never stops the report
        code = error_code(error)
        if code is not None:
            return AccountResult(account, (_unreachable(account, report_account, code),))
        return AccountResult(account, (_failed(account, error),))
    try:
        findings = evaluate_account(
            Clients.from_session(session, EVENTS_REGION),
            require_operations_contact=checks.require_operations_contact,
            require_hardware_root_mfa=checks.require_hardware_root_mfa,
            lockout=checks.lockout,
        )
        findings += evaluate_prerequisites(
            PrerequisiteClients.from_session(session, home_region=checks.home_region,
                                             rules_region=EVENTS_REGION, topic_region=None),
            AlertPath(),
        )  # fmt: skip
    except Exception as error:  # one account never stops the report
        return AccountResult(account, (_failed(account, error),))
    return AccountResult(account, tuple(findings))


def _failed(account: Account, error: Exception) -> Finding:
    reason = error_code(error) or f"{type(error).__name__}: {error}"
    return Finding(
        check="report-error", subject=f"account {account.id}",
        status=Status.INSUFFICIENT_DATA, headline="check failed",
        fix=f"the checks failed here ({reason}); run the report again (python -m "
        "mfa_guardrails.readiness in that account shows more)",
    )  # fmt: skip


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
        prog="python -m mfa_guardrails.org_readiness",
        description="Check, read-only, every account of the organization (or the chosen OUs or "
        "accounts) before enforcement: who would be locked out, recovery contacts, MFA, the "
        "alert path. Run from the security account.",
    )
    parser.add_argument("--config", type=Path, help="the configuration file (make CONFIG=…)")
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
    from mfa_guardrails import report_formats

    renderers = {"json": report_formats.to_json, "csv": report_formats.to_csv,
                 "sarif": report_formats.to_sarif, "html": report_formats.to_html}  # fmt: skip
    for kind, render in renderers.items():
        path: Path | None = getattr(args, kind)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render(report), encoding="utf-8")
            print(f"{kind.upper()} report written to {path}", file=out)


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

    from mfa_guardrails.report_formats import terminal_summary

    try:
        config = load_config(effective_context({}, args.config))
    except ConfigError as error:
        print(error, file=err)
        return EXIT_CANNOT_RUN
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
    checks = Checks.from_config(config)
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
