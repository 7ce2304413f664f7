"""The scheduled organization readiness run in AWS: the three Lambda functions of its Step Functions
state machine (``constructs_lib/org_readiness_run``).

* :func:`list_handler` lists the active accounts (the organization, or the configured OUs with the
  nested ones) and writes them as one JSON array to the run's bucket: the Distributed Map reads its
  items from there (5,000 accounts are ~400 KB, more than a state's 256 KB payload).
* :func:`account_handler` checks one account, exactly as the laptop command does
  (``org_check.check_account``: the reader role, the same checks, adaptive retries); whatever goes
  wrong in the account is a finding of that account. A malformed item is refused before any call.
* :func:`aggregate_handler` reads the map's result files (written by its result writer), turns each
  failed child (a crash, a timeout, a malformed item) and each listed account without a result
  into a finding of that account, renders the report in the CLI's four formats
  (``org_report.py``), imports the findings into Security Hub (stable ids; those fixed since the
  previous run archived), writes the per-account summary the Config rule evaluates from, and
  publishes one change alert for what is new since the previous run.

Standard library and boto3 only (the Lambda asset).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, replace
from datetime import UTC, datetime
from functools import cache
from typing import Any

if __package__:  # imported as constructs_lib.detective.runtime.org_run (tests, bench)
    from . import org_report
    from .handler import summarise
    from .org_check import (
        Checks,
        centralized_root_access,
        check_account,
        list_accounts,
        retrying_session_factory,
    )
    from .org_report import Account, AccountResult, OrgReport
    from .prerequisites import EVENTS_REGION
    from .readiness import Finding, LockoutScope, Status, worst
else:  # pragma: no cover - in Lambda the runtime folder is the code root
    import org_report  # type: ignore[import-not-found,no-redef]
    from handler import summarise  # type: ignore[import-not-found,no-redef]
    from org_check import (  # type: ignore[import-not-found,no-redef]
        Checks,
        centralized_root_access,
        check_account,
        list_accounts,
        retrying_session_factory,
    )
    from org_report import (  # type: ignore[import-not-found,no-redef,unused-ignore]
        Account,
        AccountResult,
        OrgReport,
    )
    from prerequisites import EVENTS_REGION  # type: ignore[import-not-found,no-redef]
    from readiness import (  # type: ignore[import-not-found,no-redef]
        Finding,
        LockoutScope,
        Status,
        worst,
    )

# Set by the construct.
BUCKET_ENV = "REPORT_BUCKET"
TARGET_OU_IDS_ENV = "TARGET_OU_IDS"  # space-separated; empty: the whole organization
LOCKOUT_GROUPS_ENV = "LOCKOUT_GROUP_NAMES"
LOCKOUT_ROLES_ENV = "LOCKOUT_ROLE_NAMES"
REQUIRE_OPERATIONS_ENV = "REQUIRE_OPERATIONS_CONTACT"
REQUIRE_HARDWARE_ENV = "REQUIRE_HARDWARE_ROOT_MFA"
# The organization's mail domains, space-separated (set, even empty: members' root e-mails are
# checked; public mail providers always count as outside).
RECOVERY_EMAIL_DOMAINS_ENV = "RECOVERY_EMAIL_DOMAINS"
HOME_REGION_ENV = "HOME_REGION"
ALERT_TOPIC_ENV = "ALERT_TOPIC_ARN"

RUNS_PREFIX = "runs/"
RESULTS_PREFIX = "results"  # the map's result writer prefix (under which it adds the map run id)
LATEST_PREFIX = "latest/"
ACCOUNTS_FILE = "accounts.json"
CONFIG_SUMMARY_KEY = f"{LATEST_PREFIX}config-evaluations.json"
"""Per account: the compliance and annotation the Config rule writes (handler.py reads it)."""
REPORT_KINDS = ("json", "csv", "sarif", "html")
CONTENT_TYPES = {"json": "application/json", "csv": "text/csv",
                 "sarif": "application/sarif+json", "html": "text/html; charset=utf-8"}  # fmt: skip
# A child's output must fit Step Functions' 256 KB payload; past this, the passing findings of an
# account (users with two devices…) are dropped from its result, the ones to fix always kept.
OUTPUT_BUDGET = 200_000
SECURITY_HUB_BATCH = 100  # BatchImportFindings: at most 100 findings per call
ALERT_ITEMS = 40  # lines of one change alert; the rest is in the report
_RUN_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_ACCOUNT_ID = re.compile(r"^\d{12}$")


class InvalidInputError(ValueError):
    """An input the state machine should never send; every problem is in the message."""


# ---------------------------------------------------------------------------------------------
# Findings and results as JSON (a child's output, the aggregation's input)
# ---------------------------------------------------------------------------------------------


def finding_to_json(finding: Finding) -> dict[str, Any]:
    return {key: (value.value if isinstance(value, Status) else value)
            for key, value in asdict(finding).items()}  # fmt: skip


def finding_from_json(raw: Mapping[str, Any]) -> Finding:
    return Finding(check=str(raw["check"]), subject=str(raw["subject"]),
                   status=Status(raw["status"]), fix=str(raw["fix"]),
                   headline=str(raw["headline"]), resource_type=str(raw["resource_type"]),
                   resource_id=raw.get("resource_id"))  # fmt: skip


def result_to_json(result: AccountResult, budget: int = OUTPUT_BUDGET) -> dict[str, Any]:
    """One account's result as the child's output, within ``budget`` bytes of JSON."""
    document: dict[str, Any] = {"account": asdict(result.account),
                                "findings": [finding_to_json(f) for f in result.findings]}
    if len(json.dumps(document)) > budget:
        kept = [f for f in result.findings if f.failed]
        document["findings"] = [finding_to_json(f) for f in kept]
        document["passingOmitted"] = len(result.findings) - len(kept)
    return document


def result_from_json(raw: Mapping[str, Any]) -> AccountResult:
    account = raw["account"]
    return AccountResult(Account(str(account["id"]), str(account["name"]), str(account["ou"])),
                         tuple(finding_from_json(f) for f in raw["findings"]))  # fmt: skip


def parse_account(raw: Any) -> Account:
    """A map item: ``{"id": 12 digits, "name": str, "ou": str}``, or raise naming the problem."""
    if not isinstance(raw, Mapping):
        raise InvalidInputError(f"item is {type(raw).__name__}, not an account object")
    problems = []
    if not isinstance(raw.get("id"), str) or not _ACCOUNT_ID.match(raw["id"]):
        problems.append(f"id = {raw.get('id')!r} is not a 12-digit account id")
    for key in ("name", "ou"):
        if not isinstance(raw.get(key), str):
            problems.append(f"{key} = {raw.get(key)!r} is not a string")
    if problems:
        raise InvalidInputError("not an account item: " + "; ".join(problems))
    return Account(raw["id"], raw["name"], raw["ou"])


def _run_id(event: Mapping[str, Any]) -> str:
    run_id = event.get("runId")
    if not isinstance(run_id, str) or not _RUN_ID.match(run_id):
        raise InvalidInputError(f"runId = {run_id!r} is not an execution name")
    return run_id


def checks_from_environment(environ: Mapping[str, str] = os.environ) -> Checks:
    """What to check in every account: the construct sets the configuration's values."""
    return Checks(
        home_region=environ.get(HOME_REGION_ENV, EVENTS_REGION),
        lockout=LockoutScope(
            group_names=tuple(environ.get(LOCKOUT_GROUPS_ENV, "MfaRequired").split()),
            role_names=tuple(environ.get(LOCKOUT_ROLES_ENV, "").split()),
        ),
        require_operations_contact=environ.get(REQUIRE_OPERATIONS_ENV) == "true",
        require_hardware_root_mfa=environ.get(REQUIRE_HARDWARE_ENV) == "true",
        recovery_email_domains=(tuple(environ[RECOVERY_EMAIL_DOMAINS_ENV].split())
                                if RECOVERY_EMAIL_DOMAINS_ENV in environ else None),
    )


# ---------------------------------------------------------------------------------------------
# AWS clients, created on first use (a malformed input fails before any of it is paid)
# ---------------------------------------------------------------------------------------------


@cache
def _session() -> Any:
    import boto3

    return boto3.Session()


def _client(service: str) -> Any:
    from botocore.config import Config

    return _session().client(service, config=Config(retries={"mode": "adaptive",
                                                               "max_attempts": 8}))  # fmt: skip


# ---------------------------------------------------------------------------------------------
# 1. List the accounts
# ---------------------------------------------------------------------------------------------


def list_handler(event: Any, _context: Any, *, organizations: Any = None,
                 s3: Any = None) -> dict[str, Any]:  # fmt: skip
    """Write the run's accounts to ``runs/<run id>/accounts.json``; return where, and how many."""
    run_id = _run_id(event if isinstance(event, Mapping) else {})
    bucket = os.environ[BUCKET_ENV]
    accounts = list_accounts(organizations or _client("organizations"),
                             ou_ids=os.environ.get(TARGET_OU_IDS_ENV, "").split())  # fmt: skip
    key = f"{RUNS_PREFIX}{run_id}/{ACCOUNTS_FILE}"
    (s3 or _client("s3")).put_object(
        Bucket=bucket, Key=key, ContentType="application/json",
        Body=json.dumps([asdict(a) for a in accounts]).encode())  # fmt: skip
    return {"runId": run_id, "bucket": bucket, "key": key, "count": len(accounts)}


# ---------------------------------------------------------------------------------------------
# 2. One account
# ---------------------------------------------------------------------------------------------


@cache
def _centralized_root() -> bool | None:
    """Centralized root access, read once per container (each root's recovery path)."""
    return centralized_root_access(_client("iam"))


def account_handler(event: Any, context: Any, *, sts: Any = None,
                    session_for: Any = None) -> dict[str, Any]:  # fmt: skip
    """Check the account of one map item through its reader role; the result is the output."""
    account = parse_account(event.get("account") if isinstance(event, Mapping) else event)
    # arn:aws:lambda:<region>:<security account>:function:<name>: where the run is, for the fix
    # of an account whose reader role does not trust it.
    caller = str(getattr(context, "invoked_function_arn", "::::?")).split(":")[4]
    checks = replace(checks_from_environment(), centralized_root=_centralized_root())
    result = check_account(account, sts=sts or _client("sts"),
                           session_for=session_for or retrying_session_factory(_session()),
                           report_account=caller, checks=checks,
                           own_account_directly=False)
    return result_to_json(result)  # fmt: skip


# ---------------------------------------------------------------------------------------------
# 3. Aggregate
# ---------------------------------------------------------------------------------------------


def _child_failed(account: Account, error: str, cause: str) -> Finding:
    return Finding(
        check="report-error", subject=f"account {account.id}",
        status=Status.INSUFFICIENT_DATA, headline="check failed",
        fix=f"the check of this account failed in the scheduled run ({error}: {cause[:300]}); "
        "it is retried at the next run; the function's logs (mfa-guardrails-org-readiness-"
        "account) show more",
    )  # fmt: skip


def _not_checked(account: Account) -> Finding:
    return Finding(
        check="report-error", subject=f"account {account.id}",
        status=Status.INSUFFICIENT_DATA, headline="not checked",
        fix="listed, but the run has no result for this account (the run was stopped or the map "
        "left it pending): start a run again (make org-readiness IN_AWS=1, or aws stepfunctions "
        "start-execution of the mfa-guardrails-org-readiness state machine)",
    )  # fmt: skip


def _json(s3: Any, bucket: str, key: str) -> Any:
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def _optional_json(s3: Any, bucket: str, key: str) -> Any:
    try:
        return _json(s3, bucket, key)
    except Exception as error:
        if getattr(error, "response", {}).get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise


def _entries(s3: Any, bucket: str, manifest: Mapping[str, Any],
             status: str) -> Iterator[dict[str, Any]]:  # fmt: skip
    for file in manifest.get("ResultFiles", {}).get(status, []):
        yield from _json(s3, bucket, file["Key"])


def _item_account(entry: Mapping[str, Any]) -> Account | None:
    """The account a child was started for, from its input (None: not an account item)."""
    try:
        item = json.loads(entry.get("Input") or "null")
        return parse_account(item.get("account") if isinstance(item, Mapping) else item)
    except (InvalidInputError, ValueError):
        return None


def collect(s3: Any, bucket: str, manifest_key: str,
            accounts: Sequence[Account]) -> tuple[list[AccountResult], int]:  # fmt: skip
    """Every listed account's result, in listed order: a child's output, a failed child as a
    finding, no result at all as a finding. Returns the results and the failed children."""
    manifest = _json(s3, bucket, manifest_key)
    found: dict[str, AccountResult] = {}
    for entry in _entries(s3, bucket, manifest, "SUCCEEDED"):
        try:
            result = result_from_json(json.loads(entry["Output"]))
        except (KeyError, TypeError, ValueError) as error:
            account = _item_account(entry)
            if account is not None:
                found[account.id] = AccountResult(account, (_child_failed(
                    account, "unreadable output", repr(error)),))  # fmt: skip
            continue
        found[result.account.id] = result
    failed = 0
    for entry in _entries(s3, bucket, manifest, "FAILED"):
        failed += 1
        account = _item_account(entry)
        if account is not None:
            found[account.id] = AccountResult(account, (_child_failed(
                account, str(entry.get("Error", "failed")), str(entry.get("Cause", ""))),))
    results = [found.get(a.id) or AccountResult(a, (_not_checked(a),)) for a in accounts]
    return results, failed  # fmt: skip


def config_summary(report: OrgReport) -> dict[str, Any]:
    """What the Config rule writes per account (handler.py): the worst status, the annotation."""
    return {
        "generatedAt": report.generated_at.isoformat(timespec="seconds"),
        "accounts": {r.account.id: {"status": worst(f.status for f in r.findings).value,
                                    "annotation": summarise(r.findings)}
                     for r in report.accounts},
    }  # fmt: skip


# --- Security Hub ----------------------------------------------------------------------------

_SEVERITY = {Status.NON_COMPLIANT.value: "MEDIUM", Status.INSUFFICIENT_DATA.value: "LOW"}
_COMPLIANCE = {Status.NON_COMPLIANT.value: "FAILED", Status.INSUFFICIENT_DATA.value: "WARNING"}


def asff(account: Mapping[str, Any], finding: Mapping[str, Any], *, region: str,
         security_account: str, now: str, active: bool) -> dict[str, Any]:  # fmt: skip
    """One report finding (its JSON form) in the AWS Security Finding Format.

    With the default product, BatchImportFindings takes findings of the caller's own account
    only: the finding is the security account's, about the member account named in Resources.
    The id is the report's stable id, so a re-run updates the finding; ``active=False`` archives
    it (fixed since the previous run)."""
    check, control = str(finding["check"]), finding.get("securityHubControl")
    title = f"{org_report.CHECK_TITLES.get(check, check)}: {finding['subject']} ({account['id']})"
    document: dict[str, Any] = {
        "SchemaVersion": "2018-10-08",
        "Id": f"mfa-guardrails/{finding['id']}",
        "ProductArn": f"arn:aws:securityhub:{region}:{security_account}:product/"
                      f"{security_account}/default",
        "GeneratorId": f"mfa-guardrails-readiness/{check}",
        "AwsAccountId": security_account,
        "Types": ["Software and Configuration Checks/AWS Security Best Practices"],
        "CreatedAt": now,
        "UpdatedAt": now,
        "Severity": {"Label": "HIGH" if finding.get("blocksEnforcement") else
                     _SEVERITY.get(str(finding["status"]), "INFORMATIONAL")},
        "Title": title[:256],
        "Description": str(finding["fix"])[:1024],
        "Remediation": {"Recommendation": {"Text": str(finding["fix"])[:512]}},
        "ProductFields": {"mfa-guardrails/account": str(account["id"]),
                          "mfa-guardrails/ou": str(account.get("ou", "")),
                          "mfa-guardrails/check": check},
        "Resources": [{"Type": "AwsAccount", "Id": f"AWS::::Account:{account['id']}",
                       "Partition": "aws", "Region": region}],
        "Compliance": {"Status": _COMPLIANCE.get(str(finding["status"]), "NOT_AVAILABLE")
                       if active else "PASSED"},
        "RecordState": "ACTIVE" if active else "ARCHIVED",
    }  # fmt: skip
    if control:
        document["ProductFields"]["mfa-guardrails/securityHubControl"] = str(control)
        document["Compliance"]["RelatedRequirements"] = [f"AWS Security Hub control {control}"]
    return document


def _failed_findings(document: Mapping[str, Any] | None) -> dict[str, tuple[dict[str, Any],
                                                                             dict[str, Any]]]:
    """Report JSON -> {finding id: (account, finding)} of the findings to fix."""
    if not document:
        return {}
    return {f["id"]: (a, f) for a in document.get("accounts", []) for f in a.get("findings", [])
            if f.get("status") in _COMPLIANCE}  # fmt: skip


def security_hub_findings(current: Mapping[str, Any], previous: Mapping[str, Any] | None, *,
                          region: str, security_account: str, now: str) -> list[dict[str, Any]]:
    """Every finding to fix now (ACTIVE), and every one of the previous run that is gone
    (ARCHIVED): a fixed problem leaves Security Hub's active findings at the next run."""
    now_failed = _failed_findings(current)
    gone = {k: v for k, v in _failed_findings(previous).items() if k not in now_failed}
    common = {"region": region, "security_account": security_account, "now": now}
    return ([asff(a, f, active=True, **common) for a, f in now_failed.values()]
            + [asff(a, f, active=False, **common) for a, f in gone.values()])  # fmt: skip


def import_findings(securityhub: Any, findings: Sequence[dict[str, Any]]) -> int:
    """BatchImportFindings, 100 a call; raise when Security Hub rejects any (the run fails and
    its alarm fires; the report is already written)."""
    rejected: list[Any] = []
    for start in range(0, len(findings), SECURITY_HUB_BATCH):
        response = securityhub.batch_import_findings(
            Findings=list(findings[start:start + SECURITY_HUB_BATCH]))
        rejected += response.get("FailedFindings") or []
    if rejected:
        raise RuntimeError(f"Security Hub rejected {len(rejected)} finding(s): {rejected[:3]!r}")
    return len(findings)


# --- Change alerts ---------------------------------------------------------------------------


def changes(current: Mapping[str, Any], previous: Mapping[str, Any] | None) -> list[str]:
    """What is new since the previous run and worth a message: a person who would now be locked
    out, an account that now blocks enforcement, a contact phone AWS can no longer call. Each
    line names the account and the fix. Unchanged findings are not repeated."""
    before = _failed_findings(previous)
    blocking_before = {a["id"] for a in (previous or {}).get("accounts", [])
                       if a.get("blocksEnforcement")}  # fmt: skip
    lines = []
    for account in current.get("accounts", []):
        where = f"{account['id']} ({account.get('name') or '?'}, {account.get('ou')})"
        if account.get("blocksEnforcement") and account["id"] not in blocking_before:
            lines.append(f"{where} now blocks enforcement: {account['blocksEnforcement']} "
                         "would be locked out")  # fmt: skip
        for finding in account.get("findings", []):
            if finding["id"] in before or finding.get("status") != Status.NON_COMPLIANT.value:
                continue
            if finding.get("blocksEnforcement"):
                lines.append(f"{where}: {finding['subject']} would be locked out. Fix: "
                             f"{finding['fix']}")  # fmt: skip
            elif finding["check"] == "contact-phone":
                lines.append(f"{where}: the recovery phone cannot be called. Fix: "
                             f"{finding['fix']}")  # fmt: skip
    return lines


def alert_message(lines: Sequence[str], report_uri: str) -> tuple[str, str]:
    """(subject, body) of the one change alert of a run."""
    shown = list(lines[:ALERT_ITEMS])
    if len(lines) > ALERT_ITEMS:
        shown.append(f"… and {len(lines) - ALERT_ITEMS} more: see the report")
    subject = f"mfa-guardrails readiness: {len(lines)} new finding(s) since the last run"
    body = "\n".join(["New since the previous organization readiness run:", "",
                      *(f"- {line}" for line in shown), "", f"Report: {report_uri}"])  # fmt: skip
    return subject[:100], body


# --- The step --------------------------------------------------------------------------------


def _manifest_key(event: Mapping[str, Any]) -> str:
    details = event.get("map", {}).get("ResultWriterDetails", {})
    key = details.get("Key") if isinstance(details, Mapping) else None
    if not isinstance(key, str) or not key.endswith("manifest.json"):
        raise InvalidInputError(f"map.ResultWriterDetails.Key = {key!r} is not a manifest")
    return key


class RunMostlyFailedError(RuntimeError):
    """More than half of a run's accounts failed: the run, not the accounts, is broken."""


def aggregate_handler(event: Any, _context: Any, *, s3: Any = None, securityhub: Any = None,
                      sns: Any = None, security_account: str | None = None,
                      now: datetime | None = None) -> dict[str, Any]:  # fmt: skip
    """Render, file and announce one run; return its totals (the state machine's output)."""
    if not isinstance(event, Mapping):
        raise InvalidInputError(f"event is {type(event).__name__}, not the run's state")
    run_id, manifest_key = _run_id(event), _manifest_key(event)
    bucket = os.environ[BUCKET_ENV]
    region = os.environ.get("AWS_REGION", EVENTS_REGION)
    s3 = s3 or _client("s3")
    if security_account is None:
        security_account = str(_client("sts").get_caller_identity()["Account"])
    accounts = [parse_account(a) for a in _json(s3, bucket,
                                                f"{RUNS_PREFIX}{run_id}/{ACCOUNTS_FILE}")]
    results, failed_children = collect(s3, bucket, manifest_key, accounts)
    report = OrgReport(generated_at=now or datetime.now(UTC), report_account=security_account,
                       requested=len(accounts), accounts=results)  # fmt: skip
    previous = _optional_json(s3, bucket, f"{LATEST_PREFIX}report.json")
    rendered = {kind: getattr(org_report, f"to_{kind}")(report) for kind in REPORT_KINDS}
    for prefix in (f"{RUNS_PREFIX}{run_id}/", LATEST_PREFIX):
        for kind, text in rendered.items():
            s3.put_object(Bucket=bucket, Key=f"{prefix}report.{kind}", Body=text.encode(),
                          ContentType=CONTENT_TYPES[kind])  # fmt: skip
    if failed_children * 2 > len(accounts):
        # Most children failed: the run itself is broken (a bad deploy, a missing permission).
        # The report says so, but Security Hub, the Config evaluations and the change alerts
        # keep the last good run's state, and the state machine fails: the operations alarm.
        raise RunMostlyFailedError(
            f"{failed_children} of {len(accounts)} accounts failed in run {run_id}: see "
            f"s3://{bucket}/{RUNS_PREFIX}{run_id}/report.html and the account function's logs")
    s3.put_object(Bucket=bucket, Key=CONFIG_SUMMARY_KEY, ContentType="application/json",
                  Body=json.dumps(config_summary(report)).encode())  # fmt: skip
    current = json.loads(rendered["json"])
    stamp = report.generated_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    imported = import_findings(securityhub or _client("securityhub"), security_hub_findings(
        current, previous, region=region, security_account=security_account, now=stamp))
    report_uri = f"s3://{bucket}/{RUNS_PREFIX}{run_id}/report.html"
    new = changes(current, previous)
    topic = os.environ.get(ALERT_TOPIC_ENV)
    if new and topic:
        subject, body = alert_message(new, report_uri)
        (sns or _client("sns")).publish(TopicArn=topic, Subject=subject, Message=body)
    totals = current["totals"]
    return {"runId": run_id, "report": report_uri, "accountsListed": len(accounts),
            "accountsChecked": len(results), "failedChildren": failed_children,
            "findingsToFix": totals["findingsToFix"], "lockedOut": totals["lockedOut"],
            "securityHubFindings": imported, "changeAlerts": len(new)}  # fmt: skip

