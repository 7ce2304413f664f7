"""make upgrade-check: every replacement and every security-broadening change, in plain words;
exit 0 nothing, 1 findings, 2 cannot run. Hand-built template pairs (no synth), the session's
real synth, CloudFormation through a botocore Stubber, and no credentials (no network)."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from mfa_guardrails.cli import upgrade_check
from mfa_guardrails.templates import Unit, assembly_units
from tests.synth import Synthesized

SCP: dict[str, Any] = {
    "Type": "AWS::Organizations::Policy",
    "Properties": {
        "Name": "mfa-guardrails-account-protection",
        "Type": "SERVICE_CONTROL_POLICY",
        "TargetIds": ["ou-ab12-workload1", "222222222222"],
        "Content": {"Version": "2012-10-17", "Statement": [
            {"Sid": "DenyDeviceRemoval", "Effect": "Deny",
             "Action": ["iam:DeactivateMFADevice", "iam:DeleteVirtualMFADevice"], "Resource": "*",
             "Condition": {"ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::*:role/Admin"]}}},
            {"Sid": "DenyContactChanges", "Effect": "Deny",
             "Action": "account:PutContactInformation", "Resource": "*"},
        ]},
    },
}  # fmt: skip
ROLE: dict[str, Any] = {
    "Type": "AWS::IAM::Role",
    "Properties": {
        "RoleName": "mfa-guardrails-notifier",
        "AssumeRolePolicyDocument": {"Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"Service": "lambda.amazonaws.com"}}]},
        "Policies": [{"PolicyName": "Publish", "PolicyDocument": {"Statement": [
            {"Sid": "Publish", "Effect": "Allow", "Action": "sns:Publish",
             "Resource": {"Ref": "Topic"}}]}}],
    },
}  # fmt: skip
QUEUE: dict[str, Any] = {
    "Type": "AWS::SQS::Queue", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
    "Properties": {"QueueName": "mfa-guardrails-rule-dead-letters"},
}  # fmt: skip
TEMPLATE = {"Resources": {"Scp": SCP, "NotifierRole": ROLE, "DeadLetters": QUEUE}}
# The Lambda bundles of a synth: templates are all an installed cdk.out needs here.
ASSETS = shutil.ignore_patterns("asset.*")


def _check(edit: Any) -> tuple[list[str], list[str]]:
    new = copy.deepcopy(TEMPLATE)
    edit(new["Resources"])
    return upgrade_check.compare(
        {"Stack": Unit("Stack", TEMPLATE, "")}, {"Stack": Unit("Stack", new, "")}, "config"
    )


def test_an_unchanged_template_has_nothing_to_report() -> None:
    assert _check(lambda resources: None) == ([], [])
    assert upgrade_check.report([], []) == "no replacements\nno security-broadening changes"


def test_a_renamed_logical_id_and_a_changed_queue_name_are_replacements() -> None:
    def edit(resources: dict[str, Any]) -> None:
        resources["Deadletters2"] = resources.pop("DeadLetters")
        resources["NotifierRole"]["Properties"]["RoleName"] = "mfa-guardrails-notifier-2"

    replaced, _ = _check(edit)
    assert replaced == [
        "config/Stack: NotifierRole (AWS::IAM::Role mfa-guardrails-notifier) is replaced: its "
        "create-only property RoleName changes from mfa-guardrails-notifier to "
        "mfa-guardrails-notifier-2",
        "config/Stack: DeadLetters (AWS::SQS::Queue mfa-guardrails-rule-dead-letters) has a new "
        "logical id, Deadletters2: CloudFormation creates Deadletters2 and then deletes "
        "DeadLetters (DeletionPolicy Retain: it stays in the account, outside the stack)",
    ]


def test_scp_statement_removed_exemption_grown_actions_dropped_and_detached() -> None:
    def edit(resources: dict[str, Any]) -> None:
        properties = resources["Scp"]["Properties"]
        properties["TargetIds"] = ["ou-ab12-workload1"]
        statements = properties["Content"]["Statement"]
        statements.pop()  # DenyContactChanges
        statements[0]["Action"] = ["iam:DeactivateMFADevice"]
        statements[0]["Condition"]["ArnNotLike"]["aws:PrincipalArn"].append(
            "arn:aws:iam::*:role/Helpdesk")

    replaced, broadened = _check(edit)
    assert replaced == []
    where = "config/Stack: Scp (AWS::Organizations::Policy)"
    assert broadened == [
        f"{where}: the SCP is detached from 222222222222",
        f"{where} Content statement DenyDeviceRemoval no longer denies actions "
        "iam:DeleteVirtualMFADevice",
        f"{where} Content statement DenyDeviceRemoval exempts more (aws:PrincipalArn "
        "ArnNotLike): arn:aws:iam::*:role/Helpdesk",
        f"{where} Content: the Deny statement DenyContactChanges is removed",
    ]


def test_iam_grants_more_actions_resources_and_principals_and_a_dropped_retain() -> None:
    def edit(resources: dict[str, Any]) -> None:
        role = resources["NotifierRole"]["Properties"]
        publish = role["Policies"][0]["PolicyDocument"]["Statement"][0]
        publish["Action"] = ["sns:Publish", "sns:Subscribe"]
        publish["Resource"] = "*"
        role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"] = "arn:aws:iam::1:root"
        del resources["DeadLetters"]["DeletionPolicy"]

    _, broadened = _check(edit)
    role = "config/Stack: NotifierRole (AWS::IAM::Role)"
    assert broadened == [
        f"{role} AssumeRolePolicyDocument statement #0 now allows principals "
        "AWS arn:aws:iam::1:root",
        f"{role} Policies[0].PolicyDocument statement Publish now allows actions sns:Subscribe",
        f"{role} Policies[0].PolicyDocument statement Publish now allows resources *",
        "config/Stack: DeadLetters (AWS::SQS::Queue): DeletionPolicy Retain dropped: deleting "
        "or replacing it loses its data",
    ]


def test_a_narrower_grant_is_not_broadening() -> None:
    def edit(resources: dict[str, Any]) -> None:
        statement = resources["NotifierRole"]["Properties"]["Policies"][0]["PolicyDocument"][
            "Statement"][0]  # fmt: skip
        statement["Condition"] = {"Bool": {"aws:SecureTransport": "true"}}

    assert _check(edit) == ([], [])


def test_the_real_synth_against_itself_and_with_a_deliberate_replacement(
    default_synth: Synthesized, tmp_path: Path
) -> None:
    """Against the session's synth (copied, then changed the way a refactor would): exit 0, then
    exit 1 naming the StackSet whose name changed."""
    installed = tmp_path / "installed"
    shutil.copytree(default_synth.outdir, installed, ignore=ASSETS)
    argv = ["--installed", str(installed), "--candidate", str(default_synth.outdir)]
    assert upgrade_check.main(argv) == 0
    template_file = installed / "MfaGuardrailsAlerting.template.json"
    template = json.loads(template_file.read_text())
    template["Resources"]["RegionalForwardingStackSetBD4DFD85"]["Properties"][
        "StackSetName"] = "mfa-guardrails-forwarding"  # fmt: skip
    template_file.write_text(json.dumps(template))
    assert upgrade_check.main(argv) == 1


def test_the_real_synth_report(
    default_synth: Synthesized, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    installed = tmp_path / "cdk.out" / "single-account"
    shutil.copytree(default_synth.outdir, installed, ignore=ASSETS)
    assert upgrade_check.main(["--installed", str(installed.parent), "--candidate",
                               str(default_synth.outdir)]) == 0  # fmt: skip
    assert capsys.readouterr().out == "no replacements\nno security-broadening changes\n"


def test_deployed_templates_are_read_from_cloudformation(default_synth: Synthesized) -> None:
    """GetTemplate per stack in its region, DescribeStackSet per StackSet; one not deployed yet
    is left out."""
    candidate = assembly_units(default_synth.outdir)
    client = boto3.client("cloudformation", region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
    with Stubber(client) as stub:
        for name, unit in candidate.items():
            if name.startswith("StackSet "):
                stub.add_response("describe_stack_set", {"StackSet": {
                    "TemplateBody": json.dumps(unit.template)}},
                    {"StackSetName": name.removeprefix("StackSet ")})  # fmt: skip
            elif name == "MfaGuardrails":
                stub.add_client_error("get_template", "ValidationError",
                                      "Stack with id MfaGuardrails does not exist")  # fmt: skip
            else:
                stub.add_response("get_template", {"TemplateBody": json.dumps(unit.template)},
                                  {"StackName": name, "TemplateStage": "Original"})  # fmt: skip
        deployed = upgrade_check.deployed_units(candidate, lambda region: client)
        stub.assert_no_pending_responses()
    assert set(deployed) == set(candidate) - {"MfaGuardrails"}
    assert upgrade_check.compare(deployed, candidate, "single-account") == ([], [])


def test_access_denied_is_a_clear_cannot_run(default_synth: Synthesized) -> None:
    client = boto3.client("cloudformation", region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
    candidate = assembly_units(default_synth.outdir)
    with Stubber(client) as stub:
        stub.add_client_error("get_template", "AccessDenied", "not authorized")
        with pytest.raises(upgrade_check.CannotRunError, match="AccessDenied: not authorized"):
            upgrade_check.deployed_units(candidate, lambda region: client)


def test_without_credentials_it_stops_with_a_message_not_a_traceback(
    default_synth: Synthesized, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:  # fmt: skip
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                     "AWS_PROFILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                     "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(variable, raising=False)  # fmt: skip
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never the network
    code = upgrade_check.main(["--deployed", "--candidate", str(default_synth.outdir)])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("upgrade-check cannot run: no AWS credentials"), err
    assert "Traceback" not in err


def test_a_missing_installed_folder_cannot_run(default_synth: Synthesized, tmp_path: Path) -> None:
    argv = ["--installed", str(tmp_path / "nowhere"), "--candidate", str(default_synth.outdir)]
    assert upgrade_check.main(argv) == 2
