"""``mfa-guardrails recover``: the day a device is lost.

IAM steps run against moto; AssumeRoot and the Account API against botocore stubs. The policy
engine proves that every ``--apply`` step is allowed to the configured admins and break-glass
under the synthesized SCPs and denied to a plain member admin, whom the command refuses before
its first call: it never half-runs.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto import mock_aws

from mfa_guardrails.cli import main as cli
from mfa_guardrails.cli import recover
from mfa_guardrails.recovery import (
    REVOKE_POLICY_NAME,
    Record,
    UserState,
    lost_devices,
    plan_user,
    principal_arn,
)
from tests.policy.engine import Engine
from tests.policy.policies import PolicySet, Request
from tests.policy.principals import MEMBER, Principal

ROOT = Path(__file__).resolve().parent.parent
ORG_CONFIG = ROOT / "examples" / "organization.json"
ACCOUNT = "123456789012"  # moto's
SSO_ADMIN = "AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b"
SSO_PATH = "/aws-reserved/sso.amazonaws.com/"


class Session:
    """boto3 under moto, with the caller's identity chosen by the test."""

    def __init__(self, caller: str, iam: Any) -> None:
        self.caller = caller
        self.iam = iam

    def client(self, service: str, **_: Any) -> Any:
        if service == "sts":
            return _Identity(self.caller)
        assert service == "iam", service
        return self.iam


class _Identity:
    def __init__(self, arn: str) -> None:
        self.arn = arn

    def get_caller_identity(self) -> dict[str, str]:
        return {"Account": self.arn.split(":")[4], "Arn": self.arn}


@pytest.fixture(scope="module")
def _moto() -> Iterator[tuple[Any, Any]]:
    """One moto for the module (starting it and making clients is most of a test's cost)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        with mock_aws() as mock:
            yield mock, boto3.client("iam", region_name="us-east-1")


@pytest.fixture
def aws(_moto: tuple[Any, Any]) -> Any:
    """The module's account, empty again: the admin roles and MfaRequired only."""
    mock, iam = _moto
    mock.reset()
    iam.create_role(RoleName=SSO_ADMIN, Path=SSO_PATH, AssumeRolePolicyDocument="{}")
    iam.create_role(RoleName="Admin", AssumeRolePolicyDocument="{}")
    iam.create_group(GroupName="MfaRequired")
    return iam


def _user(iam: Any, name: str, *, devices: int = 1, keys: int = 0, group: bool = True) -> None:
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password="Old-password-1!")
    if group:
        iam.add_user_to_group(GroupName="MfaRequired", UserName=name)
    for index in range(devices):
        serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=f"{name}-{index}")[
            "VirtualMFADevice"]["SerialNumber"]  # fmt: skip
        iam.enable_mfa_device(UserName=name, SerialNumber=serial, AuthenticationCode1="123456",
                              AuthenticationCode2="654321")  # fmt: skip
    for _ in range(keys):
        iam.create_access_key(UserName=name)


def _admin() -> str:
    return f"arn:aws:sts::{ACCOUNT}:assumed-role/{SSO_ADMIN}/alice@example.com"


def _run(session: Session, *argv: str, records: Path) -> tuple[int, str]:
    out = io.StringIO()
    code = recover.main(["user" if argv[0] not in {"verify", "root"} else argv[0],
                         *argv[1 if argv[0] in {"verify", "root", "user"} else 0:],
                         "--config", str(ORG_CONFIG), "--records", str(records)],
                        session=session, out=out)  # fmt: skip
    return code, out.getvalue()


def _devices(iam: Any, user: str) -> list[str]:
    return [d["SerialNumber"] for d in iam.list_mfa_devices(UserName=user)["MFADevices"]]


def test_dry_run_prints_each_call_and_changes_nothing(aws: Any, tmp_path: Path) -> None:
    _user(aws, "bob")
    code, out = _run(Session(_admin(), aws), "user", "--account-id", ACCOUNT, "--user", "bob",
                     records=tmp_path)  # fmt: skip
    assert code == 0
    principal = f"arn:aws:iam::{ACCOUNT}:role{SSO_PATH}{SSO_ADMIN}"
    assert f"identity: {principal} (an admin of the configuration" in out
    assert f"iam:DeactivateMFADevice in {ACCOUNT} as {principal}" in out
    assert "iam:DeleteVirtualMFADevice" in out
    assert "dry run: nothing was changed" in out
    assert len(_devices(aws, "bob")) == 1
    assert not list(tmp_path.glob("*.json"))


def test_apply_removes_the_lost_device_and_records_it(aws: Any, tmp_path: Path) -> None:
    _user(aws, "bob")
    (serial,) = _devices(aws, "bob")
    code, out = _run(Session(_admin(), aws), "user", "--account-id", ACCOUNT, "--user", "bob",
                     "--apply", records=tmp_path)  # fmt: skip
    assert code == 0, out
    assert _devices(aws, "bob") == []
    virtual = aws.list_virtual_mfa_devices()["VirtualMFADevices"]
    assert serial not in [d["SerialNumber"] for d in virtual]  # the entity is gone too
    (path,) = tmp_path.glob("*.json")
    record = Record.from_json(path.read_text())
    assert record.status == "applied"
    assert record.who.endswith(SSO_ADMIN)
    assert [s.status for s in record.steps] == ["done", "done"]
    assert record.before["devices"] == [serial]
    assert record.after is not None
    assert record.after["devices"] == []
    assert "enrol two MFA devices" in out
    assert "mfa-removed" in out


def test_stolen_changes_password_keys_and_sessions_first(aws: Any, tmp_path: Path) -> None:
    _user(aws, "carol", keys=2, group=False)
    code, out = _run(Session(_admin(), aws), "user", "--account-id", ACCOUNT, "--user", "carol",
                     "--stolen", "--apply", records=tmp_path)  # fmt: skip
    assert code == 0, out
    (path,) = tmp_path.glob("*.json")
    record = Record.from_json(path.read_text())
    order = [s.action for s in record.steps]
    # With the stolen password alone, an attacker would enrol his own device once the old one
    # is gone: the password, keys and sessions change first.
    assert order.index("iam:UpdateLoginProfile") < order.index("iam:DeactivateMFADevice")
    assert order.index("iam:PutUserPolicy") < order.index("iam:DeactivateMFADevice")
    assert {k["Status"] for k in aws.list_access_keys(UserName="carol")["AccessKeyMetadata"]} == {
        "Inactive"}  # fmt: skip
    policy = aws.get_user_policy(UserName="carol", PolicyName=REVOKE_POLICY_NAME)
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny"
    assert "aws:TokenIssueTime" in json.dumps(statement)
    assert [g["GroupName"] for g in aws.list_groups_for_user(UserName="carol")["Groups"]] == [
        "MfaRequired"]  # Force-MFA kept on  # fmt: skip
    password = out.split("changed at next sign-in): ", 1)[1].split()[0]
    assert password not in path.read_text()  # printed once, never recorded


@pytest.mark.parametrize("failing", [0, 1, 2, 3, 4])
def test_a_failure_at_any_step_resumes_to_the_same_end_state(
    aws: Any, tmp_path: Path, failing: int
) -> None:
    _user(aws, "dave", keys=1)
    session = Session(_admin(), aws)
    real = session.iam
    calls = {"n": 0}

    class Flaky:
        """IAM whose ``failing``-th write fails once (reads never)."""

        def __getattr__(self, name: str) -> Any:
            method = getattr(real, name)
            if name.startswith(("get_", "list_")) or name == "exceptions":
                return method

            def call(**kwargs: Any) -> Any:
                calls["n"] += 1
                if calls["n"] == failing + 1:
                    raise ClientError({"Error": {"Code": "Throttling", "Message": "slow down"}},
                                      name)  # fmt: skip
                return method(**kwargs)

            return call

    session.iam = Flaky()
    argv = ("user", "--account-id", ACCOUNT, "--user", "dave", "--stolen", "--apply")
    code, out = _run(session, *argv, records=tmp_path)
    assert code == 1
    assert "run the same command with --apply to resume" in out
    session.iam = real
    code, out = _run(session, *argv, records=tmp_path)
    assert code == 0, out
    assert "resuming" in out
    (path,) = tmp_path.glob("*.json")
    record = Record.from_json(path.read_text())
    assert record.status == "applied"
    assert {s.status for s in record.steps} == {"done"}
    assert _devices(aws, "dave") == []
    assert {k["Status"] for k in aws.list_access_keys(UserName="dave")["AccessKeyMetadata"]} == {
        "Inactive"}  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (("--user", "nobody"), "no IAM user 'nobody'"),
        (("--user", "erin", "--device", f"arn:aws:iam::{ACCOUNT}:mfa/frank-0"),
         "are not arn:aws:iam::123456789012:user/erin's"),
        (("--user", "two"), "has 2 devices"),
        (("--user", "none"), "has no MFA device"),
    ],
)
def test_bad_input_is_refused_and_nothing_changes(
    aws: Any, tmp_path: Path, argv: tuple[str, ...], expected: str
) -> None:
    _user(aws, "erin")
    _user(aws, "frank")
    _user(aws, "two", devices=2)
    _user(aws, "none", devices=0)
    before = {u: _devices(aws, u) for u in ("erin", "frank", "two", "none")}
    code, out = _run(Session(_admin(), aws), "user", "--account-id", ACCOUNT, *argv, "--apply",
                     records=tmp_path)  # fmt: skip
    assert code == 1, out
    assert expected in out
    assert "Nothing was changed" in out
    assert {u: _devices(aws, u) for u in before} == before
    assert not list(tmp_path.glob("*.json"))


def test_a_plain_admin_is_refused_before_any_call(aws: Any, tmp_path: Path) -> None:
    _user(aws, "bob")
    caller = f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/mallory"
    code, out = _run(Session(caller, aws), "user", "--account-id", ACCOUNT, "--user", "bob",
                     "--apply", records=tmp_path)  # fmt: skip
    assert code == 1
    assert "is not an admin or break-glass principal" in out
    assert len(_devices(aws, "bob")) == 1


def test_credentials_of_another_account_cannot_run(aws: Any, tmp_path: Path) -> None:
    code, out = _run(Session(_admin(), aws), "user", "--account-id", "999999999999", "--user",
                     "bob", records=tmp_path)  # fmt: skip
    assert code == 2
    assert "sign in to 999999999999" in out


def test_verify_wants_two_devices_then_closes_the_record(aws: Any, tmp_path: Path) -> None:
    _user(aws, "bob")
    session = Session(_admin(), aws)
    assert _run(session, "user", "--account-id", ACCOUNT, "--user", "bob", "--apply",
                records=tmp_path)[0] == 0  # fmt: skip
    verify = ("verify", "--account-id", ACCOUNT, "--user", "bob")
    for index in range(2):
        code, out = _run(session, *verify, records=tmp_path)
        assert code == 1, out
        assert f"has {index} MFA device(s)" in out
        serial = aws.create_virtual_mfa_device(VirtualMFADeviceName=f"bob-new-{index}")[
            "VirtualMFADevice"]["SerialNumber"]  # fmt: skip
        aws.enable_mfa_device(UserName="bob", SerialNumber=serial, AuthenticationCode1="123456",
                              AuthenticationCode2="654321")  # fmt: skip
    code, out = _run(session, *verify, records=tmp_path)
    assert code == 0, out
    assert "closed" in out
    (path,) = tmp_path.glob("*.json")
    assert Record.from_json(path.read_text()).status == "verified"


# ---------------------------------------------------------------------------------------------
# Under the synthesized SCPs
# ---------------------------------------------------------------------------------------------


def _member(arn: str, name: str) -> Principal:
    return Principal(name, arn, "role", mfa="true" if "sso" in arn else None)


def test_every_apply_step_is_allowed_to_admins_and_denied_to_a_plain_admin(
    engine: Engine, policies: PolicySet
) -> None:
    """Each step of a stolen-device recovery, as the SCPs evaluate it, in a member account."""
    user = f"arn:aws:iam::{MEMBER}:user/bob"
    state = UserState(user_arn=user, devices=(f"arn:aws:iam::{MEMBER}:mfa/bob",),
                      has_password=True, active_keys=("AKIAEXAMPLE",), groups=(),
                      mfa_required_group_exists=True)  # fmt: skip
    steps = plan_user(state, MEMBER, "bob", lost_devices(state, ()), stolen=True)
    requests = [Request(s.action, s.resource) for s in steps]
    sso = f"arn:aws:iam::{MEMBER}:role{SSO_PATH}{SSO_ADMIN}"
    allowed = {"sso-admin": _member(sso, "sso-admin"),
               "break-glass": _member(f"arn:aws:iam::{MEMBER}:role/BreakGlassAdmin", "bg")}
    plain = _member(f"arn:aws:iam::{MEMBER}:role/Admin", "plain-admin")
    for principal in (*allowed.values(), plain):
        decisions = engine.evaluate([policies.simulation(principal, r) for r in requests])
        if principal is plain:
            first_denied = decisions.index(False)
            assert requests[first_denied].action == "iam:DeactivateMFADevice"
            assert any(decisions[:first_denied])  # it would have half-run: hence the refusal
        else:
            assert all(decisions), [r.action for r, d in zip(requests, decisions, strict=True)
                                    if not d]  # fmt: skip


def test_principal_arn_restores_the_role_path() -> None:
    session = f"arn:aws:sts::{MEMBER}:assumed-role/{SSO_ADMIN}/alice"
    assert principal_arn(session, SSO_PATH) == f"arn:aws:iam::{MEMBER}:role{SSO_PATH}{SSO_ADMIN}"
    assert principal_arn(f"arn:aws:iam::{MEMBER}:user/bob") == f"arn:aws:iam::{MEMBER}:user/bob"


# ---------------------------------------------------------------------------------------------
# Root, and Identity Center
# ---------------------------------------------------------------------------------------------

MANAGEMENT, MEMBER_ACCOUNT = "111111111111", "333333333333"


class StubbedSession:
    """Clients with botocore stubs (AssumeRoot and the Account API are not in moto)."""

    def __init__(self, caller: str) -> None:
        self.clients: dict[str, Any] = {}
        self.stubs: dict[str, Stubber] = {}
        self.caller = caller
        self.root_iam: list[Any] = []

    def stub(self, service: str) -> Stubber:
        if service not in self.stubs:
            client = boto3.client(service, region_name="us-east-1",  # type: ignore[call-overload]
                                  aws_access_key_id="x", aws_secret_access_key="x")
            self.clients[service], self.stubs[service] = client, Stubber(client)
            self.stubs[service].activate()
        return self.stubs[service]

    def client(self, service: str, **kwargs: Any) -> Any:
        if service == "sts" and "region_name" not in kwargs:
            return _Identity(self.caller)
        if service == "iam" and "aws_session_token" in kwargs:
            return self.clients["root-iam"]
        self.stub(service)
        return self.clients[service]


def _root_session(features: list[str]) -> StubbedSession:
    session = StubbedSession(f"arn:aws:sts::{MANAGEMENT}:assumed-role/BreakGlassAdmin/ops")
    session.stub("organizations").add_response("describe_organization", {"Organization": {
        "Id": "o-a1b2c3d4e5", "MasterAccountId": MANAGEMENT}})  # fmt: skip
    session.stub("iam").add_response("list_organizations_features", {
        "OrganizationId": "o-a1b2c3d4e5", "EnabledFeatures": features})  # fmt: skip
    return session


def test_member_root_credentials_deleted_through_assume_root(tmp_path: Path) -> None:
    session = _root_session(["RootCredentialsManagement", "RootSessions"])
    credentials = {"AccessKeyId": "ASIAEXAMPLEEXAMPLE", "SecretAccessKey": "s", "SessionToken": "t",
                   "Expiration": "2026-12-06T16:00:00Z"}  # fmt: skip
    sts = session.stub("sts")
    for task in ("IAMAuditRootUserCredentials", *["IAMDeleteRootUserCredentials"] * 2):
        sts.add_response("assume_root", {"Credentials": credentials}, {
            "TargetPrincipal": MEMBER_ACCOUNT, "DurationSeconds": 900,
            "TaskPolicyArn": {"arn": f"arn:aws:iam::aws:policy/root-task/{task}"}})  # fmt: skip
    root_iam = boto3.client("iam", region_name="us-east-1", aws_access_key_id="x",
                            aws_secret_access_key="x")  # fmt: skip
    session.clients["root-iam"] = root_iam
    with Stubber(root_iam) as stub:
        stub.add_response("get_login_profile", {"LoginProfile": {
            "UserName": "root", "CreateDate": "2020-01-01T00:00:00Z"}})  # fmt: skip
        stub.add_response("list_access_keys", {"AccessKeyMetadata": []})
        stub.add_response("list_signing_certificates", {"Certificates": []})
        stub.add_response("list_mfa_devices", {"MFADevices": [{
            "UserName": "root", "SerialNumber": "arn:aws:iam::333333333333:mfa/root",
            "EnableDate": "2020-01-01T00:00:00Z"}]})  # fmt: skip
        stub.add_response("delete_login_profile", {}, {})
        stub.add_response("deactivate_mfa_device", {},
                          {"SerialNumber": "arn:aws:iam::333333333333:mfa/root"})
        out = io.StringIO()
        code = recover.main(["root", "--account-id", MEMBER_ACCOUNT, "--delete-credentials",
                             "--apply", "--config", str(ORG_CONFIG), "--records", str(tmp_path)],
                            session=session, out=out)  # fmt: skip
        stub.assert_no_pending_responses()
    assert code == 0, out.getvalue()
    (path,) = tmp_path.glob("*.json")
    assert [s.action for s in Record.from_json(path.read_text()).steps] == [
        "iam:DeleteLoginProfile", "iam:DeactivateMFADevice"]  # fmt: skip
    assert "root-session-assumed" in out.getvalue()


def test_management_root_gets_the_owner_checklist_with_the_phone_verdict() -> None:
    session = _root_session([])
    session.caller = f"arn:aws:sts::{MANAGEMENT}:assumed-role/BreakGlassAdmin/ops"
    session.stub("account").add_response("get_contact_information", {"ContactInformation": {
        "AddressLine1": "1 Main St", "City": "Seattle", "CountryCode": "US", "FullName": "Ops",
        "PhoneNumber": "206-555-0100", "PostalCode": "98101"}})  # fmt: skip
    session.stub("account").add_client_error("get_primary_email", "AccessDeniedException")
    out = io.StringIO()
    code = recover.main(["root", "--account-id", MANAGEMENT, "--config", str(ORG_CONFIG)],
                        session=session, out=out)  # fmt: skip
    text = out.getvalue()
    assert code == 1, text  # AWS cannot call a number without its + country code
    assert "only its owner can recover it (the management account's root" in text
    assert "AWS cannot call it" in text
    assert "AWS Support" in text


def test_identity_center_says_there_is_no_api_and_where_to_click() -> None:
    out = io.StringIO()
    assert recover.main(["identity-center", "--user", "alice"], out=out) == 0
    assert "no public AWS API" in out.getvalue()
    assert "MFA devices" in out.getvalue()


def test_the_command_line_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["--help"])
    assert done.value.code == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in cli.COMMANDS)
    assert cli.main(["recover", "identity-center", "--user", "x"]) == 0


def test_readme_dry_run_is_what_the_command_prints(aws: Any, tmp_path: Path) -> None:
    """README's "When a device is lost" sample, against a real dry run (times and ids masked)."""
    aws.create_user(UserName="bob")
    aws.create_login_profile(UserName="bob", Password="Old-password-1!")
    aws.add_user_to_group(GroupName="MfaRequired", UserName="bob")
    serial = aws.create_virtual_mfa_device(VirtualMFADeviceName="bob-phone")[
        "VirtualMFADevice"]["SerialNumber"]  # fmt: skip
    aws.enable_mfa_device(UserName="bob", SerialNumber=serial, AuthenticationCode1="123456",
                          AuthenticationCode2="654321")  # fmt: skip
    key = aws.create_access_key(UserName="bob")["AccessKey"]["AccessKeyId"]
    code, out = _run(Session(_admin(), aws), "user", "--account-id", ACCOUNT, "--user", "bob",
                     "--stolen", records=tmp_path)  # fmt: skip
    assert code == 0
    admin = f"arn:aws:iam::{ACCOUNT}:role{SSO_PATH}{SSO_ADMIN}"
    masked = re.sub(r"bob-\d{8}T\d{6}Z", "bob-<time>", out).replace(key, "<key>")
    masked = masked.replace(f" as {admin}:", " as <admin>:")
    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- recover-dry-run:start -->\n```text\n", 1)[1].split("```", 1)[0]
    assert masked == block


def test_a_recoverys_calls_carry_its_id_for_the_alerts(aws: Any) -> None:
    """CloudTrail records the user agent: the notifier turns the mark into "expected"."""
    record = Record("user-1-bob-x", "user", "1", "bob", "arn", "now", {}, [])

    class Made:
        def client(self, service: str, **kwargs: Any) -> Any:
            return boto3.client(service, region_name="us-east-1", **kwargs)  # type: ignore[call-overload]

    client = recover.recovery_client(Made(), record)
    assert client.meta.config.user_agent_extra == "mfa-guardrails-recovery/user-1-bob-x"


def test_assume_root_refused_cannot_run_and_changes_nothing(tmp_path: Path) -> None:
    """No centralized root access for this caller (the management account's role missing the
    permission, or a delegated administrator not registered): a clear message, exit 2."""
    session = _root_session(["RootCredentialsManagement"])
    session.stub("sts").add_client_error("assume_root", "AccessDenied",
                                         "not authorized to perform: sts:AssumeRoot")
    out = io.StringIO()
    code = recover.main(["root", "--account-id", MEMBER_ACCOUNT, "--delete-credentials",
                         "--apply", "--config", str(ORG_CONFIG), "--records", str(tmp_path)],
                        session=session, out=out)  # fmt: skip
    assert code == 2, out.getvalue()
    assert "AccessDenied" in out.getvalue()
    assert not list(tmp_path.glob("*.json"))
