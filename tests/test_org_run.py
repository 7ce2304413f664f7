"""The scheduled organization readiness run, without AWS: its three functions against the simulated
organization (moto, tests/simulated_org.py) and stubs, and its synthesized state machine.

* The account function finds what the laptop command finds (the same personas, the same
  findings), and turns a missing reader role, a member that left the organization mid-run and
  throttling the retries did not save into a finding of that account; a malformed item is refused
  before any call.
* The aggregation reads the map's result files as the result writer lays them out (manifest,
  SUCCEEDED and FAILED files), makes a failed child and a listed account without a result a
  finding, writes the four report files, imports Security Hub findings with stable ids (fixed
  ones archived at the next run) and sends one change alert, not repeated.
* The Config rule writes one evaluation per member from the run's summary, and a stale run is a
  finding of its own.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from constructs_lib.detective.runtime import handler as rule
from constructs_lib.detective.runtime import org_check, org_run
from constructs_lib.detective.runtime.org_report import Account
from constructs_lib.detective.runtime.readiness import Status
from constructs_lib.naming import READINESS_READER_ROLE_NAME
from tests import simulated_org

BUCKET = "mfa-guardrails-org-readiness-123456789012-us-east-1"
TOPIC = "arn:aws:sns:us-east-1:123456789012:mfa-guardrails-alerts"
NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


class _Context:
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:x"


@pytest.fixture(scope="module")
def org() -> Iterator[dict[str, Any]]:
    """One simulated organization (every persona once) with the run's bucket, for the module."""
    saved = dict(os.environ)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                      AWS_DEFAULT_REGION="us-east-1", **{org_run.BUCKET_ENV: BUCKET,
                      org_run.LOCKOUT_GROUPS_ENV: f"MfaRequired {simulated_org.CONFIG_GROUP}",
                      org_run.LOCKOUT_ROLES_ENV: simulated_org.CONFIG_ROLE,
                      org_run.ALERT_TOPIC_ENV: TOPIC,
                      org_run.RECOVERY_EMAIL_DOMAINS_ENV: "acme.test"})  # fmt: skip
    import boto3
    from moto import mock_aws

    with mock_aws(), simulated_org.no_real_waits():
        simulated = simulated_org.build(len(simulated_org.PERSONAS))
        base = boto3.Session(region_name="us-east-1")
        session_for = simulated.session_for(org_check.retrying_session_factory(base))
        s3 = base.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        yield {"org": simulated, "session_for": session_for, "s3": s3,
               "sts": session_for(None).client("sts"),
               "organizations": base.client("organizations")}  # fmt: skip
    os.environ.clear()
    os.environ.update(saved)


def _check(org: dict[str, Any], item: Any) -> dict[str, Any]:
    return org_run.account_handler({"account": item}, _Context(), sts=org["sts"],
                                   session_for=org["session_for"])  # fmt: skip


def _to_fix(output: dict[str, Any]) -> set[tuple[str, str]]:
    return {(f["check"], f["subject"]) for f in output["findings"]
            if f["status"] in (Status.NON_COMPLIANT, Status.INSUFFICIENT_DATA)}  # fmt: skip


# --- the account function ----------------------------------------------------------------


def test_the_reader_role_name_is_the_one_the_members_hold() -> None:
    assert org_check.READINESS_READER_ROLE_NAME == READINESS_READER_ROLE_NAME


def test_listing_writes_every_active_account_for_the_map(org: dict[str, Any]) -> None:
    listed = org_run.list_handler({"runId": "list-run"}, None,
                                  organizations=org["organizations"], s3=org["s3"])  # fmt: skip
    body = org["s3"].get_object(Bucket=BUCKET, Key=listed["key"])["Body"].read()
    accounts = json.loads(body)
    assert listed["count"] == len(accounts) == len(org["org"].personas)
    assert {a["id"] for a in accounts} == set(org["org"].personas)
    assert all(set(a) == {"id", "name", "ou"} for a in accounts)


def test_each_account_shows_its_personas_findings(org: dict[str, Any]) -> None:
    from tests.test_org_readiness import EXPECTED

    listed = org_run.list_handler({"runId": "persona-run"}, None,
                                  organizations=org["organizations"], s3=org["s3"])  # fmt: skip
    accounts = json.loads(org["s3"].get_object(Bucket=BUCKET, Key=listed["key"])["Body"].read())
    for item in accounts:
        persona = org["org"].personas[item["id"]]
        expected = {(c, s.format(id=item["id"])) for c, s in EXPECTED[persona]}
        assert _to_fix(_check(org, item)) == expected, persona


def test_a_member_that_left_mid_run_is_a_finding_not_a_failure(org: dict[str, Any]) -> None:
    healthy = next(a for a, p in org["org"].personas.items()
                   if p == "healthy" and a != simulated_org.SECURITY_ACCOUNT)  # fmt: skip
    item = {"id": healthy, "name": "gone", "ou": "Root/Workloads"}
    org["org"].refused[healthy] = "Account is not a member of the organization"
    try:
        output = _check(org, item)
    finally:
        del org["org"].refused[healthy]
    (finding,) = output["findings"]
    assert (finding["check"], finding["status"]) == ("reader-role", "INSUFFICIENT_DATA")
    assert "AccessDenied" in finding["fix"]
    assert "123456789012" in finding["fix"]


def test_throttling_the_retries_did_not_save_is_a_finding() -> None:
    class Sts:
        def assume_role(self, **_: Any) -> Any:
            return {"Credentials": {"AccessKeyId": "A", "SecretAccessKey": "S"}}

    class Throttled:
        region_name = "us-east-1"

        def client(self, *_: Any, **__: Any) -> Any:
            raise ClientError({"Error": {"Code": "Throttling"}}, "GetContactInformation")

    output = org_run.account_handler(
        {"account": {"id": "333333333333", "name": "x", "ou": "Root"}}, _Context(),
        sts=Sts(), session_for=lambda _: Throttled())  # fmt: skip
    (finding,) = output["findings"]
    assert (finding["check"], finding["status"]) == ("report-error", "INSUFFICIENT_DATA")
    assert "Throttling" in finding["fix"]


@pytest.mark.parametrize("item", [None, "123456789012", {"id": "12345", "name": "x", "ou": "R"},
                                  {"id": "123456789012", "name": 7}])  # fmt: skip
def test_a_malformed_item_is_refused_before_any_call(item: Any) -> None:
    class NoCalls:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"called {name}")

    with pytest.raises(org_run.InvalidInputError, match="account"):
        org_run.account_handler({"account": item}, _Context(), sts=NoCalls(),
                                session_for=lambda _: NoCalls())  # fmt: skip


def test_a_huge_account_keeps_every_finding_to_fix_within_the_payload() -> None:
    from constructs_lib.detective.runtime.org_report import AccountResult
    from constructs_lib.detective.runtime.readiness import Finding

    findings = tuple(Finding(check="user-mfa", subject=f"user u{i}", fix="2 MFA devices " * 20,
                             headline="ok", status=Status.COMPLIANT if i % 10 else
                             Status.NON_COMPLIANT) for i in range(3000))  # fmt: skip
    output = org_run.result_to_json(AccountResult(Account("123456789012", "big", "Root"),
                                                  findings))  # fmt: skip
    assert len(json.dumps(output)) <= org_run.OUTPUT_BUDGET
    assert len(output["findings"]) == 300
    assert output["passingOmitted"] == 2700


# --- the aggregation -----------------------------------------------------------------------


class _SecurityHub:
    def __init__(self) -> None:
        self.imported: list[dict[str, Any]] = []

    def batch_import_findings(self, Findings: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        assert len(Findings) <= org_run.SECURITY_HUB_BATCH
        self.imported += Findings
        return {"FailedCount": 0, "SuccessCount": len(Findings), "FailedFindings": []}


class _Sns:
    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    def publish(self, **message: Any) -> dict[str, Any]:
        self.published.append(message)
        return {"MessageId": "1"}


def _map_run(org: dict[str, Any], run_id: str, outputs: list[dict[str, Any]],
             failed: list[dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
    """The result writer's layout: results/<map run id>/{manifest,SUCCEEDED_0,FAILED_0}.json."""
    prefix = f"{org_run.RESULTS_PREFIX}/{run_id}-map"
    entries = {"SUCCEEDED": [{"Input": json.dumps({"account": o["account"]}),
                              "Output": json.dumps(o), "Status": "SUCCEEDED"} for o in outputs],
               "FAILED": failed}  # fmt: skip
    manifest: dict[str, Any] = {"DestinationBucket": BUCKET, "MapRunArn": "arn:x",
                                "ResultFiles": {"FAILED": [], "PENDING": [], "SUCCEEDED": []}}
    for status, items in entries.items():
        key = f"{prefix}/{status}_0.json"
        org["s3"].put_object(Bucket=BUCKET, Key=key, Body=json.dumps(items).encode())
        manifest["ResultFiles"][status].append({"Key": key, "Size": 1})
    org["s3"].put_object(Bucket=BUCKET, Key=f"{prefix}/manifest.json",
                         Body=json.dumps(manifest).encode())  # fmt: skip
    return {"runId": run_id, "map": {"ResultWriterDetails": {
        "Bucket": BUCKET, "Key": f"{prefix}/manifest.json"}}}  # fmt: skip


@pytest.fixture(scope="module")
def runs(org: dict[str, Any]) -> dict[str, Any]:
    """Two runs: the first with one crashed child and one account never run; the second after
    the locked-out user of one account got a TOTP device (his finding is fixed)."""
    listed = org_run.list_handler({"runId": "run-1"}, None, organizations=org["organizations"],
                                  s3=org["s3"])  # fmt: skip
    accounts = json.loads(org["s3"].get_object(Bucket=BUCKET, Key=listed["key"])["Body"].read())
    by_persona = {org["org"].personas[a["id"]]: a for a in accounts}
    crashed, missing = by_persona["single-device"], by_persona["stale-key"]
    outputs = [_check(org, a) for a in accounts if a not in (crashed, missing)]
    failed = [{"Input": json.dumps({"account": crashed}), "Error": "Lambda.Unknown",
               "Cause": "The function timed out", "Status": "FAILED"},
              {"Input": "not json", "Error": "States.Runtime", "Cause": "?"}]  # fmt: skip
    hub, sns = _SecurityHub(), _Sns()
    first = org_run.aggregate_handler(_map_run(org, "run-1", outputs, failed), None, s3=org["s3"],
                                      securityhub=hub, sns=sns, security_account="123456789012",
                                      now=NOW)  # fmt: skip
    first_hub, first_alerts = list(hub.imported), list(sns.published)
    # Run 2: the same results, but bob (locked out, no device) is fixed.
    org["s3"].put_object(Bucket=BUCKET, Key=f"{org_run.RUNS_PREFIX}run-2/{org_run.ACCOUNTS_FILE}",
                         Body=json.dumps(accounts).encode())  # fmt: skip
    fixed = by_persona["locked-out-no-device"]["id"]
    second_outputs = [{**o, "findings": [f for f in o["findings"] if f["check"] != "cli-lockout"]}
                      if o["account"]["id"] == fixed else o for o in outputs]  # fmt: skip
    hub.imported.clear()
    second = org_run.aggregate_handler(
        _map_run(org, "run-2", second_outputs, failed[:1]), None, s3=org["s3"], securityhub=hub,
        sns=sns, security_account="123456789012", now=NOW + timedelta(days=1))  # fmt: skip
    return {"accounts": accounts, "by_persona": by_persona, "first": first, "second": second,
            "first_hub": first_hub, "second_hub": list(hub.imported), "fixed": fixed,
            "first_alerts": first_alerts, "second_alerts": sns.published[len(first_alerts):],
            "crashed": crashed["id"], "missing": missing["id"]}  # fmt: skip


def _report(org: dict[str, Any], key: str) -> str:
    body: bytes = org["s3"].get_object(Bucket=BUCKET, Key=key)["Body"].read()
    return body.decode()


def test_every_listed_account_is_in_the_report_in_all_four_formats(
    org: dict[str, Any], runs: dict[str, Any]
) -> None:
    for prefix in ("runs/run-1/", "latest/"):
        for kind in org_run.REPORT_KINDS:
            assert _report(org, f"{prefix}report.{kind}")
    document = json.loads(_report(org, "runs/run-1/report.json"))
    assert [a["id"] for a in document["accounts"]] == [a["id"] for a in runs["accounts"]]
    assert document["totals"]["accountsListed"] == len(runs["accounts"])
    rows = list(csv.DictReader(io.StringIO(_report(org, "runs/run-1/report.csv"))))
    assert {r["account_id"] for r in rows} == {a["id"] for a in runs["accounts"]}
    assert runs["first"]["failedChildren"] == 2
    assert runs["first"]["report"] == f"s3://{BUCKET}/runs/run-1/report.html"


def test_a_crashed_child_and_an_account_without_result_are_findings(
    org: dict[str, Any], runs: dict[str, Any]
) -> None:
    document = json.loads(_report(org, "runs/run-1/report.json"))
    by_id = {a["id"]: a for a in document["accounts"]}
    (crashed,) = by_id[runs["crashed"]]["findings"]
    assert crashed["check"] == "report-error"
    assert "The function timed out" in crashed["fix"]
    (missing,) = by_id[runs["missing"]]["findings"]
    assert missing["check"] == "report-error"
    assert "no result" in missing["fix"]


def test_security_hub_gets_every_finding_to_fix_with_stable_ids(runs: dict[str, Any]) -> None:
    first = {f["Id"]: f for f in runs["first_hub"]}
    assert all(f["RecordState"] == "ACTIVE" for f in first.values())
    assert all(f["AwsAccountId"] == "123456789012" for f in first.values())
    bob = f"mfa-guardrails/{runs['fixed']}/cli-lockout/user:bob"
    assert first[bob]["Severity"]["Label"] == "HIGH"
    assert first[bob]["Resources"][0]["Id"] == f"AWS::::Account:{runs['fixed']}"
    assert first[bob]["Compliance"]["RelatedRequirements"] == ["AWS Security Hub control IAM.19"]
    assert all(len(f["Title"]) <= 256 and len(f["Description"]) <= 1024 for f in first.values())
    second = {f["Id"]: f for f in runs["second_hub"]}
    # Re-run: the same ids update; bob's is archived; the rest stay active.
    assert set(second) == set(first)
    assert second[bob]["RecordState"] == "ARCHIVED"
    assert second[bob]["Compliance"]["Status"] == "PASSED"
    assert sum(f["RecordState"] == "ARCHIVED" for f in second.values()) == 1


def test_one_change_alert_with_account_and_fix_and_no_repeat(runs: dict[str, Any]) -> None:
    (alert,) = runs["first_alerts"]
    assert alert["TopicArn"] == TOPIC
    assert len(alert["Subject"]) <= 100
    gina = runs["by_persona"]["locked-out-configured-group"]["id"]
    assert f"{gina} (" in alert["Message"]
    assert "gina would be locked out" in alert["Message"]
    phone = runs["by_persona"]["phone-without-plus"]["id"]
    assert f"{phone} (" in alert["Message"]
    assert "recovery phone cannot be called" in alert["Message"]
    assert "Fix: " in alert["Message"]
    assert "s3://" in alert["Message"]
    assert runs["second_alerts"] == []  # nothing new in run 2 (one fixed)


def test_the_config_rule_writes_one_evaluation_per_member_from_the_run(
    org: dict[str, Any], runs: dict[str, Any]
) -> None:
    summary = rule.read_run_summary(org["s3"], BUCKET)
    assert summary is not None
    invocation = rule.Invocation(result_token="t", account_id=simulated_org.SECURITY_ACCOUNT,
                                 ordering_timestamp=NOW, rule_name="r",
                                 require_operations_contact=False)  # fmt: skip
    evaluations = {e["ComplianceResourceId"]: e
                   for e in rule.member_evaluations(summary, invocation)}  # fmt: skip
    assert simulated_org.SECURITY_ACCOUNT not in evaluations
    assert len(evaluations) == len(runs["accounts"]) - 1
    locked = runs["by_persona"]["locked-out-configured-group"]["id"]
    assert evaluations[locked]["ComplianceType"] == "NON_COMPLIANT"
    assert "gina" in evaluations[locked]["Annotation"]
    healthy = runs["by_persona"]["root-without-credentials"]["id"]
    assert evaluations[healthy]["ComplianceType"] == "COMPLIANT"
    assert all(len(e["Annotation"]) <= rule.ANNOTATION_LIMIT for e in evaluations.values())


def test_a_missing_or_stale_run_is_a_finding_of_the_security_account() -> None:
    fresh = {"generatedAt": NOW.isoformat()}
    assert rule.run_freshness(fresh, NOW + timedelta(hours=47), 48, "s3://b").status is (
        Status.COMPLIANT)
    for summary in (None, fresh):
        stale = rule.run_freshness(summary, NOW + timedelta(hours=49), 48, "s3://b")
        assert stale.status is Status.NON_COMPLIANT
        assert "make org-readiness IN_AWS=1" in stale.fix


def test_a_malformed_aggregation_input_fails_before_any_write() -> None:
    class NoCalls:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"called {name}")

    for event in (None, {"runId": "../x", "map": {}}, {"runId": "r", "map": {"x": 1}}):
        with pytest.raises(org_run.InvalidInputError):
            org_run.aggregate_handler(event, None, s3=NoCalls(), securityhub=NoCalls(),
                                      sns=NoCalls(), security_account="123456789012")  # fmt: skip


# --- the synthesized state machine ----------------------------------------------------------


def _definition(template: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The state machine's resource and its definition (tokens as their logical ids)."""
    (machine,) = [r for r in template["Resources"].values()
                  if r["Type"] == "AWS::StepFunctions::StateMachine"]  # fmt: skip
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    text = "".join(p if isinstance(p, str) else (p.get("Ref") or p["Fn::GetAtt"][0])
                   for p in parts)  # fmt: skip
    return machine, json.loads(text)


def test_the_state_machine_is_a_distributed_map_run(org_synth: Any) -> None:
    from constructs_lib.org_readiness_run import construct

    template = org_synth.templates["MfaGuardrailsSecurity"]
    machine, definition = _definition(template)
    resources = template["Resources"]
    bucket = next(k for k, r in resources.items() if r["Type"] == "AWS::S3::Bucket")
    functions = {r["Properties"]["FunctionName"]: (k, r) for k, r in resources.items()
                 if r["Type"] == "AWS::Lambda::Function"}  # fmt: skip
    assert machine["Properties"]["StateMachineName"] == "mfa-guardrails-org-readiness"
    states = definition["States"]
    assert definition["StartAt"] == "ListAccounts"
    assert states["ListAccounts"]["Next"] == "CheckEveryAccount"
    mapped = states["CheckEveryAccount"]
    assert mapped["ItemProcessor"]["ProcessorConfig"] == {"Mode": "DISTRIBUTED",
                                                          "ExecutionType": "EXPRESS"}
    assert mapped["MaxConcurrency"] == org_synth.config.org_readiness_concurrency == 50
    assert mapped["ToleratedFailurePercentage"] == 100
    assert mapped["ItemReader"]["Parameters"] == {"Bucket": bucket, "Key.$": "$.accounts.key"}
    assert mapped["ItemReader"]["ReaderConfig"] == {"InputType": "JSON"}
    assert mapped["ResultWriter"]["Parameters"] == {"Bucket": bucket,
                                                    "Prefix": org_run.RESULTS_PREFIX}
    assert mapped["ItemSelector"] == {"account.$": "$$.Map.Item.Value"}
    assert mapped["Next"] == "Aggregate"
    assert mapped["ResultPath"] == "$.map"
    check = mapped["ItemProcessor"]["States"]["CheckAccount"]
    account_id, account_fn = functions["mfa-guardrails-org-readiness-account"]
    assert check["Resource"] == account_id
    (retry,) = check["Retry"]
    assert "Lambda.TooManyRequestsException" in retry["ErrorEquals"]
    assert retry["BackoffRate"] == 2
    # Every attempt of the account function and the waits between them fit one Express child.
    attempts = retry["MaxAttempts"] + 1
    waits = sum(retry["IntervalSeconds"] * 2**i for i in range(retry["MaxAttempts"]))
    assert attempts * account_fn["Properties"]["Timeout"] + waits <= (
        construct.EXPRESS_CHILD_LIMIT.to_seconds())
    aggregate = states["Aggregate"]
    assert aggregate["Resource"] == functions["mfa-guardrails-org-readiness-report"][0]
    assert aggregate["Parameters"] == {"runId.$": "$.accounts.runId", "map.$": "$.map"}
    assert aggregate["End"] is True
    report_timeout = functions["mfa-guardrails-org-readiness-report"][1]["Properties"]["Timeout"]
    assert report_timeout <= 900
    assert definition["TimeoutSeconds"] == 7200
    # The bucket: ours, encrypted, TLS only, no public access.
    props = resources[bucket]["Properties"]
    assert props["BucketName"]["Fn::Join"][1][0] == "mfa-guardrails-org-readiness-"
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert all(props["PublicAccessBlockConfiguration"].values())
    policy = next(r for r in resources.values() if r["Type"] == "AWS::S3::BucketPolicy")
    assert "aws:SecureTransport" in json.dumps(policy)
    # The schedule and the alarm on the run's own failure.
    (schedule,) = [r["Properties"] for r in resources.values()
                   if r["Type"] == "AWS::Scheduler::Schedule"
                   and r["Properties"]["Name"] == "mfa-guardrails-org-readiness"]  # fmt: skip
    assert schedule["ScheduleExpression"] == "rate(1 day)"
    assert schedule["Target"]["Arn"] == {"Ref": next(k for k, r in resources.items()
                                        if r["Type"] == "AWS::StepFunctions::StateMachine")}
    alarm = next(r["Properties"] for r in resources.values() if r["Type"] ==
                 "AWS::CloudWatch::Alarm" and r["Properties"].get("AlarmName") ==
                 "mfa-guardrails-org-readiness-failed")  # fmt: skip
    assert "ExecutionsFailed" in json.dumps(alarm)
    assert alarm["AlarmActions"]


def test_the_schedule_can_be_switched_off() -> None:
    from aws_cdk import App, Stack
    from aws_cdk import aws_sns as sns

    from constructs_lib.org_readiness_run import (
        OrganizationReadinessRun,
        OrganizationReadinessRunProps,
    )

    stack = Stack(App(), "S", env={"account": "123456789012", "region": "us-east-1"})
    topic = sns.Topic(stack, "T", topic_name="mfa-guardrails-t")
    run = OrganizationReadinessRun(stack, "Run", props=OrganizationReadinessRunProps(
        max_concurrency=5, schedule_expression=None, alert_topic=topic,
        operations_topic=topic, home_region="us-east-1"))  # fmt: skip
    assert run.schedule is None
    with pytest.raises(ValueError, match="1 to 10,000"):
        OrganizationReadinessRunProps(max_concurrency=0, schedule_expression=None,
                                      alert_topic=topic, operations_topic=topic,
                                      home_region="us-east-1")  # fmt: skip


# --- on demand: make org-readiness IN_AWS=1 -----------------------------------------------------


def _states_session(outcomes: list[str], *, missing: bool = False) -> tuple[Any, list[Any]]:
    import boto3
    from botocore.stub import Stubber

    sts = boto3.client("sts", region_name="us-east-1", aws_access_key_id="x",
                       aws_secret_access_key="x")  # fmt: skip
    states = boto3.client("stepfunctions", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")  # fmt: skip
    stubs = [Stubber(sts), Stubber(states)]
    stubs[0].add_response("get_caller_identity", {
        "Account": "222222222222", "UserId": "AROAEXAMPLE",
        "Arn": "arn:aws:sts::222222222222:assumed-role/BreakGlassAdmin/ops"})  # fmt: skip
    machine = "arn:aws:states:us-east-1:222222222222:stateMachine:mfa-guardrails-org-readiness"
    if missing:
        stubs[1].add_client_error("start_execution", "StateMachineDoesNotExist")
    else:
        stubs[1].add_response("start_execution", {"executionArn": f"{machine}:run",
                                                  "startDate": "2026-12-06T00:00:00Z"})
        for status in outcomes:
            stubs[1].add_response("describe_execution", {
                "executionArn": f"{machine}:run", "stateMachineArn": machine, "status": status,
                "startDate": "2026-12-06T00:00:00Z"})  # fmt: skip
    for stub in stubs:
        stub.activate()

    class Session:
        def client(self, service: str, **_: Any) -> Any:
            return {"sts": sts, "stepfunctions": states}[service]

    return Session(), stubs


@pytest.mark.parametrize(("outcomes", "code", "says"), [
    (["RUNNING", "RUNNING", "SUCCEEDED"], 0,
     "report: s3://mfa-guardrails-org-readiness-222222222222-us-east-1/runs/on-demand-"),
    (["RUNNING", "FAILED"], 1, "the run ended FAILED"),
])  # fmt: skip
def test_a_run_started_on_demand_is_waited_for_and_its_report_named(
    outcomes: list[str], code: int, says: str
) -> None:
    from mfa_guardrails.cli.org_run import run_in_aws

    session, stubs = _states_session(outcomes)
    out, slept = io.StringIO(), list[float]()
    assert run_in_aws(session, "us-east-1", out, sleep=slept.append) == code
    assert says in out.getvalue()
    assert out.getvalue().count("run on-demand-") == len(outcomes)  # one progress line a poll
    assert slept == [10.0] * (len(outcomes) - 1)
    for stub in stubs:
        stub.assert_no_pending_responses()


def test_no_deployed_run_says_how_to_get_one() -> None:
    from mfa_guardrails.cli.org_run import run_in_aws

    session, _ = _states_session([], missing=True)
    out = io.StringIO()
    assert run_in_aws(session, "us-east-1", out) == 2
    assert "deploy the security stack" in out.getvalue()


def test_a_run_most_of_whose_accounts_failed_fails_and_keeps_the_last_state(
    org: dict[str, Any]
) -> None:
    """A bad deploy or a missing permission fails every child: the state machine must fail (the
    operations alarm), and Security Hub and the Config evaluations keep the last good run."""
    listed = org_run.list_handler({"runId": "broken"}, None, organizations=org["organizations"],
                                  s3=org["s3"])  # fmt: skip
    accounts = json.loads(org["s3"].get_object(Bucket=BUCKET, Key=listed["key"])["Body"].read())
    failed = [{"Input": json.dumps({"account": a}), "Error": "Lambda.Unknown",
               "Cause": "AccessDenied", "Status": "FAILED"} for a in accounts]  # fmt: skip
    summary_before = org["s3"].list_objects_v2(Bucket=BUCKET, Prefix=org_run.CONFIG_SUMMARY_KEY)
    hub, sns = _SecurityHub(), _Sns()
    with pytest.raises(org_run.RunMostlyFailedError, match=f"{len(accounts)} of"):
        org_run.aggregate_handler(_map_run(org, "broken", [], failed), None, s3=org["s3"],
                                  securityhub=hub, sns=sns, security_account="123456789012",
                                  now=NOW)  # fmt: skip
    assert hub.imported == []
    assert sns.published == []
    report = org["s3"].get_object(Bucket=BUCKET, Key=f"{org_run.RUNS_PREFIX}broken/report.json")
    assert len(json.loads(report["Body"].read())["accounts"]) == len(accounts)
    after = org["s3"].list_objects_v2(Bucket=BUCKET, Prefix=org_run.CONFIG_SUMMARY_KEY)
    assert [o["ETag"] for o in after.get("Contents", [])] == [
        o["ETag"] for o in summary_before.get("Contents", [])]
