"""The organization readiness report: its data model (the accounts listed and what each showed)
and its renderings: a terminal summary, JSON, CSV (one row per finding), SARIF 2.1.0 for code
scanning, and one self-contained HTML page a manager can open offline (inline CSS and SVG charts,
no script, nothing fetched).

One implementation for the laptop command (``mfa-guardrails org-readiness``) and the scheduled run
in AWS (``org_run.py``, the aggregation step): the same accounts render the same bytes in both.
Part of the Lambda asset: standard library only.

Every finding has a stable id (``<account>/<check>/<subject>``: the same problem keeps its id from
run to run, so code scanning, spreadsheets and Security Hub can follow it) and, where one exists,
the Security Hub control it corresponds to. Output depends only on the report: the same report
renders the same bytes (the golden tests rely on it).
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

if __package__:  # imported as constructs_lib.detective.runtime.org_report (CLI, tests)
    from .readiness import Finding, Status, worst
else:  # pragma: no cover - in Lambda the runtime folder is the code root
    from readiness import Finding, Status, worst  # type: ignore[import-not-found,no-redef]


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

# Security Hub (CSPM) controls a check corresponds to: IAM.5 "MFA should be enabled for all IAM
# users that have a console password", IAM.19 "MFA should be enabled for all IAM users", IAM.9
# "MFA should be enabled for the root user", IAM.6 "Hardware MFA should be enabled for the root
# user", Account.1 "Security contact information should be provided for an AWS account".
SECURITY_HUB_CONTROLS = {
    "user-mfa": "IAM.5",
    "cli-lockout": "IAM.19",
    "root-mfa": "IAM.9",
    "root-hardware-mfa": "IAM.6",
    "security-contact": "Account.1",
}
CHECK_TITLES = {
    "cli-lockout": "Would be locked out under enforce",
    "user-mfa": "Console user without MFA, or with one device",
    "root-mfa": "Root user without MFA",
    "root-hardware-mfa": "Root user without hardware MFA",
    "contact-phone": "Recovery phone AWS cannot call",
    "security-contact": "No security alternate contact",
    "operations-contact": "No operations alternate contact",
    "primary-email": "Root e-mail outside the organization",
    "root-recovery": "Root credentials left under centralized root access",
    "cloudtrail-trail": "No logging trail for the alerts",
    "config-recorder": "No recording Config recorder",
    "alert-rules": "mfa-guardrails rules disabled or missing",
    "reader-role": "Account not reachable by the report",
    "report-error": "Checks failed in the account",
}
NOTES = (
    "IAM Identity Center users' MFA devices have no public API: this report does not see them. "
    "Check them in the IAM Identity Center console (Users, MFA devices).",
    "A root user's MFA devices can be counted only when signed in as root: register several "
    "(up to eight) so that losing one does not start account recovery.",
    "Would be locked out: an IAM user in MfaRequired or a configured group whose access key was "
    "used in the last 90 days and who has no TOTP device (security keys and passkeys work in "
    "the console only), or a configured role used in the last 90 days.",
)
_SLUG = re.compile(r"[^A-Za-z0-9._@+=-]+")


def finding_id(account: str, finding: Finding) -> str:
    """Stable across runs: account, check and subject (``user alice`` becomes ``user:alice``)."""
    return f"{account}/{finding.check}/{_SLUG.sub(':', finding.subject)}"


def blocks_enforcement(finding: Finding) -> bool:
    """Somebody would be locked out if ``enforce`` were on today."""
    return finding.check == "cli-lockout" and finding.status is Status.NON_COMPLIANT


def _rows(report: OrgReport) -> Iterable[tuple[AccountResult, Finding]]:
    for result in report.accounts:
        for finding in result.findings:
            yield result, finding


def _blocking(result: AccountResult) -> int:
    return sum(blocks_enforcement(f) for f in result.findings)


def _failed(result: AccountResult) -> int:
    return sum(f.failed for f in result.findings)


def blockers_first(report: OrgReport) -> list[AccountResult]:
    """Accounts with somebody who would be locked out, most first (then most findings)."""
    return sorted((r for r in report.accounts if _blocking(r)),
                  key=lambda r: (-_blocking(r), -_failed(r), r.account.id))  # fmt: skip


def totals(report: OrgReport) -> dict[str, Any]:
    failed = [f for _, f in _rows(report) if f.failed]
    return {
        "accountsListed": report.requested,
        "accountsChecked": len(report.accounts),
        "accountsBlockingEnforcement": sum(1 for r in report.accounts if _blocking(r)),
        "lockedOut": sum(blocks_enforcement(f) for f in failed),
        "findingsToFix": len(failed),
        "byStatus": dict(sorted(Counter(f.status.value for f in failed).items())),
        "byCheck": dict(sorted(Counter(f.check for f in failed).items())),
    }


# ---------------------------------------------------------------------------------------------
# Terminal
# ---------------------------------------------------------------------------------------------


def terminal_summary(report: OrgReport, limit: int = 10) -> str:
    total = totals(report)
    when = report.generated_at.strftime("%Y-%m-%d %H:%M UTC")
    partial = " (INTERRUPTED: partial report)" if report.interrupted else ""
    lines = [
        f"Readiness of {total['accountsChecked']} of {total['accountsListed']} account(s), "
        f"read from {report.report_account}, {when}{partial}",
        f"  would be locked out under enforce: {total['lockedOut']} in "
        f"{total['accountsBlockingEnforcement']} account(s)",
        f"  findings to fix: {total['findingsToFix']}",
    ]
    if total["byCheck"]:
        lines.append("By check:")
        for check, count in sorted(total["byCheck"].items(), key=lambda kv: (-kv[1], kv[0])):
            control = SECURITY_HUB_CONTROLS.get(check, "")
            lines.append(f"  {count:5d}  {check:<20} {control}".rstrip())
    blockers = blockers_first(report)
    if blockers:
        lines.append("Accounts that block enforcement, first:")
        for result in blockers[:limit]:
            account = result.account
            lines.append(f"  {account.id}  {account.name[:24]:<24} {account.ou[:32]:<32} "
                         f"{_blocking(result)} locked out")  # fmt: skip
        if len(blockers) > limit:
            lines.append(f"  … and {len(blockers) - limit} more (see the JSON/CSV/HTML report)")
    lines.append(f"Not seen: {NOTES[0]}")
    verdict = worst(f.status for _, f in _rows(report)).value if report.accounts else "NONE"
    lines.append(f"{verdict}: " + ("ready to enforce" if not total["findingsToFix"]
                                   else "fix the findings above before enforce"))  # fmt: skip
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# JSON and CSV
# ---------------------------------------------------------------------------------------------


def _finding(account: str, finding: Finding) -> dict[str, Any]:
    return {
        "id": finding_id(account, finding),
        "check": finding.check,
        "subject": finding.subject,
        "status": finding.status.value,
        "securityHubControl": SECURITY_HUB_CONTROLS.get(finding.check),
        "blocksEnforcement": blocks_enforcement(finding),
        "fix": finding.fix,
    }


def to_json(report: OrgReport) -> str:
    document = {
        "generatedAt": report.generated_at.isoformat(timespec="seconds"),
        "reportAccount": report.report_account,
        "interrupted": report.interrupted,
        "totals": totals(report),
        "notes": list(NOTES),
        "accounts": [
            {
                "id": r.account.id,
                "name": r.account.name,
                "ou": r.account.ou,
                "status": worst(f.status for f in r.findings).value,
                "blocksEnforcement": _blocking(r),
                "findings": [_finding(r.account.id, f) for f in r.findings],
            }
            for r in report.accounts
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


CSV_COLUMNS = ("id", "account_id", "account_name", "ou", "check", "subject", "status",
               "security_hub_control", "blocks_enforcement", "fix")  # fmt: skip


# A cell a spreadsheet would run as a formula: an account name is whatever a member's admin
# set (account:PutAccountName), and the report is opened by the security team.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def to_csv(report: OrgReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for result, finding in _rows(report):
        account = result.account
        writer.writerow([_cell(str(value)) for value in (
            finding_id(account.id, finding), account.id, account.name, account.ou,
            finding.check, finding.subject, finding.status.value,
            SECURITY_HUB_CONTROLS.get(finding.check, ""),
            str(blocks_enforcement(finding)).lower(), finding.fix)])  # fmt: skip
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# SARIF
# ---------------------------------------------------------------------------------------------


def to_sarif(report: OrgReport) -> str:
    """SARIF 2.1.0: one rule per check, one result per finding to fix, located in its account
    (a logical location: there is no source file), with the stable id as fingerprint."""
    failed = [(r, f) for r, f in _rows(report) if f.failed]
    rules = []
    for check in sorted({f.check for _, f in failed}):
        rule: dict[str, Any] = {"id": check, "shortDescription": {
            "text": CHECK_TITLES.get(check, check)}}  # fmt: skip
        if check in SECURITY_HUB_CONTROLS:
            rule["properties"] = {"securityHubControl": SECURITY_HUB_CONTROLS[check]}
        rules.append(rule)
    results = [
        {
            "ruleId": f.check,
            "level": "error" if f.status is Status.NON_COMPLIANT else "warning",
            "message": {"text": f"{r.account.id} ({r.account.name}), {f.subject}: {f.fix}"},
            "locations": [{"logicalLocations": [{
                "fullyQualifiedName": f"{r.account.ou}/{r.account.id}/{f.subject}",
                "kind": "resource",
            }]}],
            "partialFingerprints": {"findingId/v1": finding_id(r.account.id, f)},
        }
        for r, f in failed
    ]  # fmt: skip
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "mfa-guardrails-readiness", "rules": rules}},
            "results": results,
            "properties": {"interrupted": report.interrupted,
                           "generatedAt": report.generated_at.isoformat(timespec="seconds")},
        }],
    }  # fmt: skip
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------

_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:
72rem;padding:0 1rem;color:#1b1f23}h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
.cards{display:flex;gap:1rem;flex-wrap:wrap}.card{border:1px solid #d0d7de;border-radius:6px;
padding:.75rem 1rem;min-width:10rem}.card b{display:block;font-size:1.6rem}.bad b{color:#b42318}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #d0d7de;padding:.35rem
.5rem;text-align:left;vertical-align:top}th{background:#f6f8fa}.NON_COMPLIANT{color:#b42318;
font-weight:600}.INSUFFICIENT_DATA{color:#9a6700;font-weight:600}.note{color:#57606a}
svg text{font:12px system-ui,sans-serif}details{margin:.4rem 0}summary{cursor:pointer}
"""


def _bar_chart(title: str, counts: list[tuple[str, int]]) -> str:
    """A horizontal bar chart as inline SVG (no script: it prints and opens offline)."""
    if not counts:
        return f"<p class=note>{html.escape(title)}: nothing to show.</p>"
    height, label_width, bar_width = 22, 260, 420
    top = max(count for _, count in counts)
    bars = []
    for index, (label, count) in enumerate(counts):
        y = index * height
        width = max(2, round(bar_width * count / top))
        bars.append(
            f'<text x="{label_width - 6}" y="{y + 15}" text-anchor="end">'
            f"{html.escape(label[:40])}</text>"
            f'<rect x="{label_width}" y="{y + 4}" width="{width}" height="{height - 8}" '
            f'fill="#b42318"/><text x="{label_width + width + 6}" y="{y + 15}">{count}</text>'
        )
    total_height = height * len(counts)
    return (f'<figure><figcaption>{html.escape(title)}</figcaption><svg role="img" '
            f'aria-label="{html.escape(title)}" width="{label_width + bar_width + 60}" '
            f'height="{total_height}" viewBox="0 0 {label_width + bar_width + 60} '
            f'{total_height}">{"".join(bars)}</svg></figure>')  # fmt: skip


def to_html(report: OrgReport) -> str:
    total = totals(report)
    e = html.escape
    by_ou = Counter(r.account.ou for r, f in _rows(report) if f.failed)
    by_check = Counter(CHECK_TITLES.get(f.check, f.check) for _, f in _rows(report) if f.failed)
    cards = [
        ("accounts checked", f"{total['accountsChecked']} / {total['accountsListed']}", False),
        ("would be locked out", str(total["lockedOut"]), total["lockedOut"] > 0),
        ("accounts blocking enforce", str(total["accountsBlockingEnforcement"]),
         total["accountsBlockingEnforcement"] > 0),
        ("findings to fix", str(total["findingsToFix"]), total["findingsToFix"] > 0),
    ]  # fmt: skip
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        "<title>mfa-guardrails readiness report</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>MFA readiness of the organization</h1>",
        f"<p class=note>Read from account {e(report.report_account)} on "
        f"{e(report.generated_at.strftime('%Y-%m-%d %H:%M UTC'))}."
        + (" <b>Interrupted: this is a partial report.</b>" if report.interrupted else "")
        + "</p>",
        '<div class="cards">' + "".join(
            f'<div class="card{" bad" if bad else ""}"><b>{e(value)}</b>{e(label)}</div>'
            for label, value, bad in cards) + "</div>",
        "<h2>Findings to fix per OU</h2>",
        _bar_chart("findings to fix per OU", sorted(by_ou.items(), key=lambda kv: (-kv[1], kv[0]))),
        "<h2>Findings to fix per kind</h2>",
        _bar_chart("findings to fix per kind",
                   sorted(by_check.items(), key=lambda kv: (-kv[1], kv[0]))),
        "<h2>Accounts that block enforcement, first</h2>",
    ]  # fmt: skip
    blockers = blockers_first(report)
    if blockers:
        parts.append("<table><tr><th>account</th><th>name</th><th>OU</th><th>would be locked "
                     "out</th><th>findings to fix</th></tr>")  # fmt: skip
        parts += [f"<tr><td>{e(r.account.id)}</td><td>{e(r.account.name)}</td>"
                  f"<td>{e(r.account.ou)}</td><td>{_blocking(r)}</td><td>{_failed(r)}</td></tr>"
                  for r in blockers]  # fmt: skip
        parts.append("</table>")
    else:
        parts.append("<p>Nobody would be locked out: enforcement can be switched on.</p>")
    parts.append("<h2>Every finding, with its fix</h2>")
    for result in sorted(report.accounts, key=lambda r: (-_blocking(r), -_failed(r),
                                                         r.account.id)):  # fmt: skip
        failed = [f for f in result.findings if f.failed]
        account = result.account
        parts.append(f"<details{' open' if _blocking(result) else ''}><summary>"
                     f"{e(account.id)} {e(account.name)} ({e(account.ou)}): "
                     f"{len(failed)} to fix</summary>")  # fmt: skip
        if failed:
            parts.append("<table><tr><th>status</th><th>check</th><th>subject</th>"
                         "<th>Security Hub</th><th>fix</th></tr>")  # fmt: skip
            parts += [f"<tr><td class={f.status.value}>{e(f.status.value)}</td>"
                      f"<td>{e(f.check)}</td><td>{e(f.subject)}</td>"
                      f"<td>{e(SECURITY_HUB_CONTROLS.get(f.check, ''))}</td>"
                      f"<td>{e(f.fix)}</td></tr>" for f in failed]  # fmt: skip
            parts.append("</table>")
        parts.append("</details>")
    parts.append("<h2>What this report cannot see</h2><ul>")
    parts += [f"<li>{e(note)}</li>" for note in NOTES]
    parts.append("</ul></body></html>")
    return "\n".join(parts) + "\n"
