"""The recovery-readiness Config rule handler: a real-shaped periodic invocation in, the right
PutEvaluations call out; a malformed invocation raises and writes nothing.

The account is a moto account built with the helpers of ``tests/test_readiness.py`` (moto for IAM
and alternate contacts, a botocore Stubber for GetContactInformation, which moto 5.2.5 lacks).
Config is a recording fake for the content checks, and a botocore Stubber once, so the request
is also validated against the real PutEvaluations model.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from constructs_lib.detective.runtime import handler as rule
from constructs_lib.detective.runtime.readiness import Finding, Status
from tests.test_readiness import GOOD_PHONE, AwsAccount, MotoClients, moto_clients, root_summary

ACCOUNT = "123456789012"
TIME = "2026-03-01T06:00:00.123Z"


def invocation(**overrides: Any) -> dict[str, Any]:
    """A periodic Config custom-rule invocation, as Config sends it (strings inside strings)."""
    event: dict[str, Any] = {
        "invokingEvent": json.dumps(
            {
                "awsAccountId": ACCOUNT,
                "notificationCreationTime": TIME,
                "messageType": "ScheduledNotification",
                "recordVersion": "1.0",
            }
        ),
        "ruleParameters": json.dumps({"requireOperationsContact": "false"}),
        "resultToken": "eyJlbmNyeXB0ZWREYXRhIjpbLTEsNTVdfQ==",
        "eventLeftScope": False,
        "executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/config.amazonaws.com/"
        "AWSServiceRoleForConfig",
        "configRuleArn": f"arn:aws:config:us-east-1:{ACCOUNT}:config-rule/config-rule-abc123",
        "configRuleName": "mfa-guardrails-recovery-readiness",
        "configRuleId": "config-rule-abc123",
        "accountId": ACCOUNT,
        "version": "1.0",
    }
    event.update(overrides)
    return event


class LambdaContext:
    """The attributes of a Lambda context object the handler (and its logs) may read."""

    function_name = "mfa-guardrails-recovery-readiness"
    function_version = "$LATEST"
    invoked_function_arn = (
        f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:mfa-guardrails-recovery-readiness"
    )
    memory_limit_in_mb = 256
    aws_request_id = "5f5c8c53-0d4e-4a6a-9d7b-1b6d5a1d7e11"
    log_group_name = "/aws/lambda/mfa-guardrails-recovery-readiness"
    log_stream_name = "2026/03/01/[$LATEST]abcdef"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 300_000


class FakeConfig:
    """Records put_evaluations calls; Config accepts everything."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def put_evaluations(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        return {"FailedEvaluations": []}

    @property
    def evaluations(self) -> list[dict[str, Any]]:
        return [e for call in self.calls for e in call["Evaluations"]]


@pytest.fixture(scope="module")
def shared() -> Iterator[MotoClients]:
    with moto_clients() as clients:
        yield clients


@pytest.fixture
def aws(shared: MotoClients) -> Iterator[AwsAccount]:
    account = AwsAccount(shared)
    yield account
    account.close()


def run(aws: AwsAccount, event: dict[str, Any], config: Any) -> dict[str, Any]:
    result = rule.handler(event, LambdaContext(), clients=lambda: (aws.clients, config))
    aws.stubber.assert_no_pending_responses()
    return result


def test_ready_account_is_compliant(aws: AwsAccount) -> None:
    aws.phone(GOOD_PHONE).contact("SECURITY").user("alice", devices=2).user("bot", console=False)
    config = FakeConfig()
    result = run(aws, invocation(), config)
    assert result["compliance"] == "COMPLIANT"
    (call,) = config.calls
    assert call["ResultToken"] == "eyJlbmNyeXB0ZWREYXRhIjpbLTEsNTVdfQ=="
    account, *users = call["Evaluations"]
    assert account == {
        "ComplianceResourceType": "AWS::::Account",
        "ComplianceResourceId": ACCOUNT,
        "ComplianceType": "COMPLIANT",
        "Annotation": "recovery-ready: 4 checks passed",
        "OrderingTimestamp": datetime(2026, 3, 1, 6, 0, 0, 123000, tzinfo=UTC),
    }
    user_ids = {aws.iam.get_user(UserName=n)["User"]["UserId"]: n for n in ("alice", "bot")}
    assert {u["ComplianceResourceId"]: u["ComplianceType"] for u in users} == {
        next(k for k, v in user_ids.items() if v == "alice"): "COMPLIANT",
        next(k for k, v in user_ids.items() if v == "bot"): "NOT_APPLICABLE",
    }
    assert all(u["ComplianceResourceType"] == "AWS::IAM::User" for u in users)


def test_unready_account_lists_fixes_in_256_characters(aws: AwsAccount) -> None:
    root_summary(mfa=False, password=True)
    aws.phone("415 555 0100")  # no +, no SECURITY contact
    for index in range(30):
        aws.user(f"user-with-a-rather-long-name-{index:02d}", devices=index % 2)
    config = FakeConfig()
    result = run(aws, invocation(), config)
    account = config.evaluations[0]
    assert result["compliance"] == account["ComplianceType"] == "NON_COMPLIANT"
    annotation = account["Annotation"]
    assert len(annotation) <= rule.ANNOTATION_LIMIT
    assert annotation.startswith(
        "33 to fix: phone lacks + country code; add SECURITY contact; enable root MFA; "
    )
    assert annotation.endswith(" more)")
    assert "…" in annotation
    assert len(config.evaluations) == 31  # the account and its 30 users
    one = next(e for e in config.evaluations if e["Annotation"].startswith("one MFA device"))
    assert "single point of failure: register a second device (up to 8)" in one["Annotation"]
    assert all(0 < len(e["Annotation"]) <= rule.ANNOTATION_LIMIT for e in config.evaluations)


def test_denied_call_fails_closed_with_the_permission_named(aws: AwsAccount) -> None:
    """Config refuses INSUFFICIENT_DATA from PutEvaluations: the rule writes NON_COMPLIANT."""
    aws.deny_contact_information().contact("SECURITY").user("alice", devices=2)
    config = FakeConfig()
    run(aws, invocation(), config)
    account = config.evaluations[0]
    assert account["ComplianceType"] == "NON_COMPLIANT"
    assert account["Annotation"] == "1 to fix: needs account:GetContactInformation"


def test_operations_contact_rule_parameter(aws: AwsAccount) -> None:
    aws.phone(GOOD_PHONE).contact("SECURITY")
    config = FakeConfig()
    event = invocation(ruleParameters=json.dumps({"requireOperationsContact": "true"}))
    run(aws, event, config)
    assert config.evaluations[0]["Annotation"] == "1 to fix: add OPERATIONS contact"


def test_request_matches_the_put_evaluations_model(aws: AwsAccount) -> None:
    """A Stubber on a real config client validates the request against botocore's model."""
    aws.phone(GOOD_PHONE).contact("SECURITY").user("alice", devices=1)
    config = boto3.client("config", region_name="us-east-1")
    with Stubber(config) as stub:
        stub.add_response(
            "put_evaluations",
            {"FailedEvaluations": []},
            {"Evaluations": ANY, "ResultToken": "eyJlbmNyeXB0ZWREYXRhIjpbLTEsNTVdfQ=="},
        )
        result = run(aws, invocation(), config)
        stub.assert_no_pending_responses()
    assert result["compliance"] == "NON_COMPLIANT"
    assert result["annotation"] == "1 to fix: alice: add 2nd MFA device"


def test_lambda_clients_are_created_lazily_and_once(shared: MotoClients) -> None:
    rule.aws_clients.cache_clear()
    readiness, config = rule.aws_clients()
    assert rule.aws_clients() == (readiness, config)
    assert config.meta.service_model.service_name == "config"
    iam: Any = readiness.iam
    assert iam.meta.service_model.service_name == "iam"
    rule.aws_clients.cache_clear()


def test_more_than_100_evaluations_are_batched() -> None:
    findings = [
        Finding(
            check="user-mfa",
            subject=f"user u{i}",
            status=Status.COMPLIANT,
            fix="2 MFA devices",
            headline="ok",
            resource_type="AWS::IAM::User",
            resource_id=f"AIDA{i}",
        )
        for i in range(150)
    ]
    evaluations = rule.build_evaluations(findings, rule.parse_invocation(invocation()))
    config = FakeConfig()
    rule.put_evaluations(config, evaluations, "token")
    assert [len(c["Evaluations"]) for c in config.calls] == [100, 51]


def test_rejected_evaluations_raise() -> None:
    class Refusing(FakeConfig):
        def put_evaluations(self, **kwargs: Any) -> dict[str, Any]:
            return {"FailedEvaluations": kwargs["Evaluations"][:1]}

    with pytest.raises(RuntimeError, match="Config rejected 1 evaluation"):
        rule.put_evaluations(Refusing(), [{"ComplianceResourceId": "x"}], "token")


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ("not a dict", "event is str"),
        (invocation(resultToken=None), "resultToken is missing"),
        (invocation(resultToken=""), "resultToken is missing"),
        (invocation(invokingEvent="{not json"), "invokingEvent is not JSON"),
        (invocation(invokingEvent=None), "invokingEvent is NoneType"),
        (invocation(invokingEvent="[1]"), "invokingEvent is JSON list"),
        (
            invocation(
                invokingEvent=json.dumps(
                    {"messageType": "ConfigurationItemChangeNotification",
                     "notificationCreationTime": TIME}
                )
            ),
            "this rule must be periodic",
        ),
        (
            invocation(
                invokingEvent=json.dumps(
                    {"messageType": "ScheduledNotification", "notificationCreationTime": "soon"}
                )
            ),
            "notificationCreationTime = 'soon' is not a time",
        ),
        (invocation(accountId="12345"), "accountId = '12345' is not a 12-digit account id"),
        (invocation(ruleParameters="{oops"), "ruleParameters is not JSON"),
        (
            invocation(ruleParameters=json.dumps({"requireOperationsContact": "maybe"})),
            "requireOperationsContact = 'maybe' is not true or false",
        ),
    ],
)  # fmt: skip
def test_malformed_invocation_raises_and_writes_nothing(
    event: Any, message: str, caplog: pytest.LogCaptureFixture
) -> None:
    config = FakeConfig()

    def no_clients() -> Any:
        raise AssertionError("no AWS client may be created for a malformed invocation")

    with pytest.raises(rule.InvalidInvocationError, match=message):
        rule.handler(event, LambdaContext(), clients=no_clients)
    assert config.calls == []
    assert "rejected invocation" in caplog.text
    assert LambdaContext.aws_request_id in caplog.text


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(rule.InvalidInvocationError) as error:
        rule.parse_invocation(invocation(resultToken=None, accountId=None, invokingEvent="x"))
    assert str(error.value).count(";") == 2


@pytest.mark.parametrize("headline_length", [1, 40, 300])
def test_summary_never_exceeds_the_limit(headline_length: int) -> None:
    findings = [
        Finding(
            check="c",
            subject=f"s{i}",
            status=Status.NON_COMPLIANT,
            fix="f",
            headline="h" * headline_length,
        )
        for i in range(50)
    ]
    summary = rule.summarise(findings)
    assert 0 < len(summary) <= rule.ANNOTATION_LIMIT
    assert summary.startswith("50 to fix: ")
    if headline_length == 1:  # all 50 fit
        assert summary.count("h") == 50
    else:
        assert summary.endswith("more)") or summary.endswith("…")


def test_runtime_folder_is_self_contained() -> None:
    """The asset is the runtime folder as is: no aws_cdk, no third-party import at module level
    but boto3-free stdlib (boto3 is imported lazily inside aws_clients)."""
    import ast
    from pathlib import Path

    folder = Path(rule.__file__).parent
    for path in folder.glob("*.py"):
        tree = ast.parse(path.read_text())
        top = {
            (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
            for node in tree.body
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        }
        assert not {name for name in top if name.split(".")[0] in {"aws_cdk", "boto3", "botocore"}}


# --- organization-wide: one evaluation per member, from the scheduled run's summary -------

MEMBER_READY, MEMBER_UNREADY = "444444444444", "555555555555"


@pytest.mark.parametrize("age_hours", [1, 72])
def test_members_are_evaluated_from_the_latest_run(
    aws: AwsAccount, monkeypatch: pytest.MonkeyPatch, age_hours: int
) -> None:
    aws.phone(GOOD_PHONE).contact("SECURITY").user("alice", devices=2)
    monkeypatch.setenv(rule.ORG_READINESS_BUCKET_ENV, "mfa-guardrails-org-readiness-x")
    monkeypatch.setenv(rule.ORG_READINESS_MAX_AGE_ENV, "48")
    generated = datetime.now(UTC) - timedelta(hours=age_hours)
    summary = {"generatedAt": generated.isoformat(), "accounts": {
        ACCOUNT: {"status": "COMPLIANT", "annotation": "ok"},
        MEMBER_READY: {"status": "COMPLIANT", "annotation": "recovery-ready"},
        MEMBER_UNREADY: {"status": "INSUFFICIENT_DATA", "annotation": "reader role " * 40},
    }}  # fmt: skip
    asked: list[str] = []
    config = FakeConfig()

    def run_summary(bucket: str) -> dict[str, Any]:
        asked.append(bucket)
        return summary

    rule.handler(invocation(), LambdaContext(), clients=lambda: (aws.clients, config),
                 run_summary=run_summary)  # fmt: skip
    assert asked == ["mfa-guardrails-org-readiness-x"]
    by_id = {e["ComplianceResourceId"]: e for e in config.evaluations
             if e["ComplianceResourceType"] == "AWS::::Account"}  # fmt: skip
    assert set(by_id) == {ACCOUNT, MEMBER_READY, MEMBER_UNREADY}  # its own account once
    assert by_id[MEMBER_READY]["ComplianceType"] == "COMPLIANT"
    # A member the run could not read fails closed, its annotation within Config's limit.
    assert by_id[MEMBER_UNREADY]["ComplianceType"] == "NON_COMPLIANT"
    assert len(by_id[MEMBER_UNREADY]["Annotation"]) <= 256
    # A run older than the max age is a finding of the security account itself.
    own = by_id[ACCOUNT]
    assert (own["ComplianceType"] == "NON_COMPLIANT") is (age_hours > 48)
    assert ("org run missing or stale" in own["Annotation"]) is (age_hours > 48)
