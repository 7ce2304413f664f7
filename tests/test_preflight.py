"""The pre-flight command against a moto organization (and a botocore stub for AWS Chatbot, which
moto lacks): ready says ready, and each missing prerequisite is one failed check with its fix."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto import mock_aws
from moto.organizations.models import FakeDelegatedAdministrator

from constructs_lib.scp.documents import Exemptions, service_control_policies
from mfa_guardrails.cli import preflight
from mfa_guardrails.cli.preflight import Boto3Sessions, Check, main, run_checks
from mfa_guardrails.config import GuardrailsConfig, load_config
from tests.synth import Synthesized

P = "mfa-guardrails:"
REGION = "us-east-1"
HOME = "eu-west-1"
# One boto3 session for every client of these tests: a new session loads every service model
# again (~0.1 s a client), which made this file several seconds slower.
SESSION = boto3.session.Session()


@dataclass
class Organization:
    """A moto organization as the management account sees it, ready for the first deploy."""

    management: str
    security: str
    organization_id: str
    root_id: str
    ou_id: str
    slack_workspaces: list[str] = field(default_factory=lambda: ["T0123ABCD"])

    def context(self, **extra: Any) -> dict[str, Any]:
        return {
            P + "topology": "organization",
            P + "home-region": HOME,
            P + "management-account-id": self.management,
            P + "security-account-id": self.security,
            P + "organization-id": self.organization_id,
            P + "target-ou-ids": [self.ou_id],
            P + "security-account-ou-id": self.ou_id,
            P + "target-regions": [REGION, HOME],
            P + "notification-emails": ["security@corp.io"],
            P + "slack-workspace-id": "T0123ABCD",
            P + "slack-channel-id": "C0123ABCD",
            **extra,
        }

    def config(self, **extra: Any) -> GuardrailsConfig:
        return load_config(self.context(**extra))


class MotoSessions(Boto3Sessions):
    """The real pre-flight sessions over moto; AWS Chatbot through a stub; optionally an account
    whose lookup role does not trust the caller."""

    def __init__(
        self,
        organization: Organization,
        untrusting: str | None = None,
        controls: dict[str, tuple[str, list[dict[str, Any]]]] | None = None,
        tower_error: str | None = None,
    ) -> None:
        super().__init__(SESSION)
        self.organization = organization
        self.untrusting = untrusting
        # Control Tower (which moto lacks) through a stub: enabled control ARN -> parameters, or
        # the error its ListEnabledControls answers.
        self.controls = controls or {}
        self.tower_error = tower_error

    def client(self, service: str, region: str, account: str | None = None) -> Any:
        if account is not None and account == self.untrusting:
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not trusted"}},
                              "AssumeRole")  # fmt: skip
        if service == "controltower":
            return _control_tower(region, self.controls, self.tower_error)
        if service != "chatbot":
            return super().client(service, region, account)
        chatbot = SESSION.client("chatbot", region_name=region)
        stub = Stubber(chatbot)
        workspaces = [
            {"SlackTeamId": team, "SlackTeamName": "corp"}
            for team in self.organization.slack_workspaces
        ]
        stub.add_response("describe_slack_workspaces", {"SlackWorkspaces": workspaces})
        stub.activate()
        return chatbot


RESTRICT_ROOT = "arn:aws:controltower:eu-west-1::control/AWS-GR_RESTRICT_ROOT_USER"
OTHER_CONTROL = "arn:aws:controltower:eu-west-1::control/AWS-GR_RESTRICT_ROOT_USER_ACCESS_KEYS"


def _enabled(n: int) -> str:
    return f"arn:aws:controltower:eu-west-1:111122223333:enabledcontrol/{n:012d}"


def _control_tower(
    region: str, controls: dict[str, tuple[str, list[dict[str, Any]]]], error: str | None = None
) -> Any:
    """A stubbed Control Tower: the enabled controls (enabled-control ARN -> control identifier
    and parameters) in one page, then GetEnabledControl of each restrict-root control, in
    order, or ``error`` at ListEnabledControls; the stub fails on any other call."""
    client = SESSION.client("controltower", region_name=region)
    stub = Stubber(client)
    if error is not None:
        stub.add_client_error("list_enabled_controls", error)
        stub.activate()
        return client
    summaries = [
        {"arn": arn, "controlIdentifier": control,
         "targetIdentifier": f"arn:aws:organizations::111122223333:ou/o-a1b2c3d4e5/ou-ab12-{n:08d}"}
        for n, (arn, (control, _)) in enumerate(controls.items())
    ]  # fmt: skip
    stub.add_response("list_enabled_controls", {"enabledControls": summaries})
    for summary, (control, parameters) in zip(summaries, controls.values(), strict=True):
        if control == RESTRICT_ROOT:
            stub.add_response(
                "get_enabled_control",
                {"enabledControlDetails": {**summary, "parameters": parameters}},
                {"enabledControlIdentifier": summary["arn"]},
            )
    stub.activate()
    return client


def _bootstrap(region: str, version: str = "27", credentials: Any = None) -> None:
    keys = {} if credentials is None else {
        "aws_access_key_id": credentials["AccessKeyId"],
        "aws_secret_access_key": credentials["SecretAccessKey"],
        "aws_session_token": credentials["SessionToken"],
    }  # fmt: skip
    SESSION.client("ssm", region_name=region, **keys).put_parameter(
        Name=preflight.BOOTSTRAP_VERSION_PARAMETER, Value=version, Type="String", Overwrite=True
    )


def _credentials_in(account: str) -> Any:
    return SESSION.client("sts", region_name=REGION).assume_role(
        RoleArn=preflight.lookup_role_arn(account, HOME), RoleSessionName="setup"
    )["Credentials"]


@pytest.fixture
def organization(monkeypatch: pytest.MonkeyPatch) -> Iterator[Organization]:
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(variable, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    # AWS Account Management supports a delegated administrator (Organizations user guide,
    # "AWS services that you can use with AWS Organizations"); moto 5.2's list lacks it.
    supported = [*FakeDelegatedAdministrator.SUPPORTED_SERVICES,
                 preflight.ACCOUNT_MANAGEMENT_SERVICE]  # fmt: skip
    monkeypatch.setattr(FakeDelegatedAdministrator, "SUPPORTED_SERVICES", supported)
    with mock_aws():
        organizations = SESSION.client("organizations", region_name=REGION)
        org = organizations.create_organization(FeatureSet="ALL")["Organization"]
        root = organizations.list_roots()["Roots"][0]
        organizations.enable_policy_type(RootId=root["Id"], PolicyType="SERVICE_CONTROL_POLICY")
        ou = organizations.create_organizational_unit(ParentId=root["Id"], Name="Workloads")
        security = organizations.create_account(AccountName="security", Email="sec@corp.io")
        security_id = security["CreateAccountStatus"]["AccountId"]
        organizations.move_account(AccountId=security_id, SourceParentId=root["Id"],
                                   DestinationParentId=ou["OrganizationalUnit"]["Id"])
        for service in (preflight.STACKSETS_SERVICE, preflight.ACCOUNT_MANAGEMENT_SERVICE):
            organizations.enable_aws_service_access(ServicePrincipal=service)
        organizations.register_delegated_administrator(
            AccountId=security_id, ServicePrincipal=preflight.ACCOUNT_MANAGEMENT_SERVICE
        )
        _bootstrap(HOME)
        _bootstrap(REGION)
        _bootstrap(HOME, credentials=_credentials_in(security_id))
        yield Organization(
            management=org["MasterAccountId"],
            security=security_id,
            organization_id=org["Id"],
            root_id=root["Id"],
            ou_id=ou["OrganizationalUnit"]["Id"],
        )


def failed(checks: list[Check]) -> dict[str, Check]:
    return {check.check: check for check in checks if check.failed}


def test_a_ready_organization_passes_every_check(organization: Organization) -> None:
    checks = run_checks(organization.config(), MotoSessions(organization))
    assert failed(checks) == {}
    assert {c.check for c in checks} == {
        "bootstrap", "organization", "trusted-access", "delegated-admin", "security-ou",
        "delegated-admins", "scp-slots", "control-tower", "chatbot",
    }  # fmt: skip
    (listed,) = [c for c in checks if c.check == "delegated-admins"]
    assert listed.subject == organization.security
    assert listed.detail == (
        "account.amazonaws.com: can change every member's recovery contacts "
        "(denied by the SCPs unless exempt)"
    )
    bootstraps = [c.subject for c in checks if c.check == "bootstrap"]
    assert bootstraps == [
        f"aws://{organization.management}/{HOME}",
        f"aws://{organization.security}/{HOME}",
    ]


def test_each_missing_prerequisite_is_a_failed_check_with_its_fix(
    organization: Organization,
) -> None:
    organizations = SESSION.client("organizations", region_name=REGION)
    organizations.disable_aws_service_access(ServicePrincipal=preflight.STACKSETS_SERVICE)
    organizations.deregister_delegated_administrator(
        AccountId=organization.security, ServicePrincipal=preflight.ACCOUNT_MANAGEMENT_SERVICE
    )
    # With FullAWSAccess, 8 of the 10 slots used: 2 free, 4 needed.
    others = ("aws-guardrails-AbCdEf", "AcceleratorGuardrails1", "team-deny-regions",
              *(f"team-deny-{n}" for n in range(4)))
    for name in others:
        policy = organizations.create_policy(
            Name=name, Description="x", Type="SERVICE_CONTROL_POLICY",
            Content=json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Deny", "Action": "ec2:*", "Resource": "*"}]}),
        )["Policy"]["PolicySummary"]["Id"]  # fmt: skip
        organizations.attach_policy(PolicyId=policy, TargetId=organization.ou_id)
    organization.slack_workspaces = ["TOTHER"]
    checks = failed(run_checks(organization.config(), MotoSessions(organization)))
    assert checks.keys() == {"trusted-access", "delegated-admin", "scp-slots", "chatbot"}
    assert checks["trusted-access"].fix == "aws cloudformation activate-organizations-access"
    assert checks["delegated-admin"].fix == (
        f"aws organizations register-delegated-administrator --account-id {organization.security}"
        " --service-principal account.amazonaws.com"
    )
    slots = checks["scp-slots"]
    assert slots.subject == organization.ou_id
    assert "2 of 10 slots free, 4 needed" in slots.detail
    for owner in ("FullAWSAccess (AWS default", "aws-guardrails-AbCdEf (AWS Control Tower)",
                  "AcceleratorGuardrails1 (Landing Zone Accelerator)",
                  "team-deny-regions (your organization)"):  # fmt: skip
        assert owner in slots.detail
    assert "TOTHER" in checks["chatbot"].detail
    assert "AWS Chatbot console" in checks["chatbot"].fix


def test_an_account_that_does_not_trust_the_deployer_gets_the_exact_bootstrap(
    organization: Organization,
) -> None:
    sessions = MotoSessions(organization, untrusting=organization.security)
    no_slack = {P + "slack-workspace-id": None, P + "slack-channel-id": None}
    checks = failed(run_checks(organization.config(**no_slack), sessions))
    (check,) = checks.values()
    assert check.subject == f"aws://{organization.security}/{HOME}"
    assert f"not with --trust {organization.management}" in check.detail
    assert check.fix == (
        f"npx cdk bootstrap aws://{organization.security}/{HOME} --trust {organization.management}"
        f" --trust-for-lookup {organization.management}"
        " --cloudformation-execution-policies arn:aws:iam::aws:policy/AdministratorAccess"
    )


def test_an_unbootstrapped_region_and_an_old_bootstrap_fail(organization: Organization) -> None:
    ssm = SESSION.client("ssm", region_name=REGION)
    ssm.delete_parameter(Name=preflight.BOOTSTRAP_VERSION_PARAMETER)
    _bootstrap(HOME, version="5")
    single = load_config({P + "home-region": REGION, P + "notification-emails": ["a@corp.io"]})
    checks = [c for c in run_checks(single, MotoSessions(organization))
              if c.check == "bootstrap" and c.failed]  # fmt: skip
    assert [(c.subject, c.detail) for c in checks] == [
        (f"aws://{organization.management}/{REGION}",
         "not bootstrapped (no CDK bootstrap version parameter)"),
    ]  # fmt: skip
    assert checks[0].fix == f"npx cdk bootstrap aws://{organization.management}/{REGION}"
    checks = [c for c in run_checks(organization.config(), MotoSessions(organization))
              if c.check == "bootstrap" and c.failed]  # fmt: skip
    assert [(c.subject, c.detail) for c in checks] == [
        (f"aws://{organization.management}/{HOME}", "bootstrap version 5 is older than 6"),
    ]


def test_credentials_of_another_account_are_named(organization: Organization) -> None:
    config = organization.config(**{P + "management-account-id": "999999999999"})
    checks = failed(run_checks(config, MotoSessions(organization)))
    assert "not the management account 999999999999" in checks["organization"].detail


def test_the_command_exits_like_the_readiness_report(
    organization: Organization, tmp_path: Path
) -> None:
    config_file = tmp_path / "org.json"
    config_file.write_text(json.dumps(organization.context()))
    out = io.StringIO()
    code = main(["--config", str(config_file)], lambda: MotoSessions(organization), out)
    assert (code, out.getvalue().splitlines()[-1]) == (0, "pre-flight: ready to deploy")
    out = io.StringIO()
    untrusted = MotoSessions(organization, untrusting=organization.security)
    code = main(["--config", str(config_file), "--json"], lambda: untrusted, out)
    assert code == 1
    assert {c["check"] for c in json.loads(out.getvalue()) if c["status"] == "fail"} >= {
        "bootstrap"
    }
    out = io.StringIO()
    config_file.write_text("{")
    assert main(["--config", str(config_file)], lambda: MotoSessions(organization), out) == 2
    assert "is not valid JSON" in out.getvalue()


def test_no_credentials_cannot_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                     "AWS_PROFILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"):  # fmt: skip
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    out = io.StringIO()
    assert main([], out=out) == 2
    assert "pre-flight could not run: NoCredentialsError" in out.getvalue()


def test_bootstrap_environments_are_where_the_stacks_deploy(org_synth: Synthesized) -> None:
    """The pre-flight and stacks/topology.py must agree on where CDK deploys."""
    deployed = {(s.account, s.region) for s in org_synth.stacks}
    expected = set(preflight.bootstrap_environments(org_synth.config, caller="000000000000"))
    assert deployed == expected


def test_the_slots_needed_are_the_scps_we_write() -> None:
    exemptions = Exemptions(break_glass=(), admins=(), automation=())
    assert len(service_control_policies(exemptions)) == preflight.OUR_SCP_COUNT


def test_a_security_account_outside_its_declared_ou_fails(organization: Organization) -> None:
    elsewhere = "ou-ab12-elsewhere"
    config = organization.config(**{P + "security-account-ou-id": elsewhere,
                                    P + "target-ou-ids": [organization.ou_id, elsewhere]})
    check = failed(run_checks(config, MotoSessions(organization)))["security-ou"]
    assert check.subject == organization.security
    assert f"not in {elsewhere} as security-account-ou-id says" in check.detail
    assert check.fix.startswith(f"set security-account-ou-id to {organization.ou_id}")



def test_control_towers_root_control_without_exempt_assume_root_is_a_warning_with_its_fix(
    organization: Organization,
) -> None:
    """AWS-GR_RESTRICT_ROOT_USER without ExemptAssumeRoot denies sts:AssumeRoot in its OU: a
    warning (the deploy works, recovery would not) whose fix keeps the other parameters."""
    exempted: list[dict[str, Any]] = [{"key": "ExemptAssumeRoot", "value": True}]
    others: list[dict[str, Any]] = [
        {"key": "ExemptedPrincipalArns", "value": ["arn:aws:iam::*:role/BreakGlassAdmin"]}
    ]
    controls: dict[str, tuple[str, list[dict[str, Any]]]] = {
        _enabled(1): (RESTRICT_ROOT, exempted),
        _enabled(2): (RESTRICT_ROOT, others),
        _enabled(3): (OTHER_CONTROL, []),  # another control's parameters are not read
        _enabled(4): (RESTRICT_ROOT, [{"key": "ExemptAssumeRoot", "value": False}]),
    }
    checks = run_checks(organization.config(), MotoSessions(organization, controls=controls))
    tower = [c for c in checks if c.check == "control-tower"]
    assert [c.status for c in tower] == ["ok", "warn", "warn"]
    assert failed(checks) == {}  # a warning does not fail the pre-flight
    assert tower[0].subject.endswith("ou-ab12-00000000")
    assert "denies sts:AssumeRoot sessions" in tower[1].detail
    assert tower[1].fix == (
        f"aws controltower update-enabled-control --region {HOME} --enabled-control-identifier "
        f"{_enabled(2)} --parameters '[{{\"key\":\"ExemptedPrincipalArns\",\"value\":"
        f"[\"arn:aws:iam::*:role/BreakGlassAdmin\"]}},{{\"key\":\"ExemptAssumeRoot\","
        f"\"value\":true}}]'"
    )
    assert '[{"key":"ExemptAssumeRoot","value":true}]' in tower[2].fix
    rendered = preflight.render(checks)
    assert "[warn] control-tower" in rendered
    assert rendered.endswith("pre-flight: ready to deploy")


def test_no_landing_zone_and_no_root_control_are_said_so(organization: Organization) -> None:
    checks = run_checks(organization.config(), MotoSessions(organization))
    (tower,) = [c for c in checks if c.check == "control-tower"]
    assert (tower.status, tower.subject) == ("ok", HOME)
    assert "not enabled on any OU" in tower.detail

    no_landing_zone = MotoSessions(organization, tower_error="ResourceNotFoundException")
    checks = run_checks(organization.config(), no_landing_zone)
    (tower,) = [c for c in checks if c.check == "control-tower"]
    assert (tower.status, tower.detail) == ("info", "no Control Tower landing zone here")

    denied_sessions = MotoSessions(organization, tower_error="AccessDeniedException")
    denied = failed(run_checks(organization.config(), denied_sessions))
    assert "AccessDeniedException" in denied["control-tower"].detail
