"""One account's readiness, read through the ``mfa-guardrails-readiness-reader`` role: the unit of
work of both the laptop command (``mfa_guardrails.cli.org_readiness``, a thread per account) and the
scheduled run in AWS (``org_run.py``, a Lambda invocation per account in a Distributed Map).

It assumes the reader role, runs the very checks of the single-account report and the Config rule
(``readiness.py``, ``prerequisites.py``) with botocore's adaptive retries on throttling, and turns
anything that goes wrong into a finding of that account: the role not assumable (missing, not
trusting the caller, the account gone from the organization), or the checks failing once in (a
call the retries did not save). Part of the Lambda asset: standard library and boto3 only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

if __package__:  # imported as constructs_lib.detective.runtime.org_check (CLI, tests)
    from .org_report import Account, AccountResult
    from .prerequisites import (
        EVENTS_REGION,
        AlertPath,
        PrerequisiteClients,
        all_pages,
        evaluate_prerequisites,
    )
    from .readiness import (
        Clients,
        Finding,
        LockoutScope,
        Status,
        check_primary_email,
        check_root_recovery_path,
        error_code,
        evaluate_account,
    )
else:  # pragma: no cover - in Lambda the runtime folder is the code root
    from org_report import Account, AccountResult  # type: ignore[import-not-found,no-redef]
    from prerequisites import (  # type: ignore[import-not-found,no-redef]
        EVENTS_REGION,
        AlertPath,
        PrerequisiteClients,
        all_pages,
        evaluate_prerequisites,
    )
    from readiness import (  # type: ignore[import-not-found,no-redef]
        Clients,
        Finding,
        LockoutScope,
        Status,
        check_primary_email,
        check_root_recovery_path,
        error_code,
        evaluate_account,
    )

# The reader role every account holds (constructs_lib/naming.py READINESS_READER_ROLE_NAME; the
# asset cannot import it, a test checks they agree).
READINESS_READER_ROLE_NAME = "mfa-guardrails-readiness-reader"
MAX_ATTEMPTS = 8  # botocore adaptive retries: throttling is waited out, not reported
SESSION_NAME = "mfa-guardrails-readiness"


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
    # The organization's mail domains (empty: public providers only); None: not checked.
    recovery_email_domains: tuple[str, ...] | None = None
    # Centralized root access (iam:ListOrganizationsFeatures) on or off; None: unknown, and
    # each root's recovery path is not reported.
    centralized_root: bool | None = None


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


ROOT_CREDENTIALS_FEATURE = "RootCredentialsManagement"


def centralized_root_access(iam: Any) -> bool | None:
    """Whether the organization manages member roots centrally (read from the management or
    IAM's delegated administrator); None when this account cannot tell."""
    try:
        features = iam.list_organizations_features().get("EnabledFeatures", [])
    except Exception:  # not the management or a delegated administrator, or not supported
        return None
    return ROOT_CREDENTIALS_FEATURE in features


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
    own_account_directly: bool = True,
) -> AccountResult:
    """Every readiness finding of one account; anything that goes wrong becomes a finding:
    the role not assumable, or the checks failing once in (a call the retries did not save).
    ``own_account_directly``: the report's own account is read with the caller's credentials
    (the laptop); False assumes the reader role there too (the run in AWS, whose function may
    only assume it)."""
    try:
        if own_account_directly and account.id == report_account:
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
        # A member's root e-mail is read from the report's own account (the management or
        # Account Management's delegated administrator): the first recovery factor.
        if checks.centralized_root is not None and account.id != report_account:
            findings.append(check_root_recovery_path(
                Clients.from_session(session, EVENTS_REGION).iam,
                centralized=checks.centralized_root, account_id=account.id))
        if checks.recovery_email_domains is not None and account.id != report_account:
            own = Clients.from_session(session_for(None), EVENTS_REGION).account
            findings.append(check_primary_email(own, account.id, checks.recovery_email_domains))
    except Exception as error:  # one account never stops the report
        return AccountResult(account, (_failed(account, error),))
    return AccountResult(account, tuple(findings))


def _failed(account: Account, error: Exception) -> Finding:
    reason = error_code(error) or f"{type(error).__name__}: {error}"
    return Finding(
        check="report-error", subject=f"account {account.id}",
        status=Status.INSUFFICIENT_DATA, headline="check failed",
        fix=f"the checks failed here ({reason}); run the report again (mfa-guardrails "
        "readiness in that account shows more)",
    )  # fmt: skip
