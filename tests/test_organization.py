"""The organization topology: SCPs and a service-managed StackSet from the management account,
a baseline for the management account itself, and the central bus + alerting in the security
account. Synthesized once from examples/organization.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from constructs_lib.alerting.runtime.catalog import ENTRIES, entries
from tests.policy.policies import resources_of
from tests.synth import ORGANIZATION_EXAMPLE, Synthesized

ORGANIZATION = ORGANIZATION_EXAMPLE
P = "mfa-guardrails:"


@pytest.fixture(scope="module")
def stack_set_template(org_synth: Synthesized) -> dict[str, Any]:
    (path,) = Path(org_synth.outdir).glob("*MemberBaseline*.stackset.template.json")
    template: dict[str, Any] = json.loads(path.read_text())
    return template


def test_stacks_land_in_the_right_accounts(org_synth: Synthesized) -> None:
    assert set(org_synth.templates) == {
        "MfaGuardrailsManagement", "MfaGuardrailsManagementBaseline", "MfaGuardrailsSecurity",
        "MfaGuardrailsPipeline",
    }  # fmt: skip
    stacks = {s.stack_name: s for s in org_synth.stacks}
    assert stacks["MfaGuardrailsManagement"].account == ORGANIZATION[P + "management-account-id"]
    assert (
        stacks["MfaGuardrailsManagementBaseline"].account
        == (ORGANIZATION[P + "management-account-id"])
    )
    assert stacks["MfaGuardrailsSecurity"].account == ORGANIZATION[P + "security-account-id"]


def _stack_sets(org_synth: Synthesized) -> dict[str, dict[str, Any]]:
    found = resources_of(org_synth.templates["MfaGuardrailsManagement"],
                         "AWS::CloudFormation::StackSet").values()  # fmt: skip
    return {stack_set["StackSetName"]: stack_set for stack_set in found}


def test_stack_set_is_service_managed_with_auto_deployment(org_synth: Synthesized) -> None:
    stack_set = _stack_sets(org_synth)["mfa-guardrails-member-baseline"]
    assert stack_set["PermissionModel"] == "SERVICE_MANAGED"
    assert stack_set["CallAs"] == "SELF"
    assert stack_set["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": False}
    assert stack_set["Capabilities"] == ["CAPABILITY_NAMED_IAM"]
    (group,) = stack_set["StackInstancesGroup"]
    assert group["DeploymentTargets"]["OrganizationalUnitIds"] == ORGANIZATION[P + "target-ou-ids"]
    # The target regions, then every other region members' events can be recorded in.
    assert group["Regions"][:2] == ORGANIZATION[P + "target-regions"]
    assert set(group["Regions"]) == set(org_synth.config.watched_regions)
    assert stack_set["OperationPreferences"] == {
        "MaxConcurrentPercentage": 25,
        "FailureTolerancePercentage": 10,
        "RegionConcurrencyType": "PARALLEL",
    }


def test_stack_set_template_is_the_baseline_and_environment_agnostic(
    stack_set_template: dict[str, Any],
) -> None:
    text = json.dumps(stack_set_template)
    assert "111111111111" not in text  # the management account
    # The only fixed places are the central bus and the account the readiness reader trusts
    # (facts of the configuration: the security account) and the home-region condition;
    # everything else resolves in the member account and region.
    central_bus = "arn:aws:events:us-east-1:222222222222:event-bus/mfa-guardrails-central"
    report_account = '":iam::222222222222:root"'
    run_function = '"arn:aws:iam::222222222222:role/mfa-guardrails-org-readiness-account"'
    rest = text.replace(central_bus, "").replace('{"Ref": "AWS::Region"}, "us-east-1"', "")
    rest = rest.replace(report_account, "").replace(run_function, "")
    assert "us-east-1" not in rest
    assert "222222222222" not in rest
    types = {r["Type"] for r in stack_set_template["Resources"].values()}
    functions = resources_of(stack_set_template, "AWS::Lambda::Function").values()
    # No assets, nothing to stage per region: the one function (the rule tagger) is inline.
    assert [set(f["Code"]) for f in functions] == [{"ZipFile"}]
    assert {"AWS::IAM::ManagedPolicy", "AWS::IAM::Group", "AWS::Events::Rule",
            "AWS::Config::ConfigRule"} <= types  # fmt: skip


def test_global_iam_resources_exist_in_the_home_region_only(
    stack_set_template: dict[str, Any],
) -> None:
    conditions = stack_set_template["Conditions"]
    (name,) = conditions
    assert conditions[name] == {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}
    named_global = {
        "AWS::IAM::ManagedPolicy",
        "AWS::IAM::Group",
        "AWS::Config::ConfigRule",
        # the canary: its named role, its policy and one schedule per account
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
        "AWS::Scheduler::Schedule",
        # the rule tagger, beside the rules it tags
        "AWS::Lambda::Function",
        "AWS::Logs::LogGroup",
        "Custom::MfaGuardrailsConfigRuleTags",
    }
    resources = stack_set_template["Resources"].values()
    assert {r["Type"] for r in resources if r.get("Condition") == name} == named_global
    # The forwarding role has a generated, per-stack name: one per region is fine.
    assert all(r.get("Condition") is None for r in resources if r["Type"] == "AWS::Events::Rule")


def test_forwarding_rules_carry_role_retry_policy_and_dlq(
    stack_set_template: dict[str, Any], org_synth: Synthesized
) -> None:
    rules = resources_of(stack_set_template, "AWS::Events::Rule")
    deployed = entries(exempt_names=org_synth.config.exempt_names)
    forwarded = {entry.id for entry in deployed if not entry.alerting_account_only}
    assert {r["Name"].removeprefix("mfa-guardrails-forward-") for r in rules.values()} == forwarded
    for rule in rules.values():
        (target,) = rule["Targets"]
        assert ":event-bus/mfa-guardrails-central" in json.dumps(target["Arn"])
        assert "222222222222" in json.dumps(target["Arn"])
        assert "RoleArn" in target
        assert target["DeadLetterConfig"]["Arn"]
        assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0
        assert rule["Name"].startswith("mfa-guardrails-forward-")


def test_central_bus_accepts_only_the_organization(org_synth: Synthesized) -> None:
    template = org_synth.templates["MfaGuardrailsSecurity"]
    (bus,) = resources_of(template, "AWS::Events::EventBus").values()
    assert bus["Name"] == "mfa-guardrails-central"
    assert not resources_of(template, "AWS::Events::EventBusPolicy")  # the bus holds its policy
    # What cdk-nag's EVB1 checks on a separate policy resource: no open principal without a
    # condition. Every statement is this one.
    (statement,) = bus["Policy"]["Statement"]
    assert statement["Principal"] == {"AWS": "*"}
    assert statement["Action"] == "events:PutEvents"
    assert statement["Condition"] == {
        "StringEquals": {"aws:PrincipalOrgID": ORGANIZATION[P + "organization-id"]}
    }
    assert ":event-bus/mfa-guardrails-central" in json.dumps(statement["Resource"])


def test_security_alert_rules_listen_on_the_central_bus(org_synth: Synthesized) -> None:
    rules = {
        logical_id: rule
        for logical_id, rule in resources_of(
            org_synth.templates["MfaGuardrailsSecurity"], "AWS::Events::Rule"
        ).items()
        if "EventPattern" in rule  # not the heartbeat monitor's schedule
    }
    deployed = {e.id: e for e in entries(exempt_names=org_synth.config.exempt_names)}
    assert len(rules) == len(deployed) == len(ENTRIES) + 2  # and the two exempt-name entries
    for rule in rules.values():
        entry = deployed[rule["Name"].removeprefix("mfa-guardrails-")]
        # The alerting account's own changes (notifier, topics, key) reach its default bus.
        assert ("EventBusName" in rule) is not entry.alerting_account_only, entry.id


def test_security_account_checks_every_members_readiness(org_synth: Synthesized) -> None:
    template = org_synth.templates["MfaGuardrailsSecurity"]
    rules = resources_of(template, "AWS::Config::ConfigRule").values()
    # Only the readiness rule: the managed rules reach the security account through the StackSet.
    assert [r["ConfigRuleName"] for r in rules] == ["mfa-guardrails-recovery-readiness"]
    functions = resources_of(template, "AWS::Lambda::Function")
    (readiness,) = [f for f in functions.values()
                    if f.get("FunctionName") == "mfa-guardrails-recovery-readiness"]  # fmt: skip
    variables = readiness["Environment"]["Variables"]
    # Members' evaluations come from the scheduled run's summary, no longer a serial loop.
    assert variables["ORG_READINESS_BUCKET"]["Fn::Join"][1][0] == "mfa-guardrails-org-readiness-"
    assert variables["ORG_READINESS_MAX_AGE_HOURS"] == "48"
    # It also checks the alert path here: trail, recorder, the rules on the central and default
    # buses, and confirmed subscriptions of the alert topic.
    assert variables["ALERT_RULES_REGION"] == ORGANIZATION[P + "home-region"]
    assert variables["ALERT_RULE_BUSES"] == "mfa-guardrails-central,default"
    assert "Ref" in variables["ALERT_TOPIC_ARN"]
    statements = [
        s
        for policy in resources_of(template, "AWS::IAM::Policy").values()
        for s in policy["PolicyDocument"]["Statement"]
    ]
    by_sid = {s.get("Sid"): s for s in statements}
    assert by_sid["ReadOrganizationRunSummary"]["Action"] == "s3:GetObject"
    assert "ListMemberAccounts" not in by_sid
    assert "ReadMemberAccountContacts" not in by_sid


def test_organization_wide_readiness_needs_the_lambda() -> None:
    from constructs_lib.detective import DetectiveControlsProps

    with pytest.raises(ValueError, match="set recovery_readiness=True"):
        DetectiveControlsProps(
            include_global_rules=True, recovery_readiness=False, organization_run_bucket="b"
        )


def test_the_example_alerts_to_slack_too(org_synth: Synthesized) -> None:
    """The organization example carries every alerting option (Slack included), so the
    background cfn-lint of its templates covers them (test_organization_is_clean)."""
    template = org_synth.templates["MfaGuardrailsSecurity"]
    (channel,) = resources_of(template, "AWS::Chatbot::SlackChannelConfiguration").values()
    assert channel["SlackWorkspaceId"] == ORGANIZATION[P + "slack-workspace-id"]


def test_management_forwards_its_own_events_from_every_watched_region(
    org_synth: Synthesized,
) -> None:
    """Service-managed StackSets never reach the management account: a self-managed one of its
    own deploys the forwarding template to it, in every watched region (sign-ins included)."""
    stack_set = _stack_sets(org_synth)["mfa-guardrails-management-forwarding"]
    assert stack_set["PermissionModel"] == "SELF_MANAGED"
    (group,) = stack_set["StackInstancesGroup"]
    assert group["DeploymentTargets"]["Accounts"] == [{"Ref": "AWS::AccountId"}]
    assert set(group["Regions"]) == set(org_synth.config.watched_regions)
    assert {"us-east-1", "us-east-2", "eu-north-1", "ap-southeast-2"} <= set(group["Regions"])
    assert stack_set["ExecutionRoleName"] == "mfa-guardrails-regional-forwarding-execution"


def test_regional_forwarding_roles_reach_only_the_forwarding_resources(
    org_synth: Synthesized,
) -> None:
    """The StackSet's execution role manages mfa-guardrails-forward-* rules, role and queue and
    its own stacks, nothing else; only CloudFormation may act as the administration role, which
    may only assume that execution role."""
    template = org_synth.templates["MfaGuardrailsManagement"]
    roles = resources_of(template, "AWS::IAM::Role").values()
    name = "mfa-guardrails-regional-forwarding-execution"
    (execution,) = [r for r in roles if r.get("RoleName") == name]
    (policy,) = execution["Policies"]
    for statement in policy["PolicyDocument"]["Statement"]:
        resources = json.dumps(statement["Resource"])
        assert ("mfa-guardrails-forward-*" in resources
                or "stack/StackSet-mfa-guardrails-management-forwarding-*" in resources), statement
        assert statement["Action"] != "*"
    pass_role = [s for s in policy["PolicyDocument"]["Statement"] if s["Action"] == "iam:PassRole"]
    assert pass_role[0]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "events.amazonaws.com"}
    }
    (admin,) = [r for r in roles if "regional-forwarding-admin" in json.dumps(r.get("RoleName"))]
    (trust,) = admin["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "cloudformation.amazonaws.com"}
    assumes = [
        s for p in resources_of(template, "AWS::IAM::Policy").values()
        for s in p["PolicyDocument"]["Statement"] if s["Action"] == "sts:AssumeRole"
    ]  # fmt: skip
    assert assumes
    assert all("role/mfa-guardrails-regional-forwarding-execution" in json.dumps(s["Resource"])
               for s in assumes)  # fmt: skip


def test_readiness_reads_the_alert_path_and_nothing_more(org_synth: Synthesized) -> None:
    template = org_synth.templates["MfaGuardrailsSecurity"]
    statements = {
        s.get("Sid"): s
        for p in resources_of(template, "AWS::IAM::Policy").values()
        for s in p["PolicyDocument"]["Statement"]
    }
    read = statements["ReadAlertPathPrerequisites"]
    assert sorted(read["Action"]) == [
        "cloudtrail:DescribeTrails", "cloudtrail:GetEventSelectors", "cloudtrail:GetTrailStatus",
        "config:DescribeConfigurationRecorderStatus", "events:ListRules",
    ]  # fmt: skip
    subscriptions = statements["ReadAlertSubscriptions"]
    assert subscriptions["Action"] == "sns:ListSubscriptionsByTopic"
    assert "Ref" in subscriptions["Resource"]  # the alert topic only
