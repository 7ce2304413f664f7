"""The organization readiness report.

* On 57 simulated accounts in moto (``tests/org_scenario.py``, a background job), over three OUs
  with every finding kind, and accounts whose role refuses the report, is missing, or whose IAM
  throttles: each account gets exactly the findings its persona calls for, none is lost, one OU
  can be chosen, and Ctrl-C still leaves a (partial) report.
* Golden outputs of the four formats and the terminal summary, on a fixed report built with the
  real checks (``UPDATE_GOLDEN=1 pytest tests/test_org_readiness.py`` rewrites them).
* "Would be locked out" checked against the Force-MFA policy itself with the policy engine: a
  user the report calls safe can work from the CLI or the console; one it calls locked out
  cannot, whichever way he calls.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, NoCredentialsError

from constructs_lib.detective.runtime import org_report as report_formats
from constructs_lib.detective.runtime.readiness import (
    Finding,
    LockoutScope,
    Status,
    check_phone,
    check_role_lockout,
    check_root_hardware_mfa,
    check_root_mfa,
    check_root_recovery_path,
    check_user,
    check_user_lockout,
)
from mfa_guardrails.cli import org_readiness
from mfa_guardrails.cli.org_readiness import Account, AccountResult, OrgReport
from tests.policy.engine import Engine
from tests.policy.policies import PolicySet, Request
from tests.policy.principals import ARN, Principal
from tests.simulated_org import CONFIG_GROUP, CONFIG_ROLE

GOLDEN = Path(__file__).parent / "golden"
FIXED_NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SCOPE = LockoutScope(group_names=("MfaRequired", CONFIG_GROUP), role_names=(CONFIG_ROLE,),
                     now=FIXED_NOW)  # fmt: skip

# What each persona of tests/simulated_org.py must show: the (check, subject) findings to fix.
EXPECTED: dict[str, set[tuple[str, str]]] = {
    "healthy": set(),
    "locked-out-no-device": {("cli-lockout", "user bob")},
    "locked-out-security-key-only": {("cli-lockout", "user carol")},
    "locked-out-configured-group": {("cli-lockout", "user gina")},
    "configured-role-in-use": {("cli-lockout", f"role {CONFIG_ROLE}")},
    "console-without-mfa": {("user-mfa", "user dave")},
    "single-device": {("user-mfa", "user erin")},
    "stale-key": set(),
    "not-held": set(),
    "phone-trunk-prefix": {("contact-phone", "account")},
    "phone-without-plus": {("contact-phone", "account")},
    "phone-invalid": {("contact-phone", "account")},
    # ... and its root e-mail on a free mailbox (tests/simulated_org.py), read from the report's
    # account: the first recovery factor belongs to a person, not the organization.
    "no-security-contact": {("security-contact", "account"), ("primary-email", "account {id}")},
    "root-without-mfa": {("root-mfa", "root user")},
    "root-without-credentials": set(),
    "no-trail": {("cloudtrail-trail", "account")},
    "role-denies": {("reader-role", "account {id}")},
    "role-missing": {("reader-role", "account {id}")},
    "throttled": set(),  # the adaptive retries wait throttling out
}


# --- the simulated organization --------------------------------------------------------------


def _report(scenario: dict[str, Any], name: str = "report.json") -> dict[str, Any]:
    document: dict[str, Any] = json.loads((Path(scenario["outdir"]) / name).read_text())
    return document


def test_every_account_gets_exactly_its_personas_findings(org_scenario: dict[str, Any]) -> None:
    report = _report(org_scenario)
    personas = org_scenario["personas"]
    assert len(personas) >= 50
    assert org_scenario["whole"]["exit"] == org_readiness.EXIT_NOT_READY
    assert {a["id"] for a in report["accounts"]} == set(personas)  # none lost, none twice
    assert len(report["accounts"]) == len(personas)
    seen = set()
    for account in report["accounts"]:
        persona = personas[account["id"]]
        seen.add(persona)
        failed = {(f["check"], f["subject"]) for f in account["findings"]
                  if f["status"] != "COMPLIANT" and f["status"] != "NOT_APPLICABLE"}  # fmt: skip
        expected = {(check, subject.format(id=account["id"]))
                    for check, subject in EXPECTED[persona]}  # fmt: skip
        assert failed == expected, (persona, account["findings"])
        assert account["ou"] == org_scenario["ou_paths"][account["id"]]
        if persona not in {"role-denies", "role-missing"}:  # every check ran
            checks = {f["check"] for f in account["findings"]}
            assert {"contact-phone", "security-contact", "root-mfa", "cloudtrail-trail",
                    "config-recorder", "alert-rules", "cli-lockout"} <= checks  # fmt: skip
    assert seen == set(EXPECTED)


def test_totals_blockers_and_security_hub_controls(org_scenario: dict[str, Any]) -> None:
    report = _report(org_scenario)
    blocking = {"locked-out-no-device", "locked-out-security-key-only",
                "locked-out-configured-group", "configured-role-in-use"}  # fmt: skip
    personas = org_scenario["personas"]
    expected_blockers = {a for a, p in personas.items() if p in blocking}
    found = {a["id"] for a in report["accounts"] if a["blocksEnforcement"]}
    assert found == expected_blockers
    assert report["totals"]["lockedOut"] == len(expected_blockers)
    controls = {f["check"]: f["securityHubControl"] for a in report["accounts"]
                for f in a["findings"]}  # fmt: skip
    assert controls["user-mfa"] == "IAM.5"
    assert controls["cli-lockout"] == "IAM.19"
    assert controls["root-mfa"] == "IAM.9"
    assert controls["security-contact"] == "Account.1"
    assert controls["contact-phone"] is None
    assert any("Identity Center" in note for note in report["notes"])
    out = org_scenario["whole"]["stdout"]
    assert f"would be locked out under enforce: {len(expected_blockers)} in" in out
    assert "Accounts that block enforcement, first:" in out


def test_unreachable_accounts_are_findings_with_the_fix(org_scenario: dict[str, Any]) -> None:
    report = _report(org_scenario)
    personas = org_scenario["personas"]
    for account in report["accounts"]:
        if personas[account["id"]] in {"role-denies", "role-missing"}:
            (finding,) = account["findings"]
            assert finding["status"] == "INSUFFICIENT_DATA"
            assert "cannot assume arn:aws:iam::" in finding["fix"]
            assert ":role/mfa-guardrails-readiness-reader (AccessDenied)" in finding["fix"]
            assert "deploy the member baseline" in finding["fix"]


def test_the_four_files_hold_every_finding(org_scenario: dict[str, Any]) -> None:
    outdir = Path(org_scenario["outdir"])
    report = _report(org_scenario)
    findings = [f for a in report["accounts"] for f in a["findings"]]
    rows = list(csv.DictReader(io.StringIO((outdir / "report.csv").read_text())))
    assert [r["id"] for r in rows] == [f["id"] for f in findings]
    assert len({r["id"] for r in rows}) == len(rows)  # stable ids are unique
    sarif = json.loads((outdir / "report.sarif").read_text())
    failed = [f for f in findings if f["status"] in {"NON_COMPLIANT", "INSUFFICIENT_DATA"}]
    results = sarif["runs"][0]["results"]
    assert [r["partialFingerprints"]["findingId/v1"] for r in results] == [f["id"] for f in failed]
    page = (outdir / "report.html").read_text()
    assert "<script" not in page
    assert "http://" not in page
    assert "https://" not in page  # self-contained: nothing fetched
    assert page.count("<svg") == 2
    stderr = org_scenario["whole"]["stderr"]
    assert f"readiness: {len(report['accounts'])}/{len(report['accounts'])} accounts checked" in (
        stderr)  # plain progress lines in CI


def test_one_ou_nested_ous_included(org_scenario: dict[str, Any]) -> None:
    run = org_scenario["one_ou"]
    expected = {a for a, path in org_scenario["ou_paths"].items()
                if path == run["ou"] or path.startswith(run["ou"] + "/")}  # fmt: skip
    assert set(run["accounts"]) == expected
    assert any(org_scenario["ou_paths"][a].endswith("/Prod") for a in expected)  # nested


def test_ctrl_c_leaves_a_partial_report(org_scenario: dict[str, Any]) -> None:
    run = org_scenario["interrupted"]
    assert run["exit"] == org_readiness.EXIT_INTERRUPTED
    report = _report(org_scenario, "partial.json")
    assert report["interrupted"] is True
    assert report["totals"]["accountsChecked"] == 5
    assert report["totals"]["accountsListed"] == len(org_scenario["personas"])
    assert "INTERRUPTED: partial report" in run["stdout"]


# --- the command without AWS ------------------------------------------------------------------


def test_bad_ids_are_refused_with_the_expected_form(capsys: pytest.CaptureFixture[str]) -> None:
    for argv, says in ((["--ou", "workloads"], "not OU ids (ou-…, r-…): workloads"),
                       (["--account", "12345"], "not 12-digit account ids: 12345"),
                       (["--concurrency", "0"], "--concurrency must be at least 1")):  # fmt: skip
        with pytest.raises(SystemExit):
            org_readiness.parse_args(argv)
        assert says in capsys.readouterr().err


def test_no_credentials_is_exit_2_with_what_to_do() -> None:
    class NoCredentials:
        region_name = "us-east-1"

        def client(self, *_: Any, **__: Any) -> Any:
            raise NoCredentialsError

    err = io.StringIO()
    code = org_readiness.main([], session=NoCredentials(), session_for=lambda _: NoCredentials(),
                              out=io.StringIO(), err=err)  # fmt: skip
    assert code == org_readiness.EXIT_CANNOT_RUN
    assert "Sign in to the security account first" in err.getvalue()


def test_an_unexpected_error_in_one_account_is_a_finding_not_a_crash() -> None:
    class BrokenSts:
        def assume_role(self, **_: Any) -> Any:
            raise RuntimeError("boom")

    result = org_readiness.check_account(
        Account("333333333333", "x", "Root"), sts=BrokenSts(), session_for=lambda _: None,
        report_account="222222222222",
        checks=org_readiness.Checks(home_region="us-east-1", lockout=SCOPE),
    )  # fmt: skip
    (finding,) = result.findings
    assert (finding.check, finding.status) == ("report-error", Status.INSUFFICIENT_DATA)
    assert "RuntimeError: boom" in finding.fix


def test_a_failure_after_the_role_was_assumed_is_not_called_unreachable() -> None:
    """Throttling the retries did not save, once inside: the checks failed, the role is fine."""

    class Sts:
        def assume_role(self, **_: Any) -> Any:
            return {"Credentials": {"AccessKeyId": "A", "SecretAccessKey": "S",
                                    "SessionToken": "T"}}  # fmt: skip

    class Throttled:
        region_name = "us-east-1"

        def client(self, *_: Any, **__: Any) -> Any:
            raise ClientError({"Error": {"Code": "Throttling"}}, "GetAccountSummary")

    result = org_readiness.check_account(
        Account("333333333333", "x", "Root"), sts=Sts(), session_for=lambda _: Throttled(),
        report_account="222222222222",
        checks=org_readiness.Checks(home_region="us-east-1", lockout=SCOPE),
    )  # fmt: skip
    (finding,) = result.findings
    assert (finding.check, finding.status) == ("report-error", Status.INSUFFICIENT_DATA)
    assert "the checks failed here (Throttling)" in finding.fix


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_progress_is_a_bar_on_a_terminal_and_lines_in_ci() -> None:
    terminal, ci = _Stream(True), _Stream(False)
    for stream in (terminal, ci):
        progress = org_readiness.Progress(20, stream)
        for _ in range(20):
            progress.advance()
    assert terminal.getvalue().count("\r[") == 20
    last = terminal.getvalue().rsplit("\r", 1)[1]
    assert last.startswith(f"[{'#' * 30}] 20/20 accounts, ")
    assert last.endswith("/s\n")
    lines = ci.getvalue().splitlines()
    assert "\r" not in ci.getvalue()
    assert len(lines) == 10
    assert lines[-1].startswith("readiness: 20/20 accounts checked")


# --- golden outputs ---------------------------------------------------------------------------


class _Iam:
    """Canned IAM answers for one subject of the fixed report."""

    def __init__(self, *, groups: tuple[str, ...] = (), key_days: int | None = None,
                 devices: tuple[str, ...] = (), role_days: int | None = None,
                 summary: dict[str, int] | None = None, console: bool = True) -> None:  # fmt: skip
        self.groups, self.key_days, self.devices = groups, key_days, devices
        self.role_days, self.summary, self.console = role_days, summary or {}, console

    def list_groups_for_user(self, **_: Any) -> dict[str, Any]:
        return {"Groups": [{"GroupName": g} for g in self.groups]}

    def list_access_keys(self, **_: Any) -> dict[str, Any]:
        keys = [{"AccessKeyId": "AKIAEXAMPLE", "Status": "Active"}]
        return {"AccessKeyMetadata": keys if self.key_days is not None else []}

    def get_access_key_last_used(self, **_: Any) -> dict[str, Any]:
        assert self.key_days is not None
        return {"AccessKeyLastUsed": {"LastUsedDate": FIXED_NOW - timedelta(days=self.key_days)}}

    def list_mfa_devices(self, **_: Any) -> dict[str, Any]:
        return {"MFADevices": [{"SerialNumber": s} for s in self.devices]}

    def get_login_profile(self, **_: Any) -> dict[str, Any]:
        if not self.console:
            raise ClientError({"Error": {"Code": "NoSuchEntity"}}, "GetLoginProfile")
        return {}

    def get_role(self, **_: Any) -> dict[str, Any]:
        used = {} if self.role_days is None else {
            "LastUsedDate": FIXED_NOW - timedelta(days=self.role_days)}  # fmt: skip
        return {"Role": {"RoleLastUsed": used}}

    def get_account_summary(self, **_: Any) -> dict[str, Any]:
        return {"SummaryMap": self.summary}

    def list_virtual_mfa_devices(self, **request: Any) -> dict[str, Any]:
        """Two pages: a user's virtual device, then root's when its devices say so."""
        if "Marker" not in request:
            return {"VirtualMFADevices": [{"User": {"Arn": f"{ARN}:user/alice"}}],
                    "IsTruncated": True, "Marker": "m"}  # fmt: skip
        root = [{"User": {"Arn": f"{ARN}:root"}}] if "virtual-root" in self.devices else []
        return {"VirtualMFADevices": root, "IsTruncated": False}


def _lockout(iam: _Iam, name: str) -> Finding:
    found = check_user_lockout(iam, {"UserName": name}, SCOPE)  # type: ignore[arg-type]
    assert found is not None
    return found


def fixed_report() -> OrgReport:
    """Four accounts in three OUs and the report's own, with the real checks' findings."""
    fido = "arn:aws:iam::444444444444:u2f/user/carol/key-1"
    totp = "arn:aws:iam::555555555555:mfa/alice"
    accounts = [
        (Account("222222222222", "security", "Root"), [
            check_phone("+44 20 7946 0958"),
            check_root_mfa(_Iam(summary={"AccountMFAEnabled": 1})),  # type: ignore[arg-type]
            check_root_hardware_mfa(_Iam(devices=("virtual-root",))),  # type: ignore[arg-type]
            _lockout(_Iam(groups=("MfaRequired",), key_days=1, devices=(totp,)), "alice"),
        ]),
        (Account("333333333333", "payments-prod", "Root/Workloads/Prod"), [
            check_phone("+44 (0)20 7946 0958"),
            _lockout(_Iam(groups=("MfaRequired",), key_days=3), "bob"),
            _lockout(_Iam(groups=("MfaRequired",), key_days=10, devices=(fido, fido)), "carol"),
            check_role_lockout(_Iam(role_days=5), CONFIG_ROLE, SCOPE),  # type: ignore[arg-type]
        ]),
        (Account("444444444444", "data-dev", "Root/Workloads"), [
            check_phone("020 7946 0958"),
            check_user(_Iam(), {"UserName": "dave", "UserId": "AIDADAVE"}),  # type: ignore[arg-type]
            check_root_mfa(_Iam(summary={"AccountMFAEnabled": 0, "AccountPasswordPresent": 1,
                                         "AccountAccessKeysPresent": 0})),  # type: ignore[arg-type]
        ]),
        (Account("555555555555", "sandbox-7", "Root/Sandbox"), [
            org_readiness._unreachable(Account("555555555555", "sandbox-7", "Root/Sandbox"),
                                       "222222222222", "AccessDenied"),
        ]),
    ]  # fmt: skip
    return OrgReport(
        generated_at=FIXED_NOW, report_account="222222222222", requested=4,
        accounts=[AccountResult(a, tuple(f)) for a, f in accounts],
    )  # fmt: skip


RENDERERS: dict[str, Callable[[OrgReport], str]] = {
    "txt": report_formats.terminal_summary, "json": report_formats.to_json,
    "csv": report_formats.to_csv, "sarif": report_formats.to_sarif,
    "html": report_formats.to_html,
}  # fmt: skip


@pytest.mark.parametrize("kind", list(RENDERERS))
def test_golden_output(kind: str) -> None:
    rendered = RENDERERS[kind](fixed_report())
    path = GOLDEN / f"org_report.{kind}"
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(rendered + ("\n" if kind == "txt" else ""), encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    assert rendered + ("\n" if kind == "txt" else "") == expected, (
        f"{path} differs: check the change, then UPDATE_GOLDEN=1 to rewrite it")


def test_an_interrupted_report_says_so_everywhere() -> None:
    report = fixed_report()
    report.interrupted = True
    assert "INTERRUPTED" in report_formats.terminal_summary(report)
    assert json.loads(report_formats.to_json(report))["interrupted"] is True
    assert json.loads(report_formats.to_sarif(report))["runs"][0]["properties"]["interrupted"]
    assert "partial report" in report_formats.to_html(report)


def test_run_returns_what_was_checked_when_interrupted() -> None:
    accounts = [Account(f"{n:012d}", f"a{n}", "Root") for n in range(1, 6)]

    def check(account: Account) -> AccountResult:
        if account.id.endswith("3"):
            raise KeyboardInterrupt
        return AccountResult(account, ())

    report = org_readiness.run(accounts, check, report_account="x", concurrency=1)
    assert report.interrupted
    assert [r.account.id for r in report.accounts] == ["000000000001", "000000000002"]
    assert org_readiness.exit_code(report) == org_readiness.EXIT_INTERRUPTED


def test_root_hardware_mfa_finds_a_virtual_root_device_on_any_page() -> None:
    virtual = check_root_hardware_mfa(_Iam(devices=("virtual-root",)))  # type: ignore[arg-type]
    assert (virtual.status, virtual.headline) == (Status.NON_COMPLIANT, "root MFA is virtual")
    assert check_root_hardware_mfa(_Iam()).status is Status.COMPLIANT  # type: ignore[arg-type]

    class Denied(_Iam):
        def list_virtual_mfa_devices(self, **_: Any) -> dict[str, Any]:
            raise ClientError({"Error": {"Code": "AccessDenied"}}, "ListVirtualMFADevices")

    denied = check_root_hardware_mfa(Denied())  # type: ignore[arg-type]
    assert denied.status is Status.INSUFFICIENT_DATA
    assert "needs iam:ListVirtualMFADevices" in denied.fix


# --- "would be locked out", proven with the policy engine -------------------------------------

# (label, Force-MFA holds the user, days since a key was used or None, devices) -> the report
STATES = (
    ("totp-and-recent-keys", True, 3, ("totp",)),
    ("security-keys-only-recent-keys", True, 3, ("fido",)),
    ("no-device-recent-keys", True, 3, ()),
    ("security-keys-only-stale-keys", True, 200, ("fido",)),
    ("no-device-no-keys", True, None, ()),
    ("not-held-recent-keys", False, 3, ()),
)


def _can_work(engine: Engine, policies: PolicySet, user: Principal, devices: tuple[str, ...],
              uses_keys: bool) -> bool:  # fmt: skip
    """Whether some way in gives this user working calls under enforce, without changing how he
    works. From the CLI (he uses access keys): the keys themselves (MFA absent), or
    sts:GetSessionToken then its session, whose MFA is true only with a TOTP code. From the
    console: MFA true with any device; without one, enrol one first (MFA false), then sign in
    with it."""
    work = Request("s3:ListAllMyBuckets")
    ways: list[list[tuple[Principal, Request]]] = []
    if uses_keys:
        keys = user.with_mfa(None)
        ways.append([(keys, work)])
        session_mfa = "true" if "totp" in devices else "false"
        ways.append([(keys, Request("sts:GetSessionToken")), (user.with_mfa(session_mfa), work)])
    elif devices:
        ways.append([(user.with_mfa("true"), work)])
    else:
        console = user.with_mfa("false")
        ways.append([(console, Request("iam:CreateVirtualMFADevice", f"{ARN}:mfa/u")),
                     (console, Request("iam:EnableMFADevice", user.arn)),
                     (user.with_mfa("true"), work)])  # fmt: skip
    decided = engine.evaluate([policies.simulation(p, r) for way in ways for p, r in way])
    starts = [sum(len(w) for w in ways[:index]) for index in range(len(ways))]
    return any(all(decided[start:start + len(way)]) for start, way in zip(starts, ways,
                                                                           strict=True))


def test_whom_the_report_calls_safe_can_work_and_no_one_else(
    engine: Engine, policies: PolicySet
) -> None:
    for label, held, key_days, devices in STATES:
        serials = tuple(f"{ARN}:u2f/user/u/k" if d == "fido" else f"{ARN}:mfa/u" for d in devices)
        iam = _Iam(groups=("MfaRequired",) if held else (), key_days=key_days, devices=serials)
        finding = check_user_lockout(iam, {"UserName": "u"}, SCOPE)  # type: ignore[arg-type]
        locked_out = finding is not None and finding.status is Status.NON_COMPLIANT
        user = Principal(label, f"{ARN}:user/u", "user", username="u", force_mfa=held)
        # The report counts only recent key use; stale keys mean the console is the way in.
        recent = key_days is not None and key_days <= SCOPE.recent_days
        works = _can_work(engine, policies, user, devices, uses_keys=recent)
        assert works is not locked_out, (label, finding)


def test_a_configured_role_used_recently_needs_mfa_sessions(
    engine: Engine, policies: PolicySet
) -> None:
    finding = check_role_lockout(_Iam(role_days=5), CONFIG_ROLE, SCOPE)  # type: ignore[arg-type]
    assert finding.status is Status.NON_COMPLIANT
    role = Principal("configured-role", f"{ARN}:role/{CONFIG_ROLE}", "role", force_mfa=True)
    work = Request("s3:ListAllMyBuckets")
    without, absent, with_mfa = engine.evaluate([
        policies.simulation(role.with_mfa("false"), work),
        policies.simulation(role.with_mfa(None), work),
        policies.simulation(role.with_mfa("true"), work),
    ])  # fmt: skip
    assert (without, absent, with_mfa) == (False, False, True)
    unused = check_role_lockout(_Iam(role_days=400), CONFIG_ROLE, SCOPE)  # type: ignore[arg-type]
    assert unused.status is Status.COMPLIANT


def test_a_member_named_like_a_formula_stays_text_in_the_csv() -> None:
    """An account name is whatever a member's admin set (account:PutAccountName): a spreadsheet
    must not run it when the security team opens the report."""
    report = fixed_report()
    (first, *rest) = report.accounts
    renamed = AccountResult(Account(first.account.id, '=HYPERLINK("https://evil.test","fix")',
                                    first.account.ou), first.findings)  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(report_formats.to_csv(
        OrgReport(generated_at=report.generated_at, report_account=report.report_account,
                  requested=report.requested, accounts=[renamed, *rest])))))
    names = {row["account_name"] for row in rows if row["account_id"] == first.account.id}
    assert names == {'\'=HYPERLINK("https://evil.test","fix")'}


# --- each root's recovery path under centralized root access -----------------------------------


@pytest.mark.parametrize(("centralized", "summary", "status", "says"), [
    (True, {"AccountPasswordPresent": 1, "AccountAccessKeysPresent": 0, "AccountMFAEnabled": 1},
     "NON_COMPLIANT", "yet root still holds a password, an MFA device: delete them"),
    (True, {"AccountPasswordPresent": 0, "AccountAccessKeysPresent": 0, "AccountMFAEnabled": 0},
     "COMPLIANT", "centralized (sts:AssumeRoot"),
    (True, {}, "NON_COMPLIANT", "a password, access keys, an MFA device"),  # unknown: held
    (False, {"AccountMFAEnabled": 1}, "COMPLIANT", "the owner only"),
])  # fmt: skip
def test_each_root_says_how_it_recovers(
    centralized: bool, summary: dict[str, int], status: str, says: str
) -> None:
    finding = check_root_recovery_path(_Iam(summary=summary), centralized=centralized,  # type: ignore[arg-type]
                                       account_id="444444444444")  # fmt: skip
    assert finding.status == status
    assert says in finding.fix
    if status == "NON_COMPLIANT":
        assert "recover root --account-id 444444444444 --delete-credentials" in finding.fix


@pytest.mark.parametrize(("answer", "expected"), [
    ({"OrganizationId": "o-a1b2c3d4e5", "EnabledFeatures": ["RootCredentialsManagement"]}, True),
    ({"OrganizationId": "o-a1b2c3d4e5", "EnabledFeatures": ["RootSessions"]}, False),
    (None, None),  # not the management account or IAM's delegated administrator
])  # fmt: skip
def test_centralized_root_access_is_read_once_for_the_report(
    answer: dict[str, Any] | None, expected: bool | None
) -> None:
    import boto3
    from botocore.stub import Stubber

    from constructs_lib.detective.runtime.org_check import centralized_root_access

    iam = boto3.client("iam", region_name="us-east-1", aws_access_key_id="x",
                       aws_secret_access_key="x")  # fmt: skip
    with Stubber(iam) as stub:
        if answer is None:
            stub.add_client_error("list_organizations_features", "AccessDenied")
        else:
            stub.add_response("list_organizations_features", answer)
        assert centralized_root_access(iam) is expected


def test_a_root_left_with_credentials_is_in_every_format() -> None:
    report = fixed_report()
    (first, *rest) = report.accounts
    left = check_root_recovery_path(
        _Iam(summary={"AccountPasswordPresent": 1, "AccountAccessKeysPresent": 1,  # type: ignore[arg-type]
                      "AccountMFAEnabled": 1}),
        centralized=True, account_id=first.account.id)  # fmt: skip
    with_root = OrgReport(generated_at=report.generated_at, report_account=report.report_account,
                          requested=report.requested,
                          accounts=[AccountResult(first.account, (*first.findings, left)), *rest])
    for kind, render in RENDERERS.items():
        text = render(with_root)
        assert "root-recovery" in text or "Root credentials left" in text, kind
