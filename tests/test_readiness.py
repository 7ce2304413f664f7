"""The recovery-readiness checks (constructs_lib.detective.runtime.readiness) and the CLI.

IAM (users, login profiles, MFA devices, account summary) and the Account API's alternate contacts
run against moto. Two gaps in moto 5.2.5 are filled, each in one place below:

* ``account:GetContactInformation`` is not implemented (moto answers 404 "Not yet implemented"),
  so :class:`AwsAccount` answers it from a botocore ``Stubber`` on a second, real account client
  (the Stubber also validates our request, e.g. ``AccountId``, against the botocore model);
* moto's GetAccountSummary has no ``AccountPasswordPresent`` and always reports root MFA off, so
  :func:`moto_clients` adds the key to moto's ``AccountSummary`` model and :func:`root_summary`
  sets the root user's state.

Denied calls are real ``ClientError``s: the Stubber's ``add_client_error`` for the Account API,
and a botocore ``before-call`` hook on the moto IAM client for IAM.
"""

from __future__ import annotations

import io
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import boto3
import phonenumbers
import pytest
from botocore.exceptions import ClientError, NoCredentialsError
from botocore.stub import Stubber
from hypothesis import assume, given
from hypothesis import strategies as st
from moto import mock_aws
from moto.iam.models import AccessKeyLastUsed, AccountSummary, iam_backends

from constructs_lib.detective.runtime.readiness import (
    Clients,
    Finding,
    Status,
    check_phone,
    check_primary_email,
    check_users,
    evaluate_account,
    mask_phone,
    normalise_phone,
    worst,
)
from mfa_guardrails.cli import readiness as cli

ACCOUNT = "123456789012"  # moto's default account
MEMBER = "210987654321"
GOOD_PHONE = "+1 (415) 555-0100"


# ---------------------------------------------------------------------------------------------
# A moto account, plus the Stubber-answered GetContactInformation
# ---------------------------------------------------------------------------------------------


class AccountApi:
    """The ``account`` client the checks see: moto's for alternate contacts, a stubbed real
    client for GetContactInformation and GetPrimaryEmail (moto 5.2.5 implements neither)."""

    def __init__(self, moto_client: Any, stubbed_client: Any) -> None:
        self.moto = moto_client
        self.stubbed = stubbed_client

    def get_alternate_contact(self, **kwargs: Any) -> Any:
        return self.moto.get_alternate_contact(**kwargs)

    def get_contact_information(self, **kwargs: Any) -> Any:
        return self.stubbed.get_contact_information(**kwargs)

    def get_primary_email(self, **kwargs: Any) -> Any:
        return self.stubbed.get_primary_email(**kwargs)


@dataclass(frozen=True)
class MotoClients:
    """Clients created once per module (client creation is most of a test's cost); moto 5
    intercepts every botocore client while a mock is active, whenever it was created."""

    mock: Any
    iam: Any
    account_moto: Any
    account_stubbed: Any


@contextmanager
def moto_clients() -> Iterator[MotoClients]:
    with pytest.MonkeyPatch.context() as env:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            env.delenv(name, raising=False)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        # moto's GetAccountSummary lacks AccountPasswordPresent: add it (see root_summary).
        original = vars(AccountSummary)["summary_map"].fget

        def summary_map(self: Any) -> dict[str, Any]:
            password = getattr(self, "_root_password_present", 1)
            return {**original(self), "AccountPasswordPresent": password}

        env.setattr(AccountSummary, "summary_map", property(summary_map))
        with mock_aws() as mock:
            yield MotoClients(
                mock=mock,
                iam=boto3.client("iam", region_name="us-east-1"),
                account_moto=boto3.client("account", region_name="us-east-1"),
                account_stubbed=boto3.client("account", region_name="us-east-1"),
            )


class AwsAccount:
    """Builds the state of one fresh moto account on the shared clients; :meth:`close` undoes
    the Stubber and the denial hooks so the next test starts clean."""

    def __init__(self, shared: MotoClients) -> None:
        shared.mock.reset()  # every moto backend back to empty
        root_summary(mfa=True)
        self.iam = shared.iam
        self.account_moto = shared.account_moto
        self.account_stubbed = shared.account_stubbed
        self.stubber = Stubber(self.account_stubbed)
        self.stubber.activate()
        self.hooks: list[tuple[str, Any]] = []
        self.clients = Clients(
            account=AccountApi(self.account_moto, self.account_stubbed), iam=self.iam
        )

    def close(self) -> None:
        self.stubber.deactivate()
        for event, hook in self.hooks:
            self.iam.meta.events.unregister(event, hook)

    def hook(self, event: str, hook: Any) -> None:
        self.iam.meta.events.register(event, hook)
        self.hooks.append((event, hook))

    def phone(self, number: str | None, account_id: str | None = None) -> AwsAccount:
        info = {
            "FullName": "Example Corp",
            "AddressLine1": "1 Main St",
            "City": "Seattle",
            "CountryCode": "US",
            "PostalCode": "98101",
            "PhoneNumber": number or " ",
        }
        self.stubber.add_response(
            "get_contact_information",
            {"ContactInformation": info},
            {"AccountId": account_id} if account_id else {},
        )
        return self

    def deny_contact_information(self) -> AwsAccount:
        self.stubber.add_client_error(
            "get_contact_information",
            service_error_code="AccessDeniedException",
            service_message="User is not authorized to perform: account:GetContactInformation",
            http_status_code=403,
        )
        return self

    def contact(self, contact_type: str, account_id: str | None = None) -> AwsAccount:
        self.account_moto.put_alternate_contact(
            AlternateContactType=contact_type,
            EmailAddress=f"{contact_type.lower()}@example.com",
            Name="Team",
            PhoneNumber="+14155550100",
            Title="Lead",
            **({"AccountId": account_id} if account_id else {}),
        )
        return self

    def user(self, name: str, *, console: bool = True, devices: int = 0) -> AwsAccount:
        self.iam.create_user(UserName=name)
        if console:
            self.iam.create_login_profile(UserName=name, Password="Correct-Horse-9!")
        for index in range(devices):
            serial = self.iam.create_virtual_mfa_device(VirtualMFADeviceName=f"{name}-{index}")[
                "VirtualMFADevice"
            ]["SerialNumber"]
            self.iam.enable_mfa_device(
                UserName=name,
                SerialNumber=serial,
                AuthenticationCode1="123456",
                AuthenticationCode2="654321",
            )
        return self

    def deny_iam(self, operation: str) -> AwsAccount:
        """Every ``operation`` call on the IAM client raises AccessDenied, as IAM would."""

        def denied(**_: Any) -> None:
            raise ClientError(
                {"Error": {"Code": "AccessDenied", "Message": "not authorized"}}, operation
            )

        self.hook(f"before-call.iam.{operation}", denied)
        return self

    def evaluate(self, **kwargs: Any) -> dict[str, Finding]:
        findings = evaluate_account(self.clients, **kwargs)
        self.stubber.assert_no_pending_responses()
        return {f"{f.check}:{f.subject}": f for f in findings}


def root_summary(*, mfa: bool, password: bool = True, keys: bool = False) -> None:
    """Set the root user's state in moto's account summary (see module docstring)."""
    summary: Any = iam_backends[ACCOUNT]["aws"].account_summary
    summary._account_mfa_enabled = int(mfa)
    summary._account_access_keys_present = int(keys)
    summary._root_password_present = int(password)  # read by moto_clients' summary_map


@pytest.fixture(scope="module")
def shared() -> Iterator[MotoClients]:
    with moto_clients() as clients:
        yield clients


@pytest.fixture
def aws(shared: MotoClients) -> Iterator[AwsAccount]:
    account = AwsAccount(shared)
    yield account
    account.close()


def ready(aws: AwsAccount) -> AwsAccount:
    """A recovery-ready account: E.164 phone, SECURITY contact, root MFA, two-device user."""
    return aws.phone(GOOD_PHONE).contact("SECURITY").user("alice", devices=2)


# ---------------------------------------------------------------------------------------------
# Phone number: pure functions
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("+1 (415) 555-0100", "+14155550100"),
        ("+44 20.7946.0958", "+442079460958"),
        ("\t+49-30 1234567 ", "+49301234567"),
    ],
)
def test_normalise_phone_drops_separators_aws_accepts(raw: str, normalised: str) -> None:
    assert normalise_phone(raw) == normalised


@pytest.mark.parametrize(
    ("phone", "status", "says"),
    [
        ("+14155550100", Status.COMPLIANT, "E.164"),
        ("+44 20 7946 0958", Status.COMPLIANT, "E.164"),  # spaces are fine once normalised
        ("415 555 0100", Status.NON_COMPLIANT, 'lacks its "+" country code'),
        ("0044 20 7946 0958", Status.NON_COMPLIANT, "replace 00 with +"),
        ("+1234567890123456", Status.NON_COMPLIANT, "has 16 digits; E.164 allows at most 15"),
        # Well-formed, but not a number of its country (phonenumbers): the call cannot reach it.
        ("+123456789012345", Status.NON_COMPLIANT, "not a valid number for +1 (US)"),
        ("+44 20 7946 095", Status.NON_COMPLIANT, "not a valid number for +44 (GB)"),
        ("+44 (0)20 7946 0958", Status.NON_COMPLIANT, "keeps the national trunk prefix 0"),
        ("+39 06 6988 4646", Status.COMPLIANT, "E.164"),  # Italy keeps its leading 0
        ("+020 7946 0958", Status.NON_COMPLIANT, "no country code starts with 0"),
        ("+1 415 555 0100 x12", Status.NON_COMPLIANT, "keep digits only"),
        ("+1 555", Status.NON_COMPLIANT, "full international number"),
        ("", Status.NON_COMPLIANT, "no primary contact phone"),
        (None, Status.NON_COMPLIANT, "no primary contact phone"),
    ],
)
def test_check_phone(phone: str | None, status: Status, says: str) -> None:
    finding = check_phone(phone)
    assert finding.status is status
    assert says in finding.fix
    if status is Status.NON_COMPLIANT:
        assert "Account > Contact information" in finding.fix  # every fix says where


def test_phone_is_masked_in_findings() -> None:
    assert mask_phone("+1 (415) 555-0100") == "+1 (41*) ***-**00"
    assert "777" not in check_phone("415 777 0123").fix


@given(
    region=st.sampled_from(sorted(phonenumbers.SUPPORTED_REGIONS)),
    separators=st.lists(st.sampled_from([" ", "-", "(", ")", "."]), max_size=6),
)
def test_any_valid_number_with_aws_separators_passes(region: str, separators: list[str]) -> None:
    """Every country's example number, written with the separators AWS accepts, passes."""
    example = phonenumbers.example_number(region)
    assume(example is not None)
    assert example is not None
    digits = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)[1:]
    phone = "+" + "".join(
        ch + (separators[i] if i < len(separators) else "") for i, ch in enumerate(digits)
    )
    assert check_phone(phone).status is Status.COMPLIANT, phone


@given(digits=st.text(alphabet="0123456789", min_size=16, max_size=20))
def test_more_than_fifteen_digits_never_pass(digits: str) -> None:
    assert check_phone(f"+{digits}").status is Status.NON_COMPLIANT


def test_worst_orders_statuses() -> None:
    assert worst([Status.COMPLIANT, Status.INSUFFICIENT_DATA]) is Status.INSUFFICIENT_DATA
    assert worst([Status.INSUFFICIENT_DATA, Status.NON_COMPLIANT]) is Status.NON_COMPLIANT
    assert worst([Status.NOT_APPLICABLE, Status.COMPLIANT]) is Status.COMPLIANT
    assert worst([]) is Status.NOT_APPLICABLE


# ---------------------------------------------------------------------------------------------
# Whole account, against moto
# ---------------------------------------------------------------------------------------------


def test_compliant_account(aws: AwsAccount) -> None:
    findings = ready(aws).user("build-bot", console=False).evaluate()
    assert {key: f.status for key, f in findings.items()} == {
        "contact-phone:account": Status.COMPLIANT,
        "security-contact:account": Status.COMPLIANT,
        "root-mfa:root user": Status.COMPLIANT,
        "user-mfa:user alice": Status.COMPLIANT,
        "user-mfa:user build-bot": Status.NOT_APPLICABLE,
    }
    assert worst(f.status for f in findings.values()) is Status.COMPLIANT
    alice = findings["user-mfa:user alice"]
    assert alice.resource_type == "AWS::IAM::User"
    assert alice.resource_id == aws.iam.get_user(UserName="alice")["User"]["UserId"]


def test_phone_without_plus(aws: AwsAccount) -> None:
    finding = aws.phone("(415) 555-0100").contact("SECURITY").evaluate()["contact-phone:account"]
    assert finding.status is Status.NON_COMPLIANT
    assert 'lacks its "+" country code' in finding.fix
    assert "Account > Contact information" in finding.fix


def test_phone_with_spaces(aws: AwsAccount) -> None:
    finding = aws.phone("+44 20 7946 0958").contact("SECURITY").evaluate()["contact-phone:account"]
    assert finding.status is Status.COMPLIANT


def test_phone_with_16_digits(aws: AwsAccount) -> None:
    finding = aws.phone("+1 415 555 0100 12345").contact("SECURITY").evaluate()
    assert finding["contact-phone:account"].status is Status.NON_COMPLIANT
    assert "has 16 digits" in finding["contact-phone:account"].fix


def test_missing_security_contact(aws: AwsAccount) -> None:
    findings = aws.phone(GOOD_PHONE).contact("BILLING").evaluate()
    finding = findings["security-contact:account"]
    assert finding.status is Status.NON_COMPLIANT
    assert "no SECURITY alternate contact" in finding.fix
    assert "--alternate-contact-type SECURITY" in finding.fix


def test_operations_contact_only_when_required(aws: AwsAccount) -> None:
    aws.phone(GOOD_PHONE).contact("SECURITY")
    assert "operations-contact:account" not in aws.evaluate(require_operations_contact=False)
    findings = aws.phone(GOOD_PHONE).evaluate(require_operations_contact=True)
    assert findings["operations-contact:account"].status is Status.NON_COMPLIANT


def test_root_without_mfa(aws: AwsAccount) -> None:
    root_summary(mfa=False, password=True, keys=True)
    finding = ready(aws).evaluate()["root-mfa:root user"]
    assert finding.status is Status.NON_COMPLIANT
    assert "register an MFA device, then a second one" in finding.fix
    assert "delete the root access keys" in finding.fix


def test_no_root_credentials_is_compliant(aws: AwsAccount) -> None:
    """Centralized root access deleted the root password and keys: nothing to protect."""
    root_summary(mfa=False, password=False, keys=False)
    finding = ready(aws).evaluate()["root-mfa:root user"]
    assert finding.status is Status.COMPLIANT
    assert "centralized root access" in finding.fix


def test_user_with_console_and_no_mfa(aws: AwsAccount) -> None:
    finding = ready(aws).user("bob").evaluate()["user-mfa:user bob"]
    assert finding.status is Status.NON_COMPLIANT
    assert "console password but no MFA device" in finding.fix


def test_user_with_one_device(aws: AwsAccount) -> None:
    finding = ready(aws).user("carol", devices=1).evaluate()["user-mfa:user carol"]
    assert finding.status is Status.NON_COMPLIANT
    assert "single point of failure: register a second device (up to 8)" in finding.fix


def test_user_with_two_devices(aws: AwsAccount) -> None:
    finding = ready(aws).evaluate()["user-mfa:user alice"]
    assert finding.status is Status.COMPLIANT
    assert finding.fix == "2 MFA devices"


def test_denied_contact_information_names_the_permission(aws: AwsAccount) -> None:
    findings = aws.deny_contact_information().contact("SECURITY").user("bob").evaluate()
    denied = findings["contact-phone:account"]
    assert denied.status is Status.INSUFFICIENT_DATA
    assert "needs account:GetContactInformation" in denied.fix
    # ... and everything else was still evaluated
    assert findings["security-contact:account"].status is Status.COMPLIANT
    assert findings["root-mfa:root user"].status is Status.COMPLIANT
    assert findings["user-mfa:user bob"].status is Status.NON_COMPLIANT


def test_denied_mfa_listing_names_the_permission(aws: AwsAccount) -> None:
    findings = ready(aws).deny_iam("ListMFADevices").evaluate()
    assert findings["user-mfa:user alice"].status is Status.INSUFFICIENT_DATA
    assert "needs iam:ListMFADevices" in findings["user-mfa:user alice"].fix
    assert findings["contact-phone:account"].status is Status.COMPLIANT
    assert findings["root-mfa:root user"].status is Status.COMPLIANT


def test_denied_account_summary_and_user_listing(aws: AwsAccount) -> None:
    findings = ready(aws).deny_iam("GetAccountSummary").deny_iam("ListUsers").evaluate()
    assert "needs iam:GetAccountSummary" in findings["root-mfa:root user"].fix
    assert "needs iam:ListUsers" in findings["user-mfa:IAM users"].fix
    assert findings["security-contact:account"].status is Status.COMPLIANT


def test_member_account_runs_contact_checks_only(aws: AwsAccount) -> None:
    """Organization topology: AccountId is passed through; IAM checks need a member role."""
    aws.phone("+33 1 23 45 67 89", account_id=MEMBER).contact("SECURITY", account_id=MEMBER)
    aws.user("alice")  # in the caller's account: must not appear
    findings = aws.evaluate(account_id=MEMBER)
    assert set(findings) == {
        f"contact-phone:account {MEMBER}",
        f"security-contact:account {MEMBER}",
    }
    assert all(f.status is Status.COMPLIANT for f in findings.values())


def test_user_listing_follows_markers() -> None:
    class PagedIam:
        def list_users(self, **kwargs: Any) -> dict[str, Any]:
            if "Marker" not in kwargs:
                return {
                    "Users": [{"UserName": "a", "UserId": "A"}],
                    "IsTruncated": True,
                    "Marker": "m",
                }
            return {"Users": [{"UserName": "b", "UserId": "B"}], "IsTruncated": False}

        def get_login_profile(self, **kwargs: Any) -> dict[str, Any]:
            return {}

        def list_mfa_devices(self, **kwargs: Any) -> dict[str, Any]:
            return {"MFADevices": [{}, {}]}

        def get_account_summary(self, **kwargs: Any) -> dict[str, Any]:
            return {}

        def unused(self, **kwargs: Any) -> dict[str, Any]:
            raise AssertionError("only called with a LockoutScope, which this test does not give")

        list_groups_for_user = list_access_keys = get_access_key_last_used = get_role = unused
        list_virtual_mfa_devices = unused

    assert [f.resource_id for f in check_users(PagedIam())] == ["A", "B"]


def test_unexpected_errors_are_not_swallowed(aws: AwsAccount) -> None:
    """Only AWS errors become findings: a bug or a network failure still raises."""

    def broken(**_: Any) -> None:
        raise RuntimeError("bug")

    aws.hook("before-call.iam.GetAccountSummary", broken)
    ready(aws)
    with pytest.raises(RuntimeError, match="bug"):
        evaluate_account(aws.clients)


def test_time_per_evaluated_account(aws: AwsAccount) -> None:
    """Median wall time of one evaluation with moto (3 users); printed with -s for the report."""
    ready(aws).user("bob").user("carol", devices=1)
    times = []
    for _ in range(5):
        aws.phone(GOOD_PHONE)
        start = time.perf_counter()
        evaluate_account(aws.clients)
        times.append(time.perf_counter() - start)
    print(
        f"\nreadiness evaluate_account with moto, 3 users: {statistics.median(times) * 1000:.1f} ms"
    )


# ---------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------


class Session:
    """A boto3 Session double handing out this test's clients."""

    def __init__(self, aws: AwsAccount) -> None:
        self.aws = aws
        self.region_name = "us-east-1"

    def client(self, name: str, region_name: str | None = None) -> Any:
        if name == "account":
            return self.aws.clients.account
        if name == "iam":
            return self.aws.iam
        if name in {"cloudtrail", "config", "events"}:
            return LiveAlertPath()  # tests/test_prerequisites.py covers a broken one
        assert name == "sts", name
        return boto3.client("sts", region_name=region_name)


class LiveAlertPath:
    """CloudTrail, Config and EventBridge as an account with a live alert path answers."""

    def describe_trails(self, **_: Any) -> dict[str, Any]:
        trail = {"Name": "org", "TrailARN": "arn:aws:cloudtrail:us-east-1:1:trail/org",
                 "IsMultiRegionTrail": True, "HomeRegion": "us-east-1"}  # fmt: skip
        return {"trailList": [trail]}

    def get_trail_status(self, **_: Any) -> dict[str, Any]:
        return {"IsLogging": True}

    def get_event_selectors(self, **_: Any) -> dict[str, Any]:
        return {"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True}]}

    def describe_configuration_recorder_status(self) -> dict[str, Any]:
        return {"ConfigurationRecordersStatus": [{"name": "default", "recording": True}]}

    def list_rules(self, **_: Any) -> dict[str, Any]:
        return {"Rules": [{"Name": "mfa-guardrails-root-mfa-removed", "State": "ENABLED"}]}


def run_cli(*argv: str, session: Any) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), session=session, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_cli_table_and_exit_code_when_ready(aws: AwsAccount) -> None:
    code, out, _ = run_cli(session=Session(ready(aws)))
    assert code == cli.EXIT_READY
    assert f"Recovery readiness of account {ACCOUNT}" in out
    header = out.splitlines()[2]
    assert header.split() == ["status", "check", "subject", "fix"]
    assert "COMPLIANT  user-mfa" in out
    assert out.rstrip().endswith("COMPLIANT: recovery-ready")


def test_cli_json_and_exit_code_when_not_ready(aws: AwsAccount) -> None:
    code, out, _ = run_cli("--json", session=Session(ready(aws).user("carol", devices=1)))
    assert code == cli.EXIT_NOT_READY
    document = json.loads(out)
    assert document["account"] == ACCOUNT
    assert document["status"] == "NON_COMPLIANT"
    carol = next(f for f in document["findings"] if f["subject"] == "user carol")
    assert carol["status"] == "NON_COMPLIANT"
    assert "register a second device" in carol["fix"]


def test_cli_insufficient_data_exits_1(aws: AwsAccount) -> None:
    aws.deny_contact_information().contact("SECURITY").user("alice", devices=2)
    code, out, _ = run_cli(session=Session(aws))
    assert code == cli.EXIT_NOT_READY
    assert "needs account:GetContactInformation" in out


def test_cli_without_credentials_prints_a_message_not_a_traceback() -> None:
    class NoCredentials:
        region_name = None

        def client(self, name: str, region_name: str | None = None) -> Any:
            client = cast(Any, boto3).client(
                name,
                region_name=region_name or "us-east-1",
                aws_access_key_id="x",
                aws_secret_access_key="x",
            )

            def refuse(**_: Any) -> None:
                raise NoCredentialsError

            client.meta.events.register("before-call", refuse)
            return client

    code, out, err = run_cli(session=NoCredentials())
    assert code == cli.EXIT_CANNOT_RUN
    assert out == ""
    assert "no AWS credentials found" in err
    assert "Traceback" not in err


def test_cli_rejects_a_bad_account_id() -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.parse_args(["--account-id", "12345"])
    assert exit_info.value.code == 2


def test_cli_starts_without_aws_cdk_or_boto3() -> None:
    """The CLI shares the Lambda's checks through constructs_lib.detective, whose construct must
    not be imported (it would start aws_cdk's Node.js process)."""
    code = (
        "import sys, mfa_guardrails.cli.readiness; "
        "print(sorted(m for m in ('aws_cdk', 'boto3', 'jsii') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


def test_cli_names_who_would_be_locked_out(aws: AwsAccount) -> None:
    """The single-account report runs the organization report's lock-out check: a user in
    MfaRequired whose key was used recently, without a TOTP device, would lose the CLI."""
    ready(aws).user("bob", console=False)
    aws.iam.create_group(GroupName="MfaRequired")
    aws.iam.add_user_to_group(GroupName="MfaRequired", UserName="bob")
    key = aws.iam.create_access_key(UserName="bob")["AccessKey"]["AccessKeyId"]
    iam_backends[ACCOUNT]["aws"].access_keys[key].last_used = AccessKeyLastUsed(
        timestamp=datetime.now(UTC) - timedelta(days=2), service="s3", region="us-east-1")
    code, out, _ = run_cli("--json", session=Session(aws))
    assert code == cli.EXIT_NOT_READY
    (bob,) = [f for f in json.loads(out)["findings"] if f["check"] == "cli-lockout"]
    assert bob["status"] == "NON_COMPLIANT"
    assert "would be locked out of the CLI under enforce" in bob["fix"]


def test_cli_refuses_a_bad_config_file(tmp_path: Path) -> None:
    bad = tmp_path / "team.json"
    bad.write_text('{"mfa-guardrails:enforcement": "enforced"}')
    code, _, err = run_cli("--config", str(bad), session=None)
    assert code == cli.EXIT_CANNOT_RUN
    assert "mfa-guardrails:enforcement" in err


# ---------------------------------------------------------------------------------------------
# The first recovery factor: the root e-mail
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "domains", "status", "says"),
    [
        ("aws-root+prod@corp.example.org", ("example.org",), "COMPLIANT", "a domain of yours"),
        ("root@mail.example.org", ("EXAMPLE.org",), "COMPLIANT", "a domain of yours"),
        ("jane.doe@gmail.com", ("example.org",), "NON_COMPLIANT", "public mail provider"),
        ("jane.doe@gmail.com", (), "NON_COMPLIANT", "public mail provider"),
        ("root@acquired-startup.io", ("example.org",), "NON_COMPLIANT", "not one of the"),
        ("root@notexample.org", ("example.org",), "NON_COMPLIANT", "not one of the"),
        ("root@acquired-startup.io", (), "COMPLIANT", "a domain of yours"),
    ],
)
def test_primary_email_outside_the_organization_is_a_finding(
    address: str, domains: tuple[str, ...], status: str, says: str
) -> None:
    account = boto3.client("account", region_name="us-east-1", aws_access_key_id="x",
                           aws_secret_access_key="x")  # fmt: skip
    with Stubber(account) as stub:
        stub.add_response("get_primary_email", {"PrimaryEmail": address},
                          {"AccountId": "333333333333"})
        finding = check_primary_email(account, "333333333333", domains)
    assert finding.status == status
    assert says in finding.fix


def test_primary_email_unreadable_names_the_permission() -> None:
    account = boto3.client("account", region_name="us-east-1", aws_access_key_id="x",
                           aws_secret_access_key="x")  # fmt: skip
    with Stubber(account) as stub:
        stub.add_client_error("get_primary_email", "AccessDeniedException")
        finding = check_primary_email(account, "333333333333", ("example.org",))
    assert finding.status == "INSUFFICIENT_DATA"
    assert "account:GetPrimaryEmail" in finding.fix
