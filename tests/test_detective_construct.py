"""Synth-time assertions for the detective controls (Config rules and the readiness Lambda).

One app holds every configuration under test, synthesized once per module with cdk-nag, so the
assertions, the cdk-nag report and cfn-lint all read the same assembly:

* ``Home``: home region, defaults (no hardware root MFA, 24-hour frequency);
* ``HomeStrict``: home region, hardware root MFA, OPERATIONS contact, 6-hour frequency;
* ``Other``: another region, ``include_global_rules=False``;
* ``StackSetLike``: environment-agnostic, managed rules only (no asset), placed with
  ``deploy_only_in`` as the organization's member-baseline StackSet template does.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, CfnWaitConditionHandle, Environment, Stack, Validations
from aws_cdk import aws_config as config
from aws_cdk.assertions import Match, Template
from cdk_nag import AwsSolutionsChecks

from constructs_lib.detective import (
    DetectiveControls,
    DetectiveControlsProps,
    global_rule_placement,
    rule_name,
    validate_global_rule_placement,
)
from constructs_lib.naming import PRODUCT_PREFIX
from constructs_lib.regional import deploy_only_in
from tests.background import Lint, lint_job

MANAGED = (
    "ROOT_ACCOUNT_MFA_ENABLED",
    "IAM_USER_MFA_ENABLED",
    "MFA_ENABLED_FOR_IAM_CONSOLE_ACCESS",
    "SECURITY_ACCOUNT_INFORMATION_PROVIDED",
)
HARDWARE = "ROOT_ACCOUNT_HARDWARE_MFA_ENABLED"


@dataclass(frozen=True)
class Assembly:
    outdir: Path
    templates: dict[str, dict[str, Any]]
    lint: Lint  # cfn-lint of HomeStrict, running in the background since the synth

    def template(self, stack: str) -> Template:
        return Template.from_json(self.templates[stack])

    def resources(self, stack: str, kind: str) -> dict[str, Any]:
        return {
            key: value
            for key, value in self.templates[stack]["Resources"].items()
            if value["Type"] == kind
        }


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Assembly:
    outdir = tmp_path_factory.mktemp("detective.out")
    app = App(outdir=str(outdir), builtin_cloud_formation_validation=False)
    placement = global_rule_placement(home_region="us-east-1", regions=["us-east-1", "eu-west-1"])
    variants: dict[str, tuple[str, dict[str, Any]]] = {
        "Home": ("us-east-1", {}),
        "HomeStrict": (
            "us-east-1",
            {
                "require_hardware_root_mfa": True,
                "require_operations_contact": True,
                "maximum_execution_frequency": config.MaximumExecutionFrequency.SIX_HOURS,
            },
        ),
        "Other": ("eu-west-1", {}),
    }
    for name, (region, extra) in variants.items():
        stack = Stack(app, name, env=Environment(region=region))
        CfnWaitConditionHandle(stack, "Placeholder")  # a template needs one resource
        DetectiveControls(
            stack,
            "Detective",
            props=DetectiveControlsProps(include_global_rules=placement[region], **extra),
        )
    stack_set_like = Stack(app, "StackSetLike")
    managed_only = DetectiveControls(
        stack_set_like,
        "Detective",
        props=DetectiveControlsProps(include_global_rules=True, recovery_readiness=False),
    )
    deploy_only_in(managed_only, "us-east-1")
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    assembly = app.synth()
    return Assembly(
        outdir=outdir,
        templates={
            name: assembly.get_stack_by_name(name).template for name in (*variants, "StackSetLike")
        },
        lint=lint_job([outdir / "HomeStrict.template.json"]),
    )


# ---------------------------------------------------------------------------------------------
# Managed rules
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("identifier", MANAGED)
def test_managed_rule(synth: Assembly, identifier: str) -> None:
    synth.template("Home").has_resource_properties(
        "AWS::Config::ConfigRule",
        {
            "ConfigRuleName": PRODUCT_PREFIX + identifier.lower().replace("_", "-"),
            "Source": {"Owner": "AWS", "SourceIdentifier": identifier},
            "MaximumExecutionFrequency": "TwentyFour_Hours",
            "Scope": Match.absent(),  # periodic, account-wide
        },
    )


def test_rule_names_carry_the_product_prefix(synth: Assembly) -> None:
    names = {
        rule["Properties"]["ConfigRuleName"]
        for rule in synth.resources("HomeStrict", "AWS::Config::ConfigRule").values()
    }
    assert names == {rule_name(i) for i in (*MANAGED, HARDWARE)} | {
        "mfa-guardrails-recovery-readiness"
    }
    assert "mfa-guardrails-root-account-mfa-enabled" in names


def test_hardware_root_mfa_only_when_asked(synth: Assembly) -> None:
    synth.template("HomeStrict").has_resource_properties(
        "AWS::Config::ConfigRule",
        {
            "Source": {"Owner": "AWS", "SourceIdentifier": HARDWARE},
            "MaximumExecutionFrequency": "Six_Hours",
        },
    )
    identifiers = [
        rule["Properties"]["Source"]["SourceIdentifier"]
        for rule in synth.resources("Home", "AWS::Config::ConfigRule").values()
        if rule["Properties"]["Source"]["Owner"] == "AWS"
    ]
    assert sorted(identifiers) == sorted(MANAGED)


def test_frequency_comes_from_props(synth: Assembly) -> None:
    rules = synth.resources("HomeStrict", "AWS::Config::ConfigRule").values()
    assert {r["Properties"]["MaximumExecutionFrequency"] for r in rules} == {"Six_Hours"}


def test_global_rules_only_where_included(synth: Assembly) -> None:
    assert synth.resources("Other", "AWS::Config::ConfigRule") == {}
    assert synth.resources("Other", "AWS::Lambda::Function") == {}
    assert len(synth.resources("Home", "AWS::Config::ConfigRule")) == len(MANAGED) + 1


def test_managed_rules_only_for_asset_free_templates(synth: Assembly) -> None:
    rules = synth.resources("StackSetLike", "AWS::Config::ConfigRule")
    assert sorted(r["Properties"]["Source"]["SourceIdentifier"] for r in rules.values()) == sorted(
        MANAGED
    )
    assert {r.get("Condition") for r in rules.values()} == {"InUsEast1"}
    # The rule tagger's code is inline: the template stays asset-free.
    functions = synth.resources("StackSetLike", "AWS::Lambda::Function").values()
    assert [f["Properties"]["FunctionName"] for f in functions] == [
        "mfa-guardrails-rule-tagger-managed-rules"
    ]
    assert all("ZipFile" in f["Properties"]["Code"] for f in functions)
    manifest = synth.outdir / "StackSetLike.assets.json"
    files = json.loads(manifest.read_text()).get("files", {}) if manifest.exists() else {}
    assert [f for f in files.values() if f["source"]["packaging"] == "zip"] == []  # no code


# ---------------------------------------------------------------------------------------------
# Recovery-readiness custom rule and its Lambda
# ---------------------------------------------------------------------------------------------


def _readiness(resources: dict[str, Any], name_key: str) -> list[str]:
    """The logical ids of the readiness Lambda's resources (the rule tagger has its own)."""
    return [logical_id for logical_id, r in resources.items()
            if r["Properties"][name_key] == "mfa-guardrails-recovery-readiness"]  # fmt: skip


def test_custom_rule_is_periodic_and_backed_by_the_function(synth: Assembly) -> None:
    (function_id,) = _readiness(synth.resources("Home", "AWS::Lambda::Function"), "FunctionName")
    synth.template("Home").has_resource_properties(
        "AWS::Config::ConfigRule",
        {
            "ConfigRuleName": "mfa-guardrails-recovery-readiness",
            "Source": {
                "Owner": "CUSTOM_LAMBDA",
                "SourceIdentifier": {"Fn::GetAtt": [function_id, "Arn"]},
                "SourceDetails": [
                    {
                        "EventSource": "aws.config",
                        "MessageType": "ScheduledNotification",
                        "MaximumExecutionFrequency": "TwentyFour_Hours",
                    }
                ],
            },
            "InputParameters": {"requireOperationsContact": "false"},
            "Scope": Match.absent(),
        },
    )
    synth.template("HomeStrict").has_resource_properties(
        "AWS::Config::ConfigRule",
        {
            "ConfigRuleName": "mfa-guardrails-recovery-readiness",
            "InputParameters": {"requireOperationsContact": "true"},
        },
    )


def test_function_runtime_architecture_and_logs(synth: Assembly) -> None:
    template = synth.template("Home")
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "FunctionName": "mfa-guardrails-recovery-readiness",
            "Runtime": "python3.14",
            "Architectures": ["arm64"],
            "Handler": "handler.handler",
            "LoggingConfig": {"LogGroup": {"Ref": Match.string_like_regexp("ReadinessLogs")}},
        },
    )
    template.has_resource_properties(
        "AWS::Logs::LogGroup",
        {"LogGroupName": "/aws/lambda/mfa-guardrails-recovery-readiness", "RetentionInDays": 365},
    )
    template.has_resource_properties(
        "AWS::Lambda::Permission",
        {"Principal": "config.amazonaws.com", "Action": "lambda:InvokeFunction"},
    )


def test_role_has_exactly_the_needed_permissions(synth: Assembly) -> None:
    roles = synth.resources("Home", "AWS::IAM::Role")
    (role_id,) = _readiness(roles, "RoleName")
    assert "ManagedPolicyArns" not in roles[role_id]["Properties"]  # no AWSConfigRulesExecutionRole
    (policy,) = [p for p in synth.resources("Home", "AWS::IAM::Policy").values()
                 if p["Properties"]["Roles"] == [{"Ref": role_id}]]  # fmt: skip
    actions = {
        action
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        for action in statement["Action"]
    }
    assert actions == {
        "account:GetContactInformation",
        "account:GetAlternateContact",
        "iam:GetAccountSummary",
        "iam:ListUsers",
        "iam:GetLoginProfile",
        "iam:ListMFADevices",
        "config:PutEvaluations",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    }


def test_code_is_the_runtime_folder_with_the_shared_phone_check(synth: Assembly) -> None:
    """The runtime, the notifier's phone.py and phonenumbers (local bundling, no Docker), and
    importable as the Lambda code root: the phone check finds phonenumbers there."""
    manifest = json.loads((synth.outdir / "Home.assets.json").read_text())
    (asset,) = [f for f in manifest["files"].values() if f["source"]["packaging"] == "zip"]
    folder = synth.outdir / asset["source"]["path"]
    assert sorted(p.name for p in folder.iterdir()) == [
        "__init__.py", "handler.py", "org_check.py", "org_report.py", "org_run.py", "phone.py",
        "phonenumbers", "prerequisites.py", "readiness.py",
    ]
    # The organization run's handlers import as the code root too (their flat imports).
    code = ("import sys; sys.path.insert(0, '.'); import handler, readiness, org_run; "
            "print(readiness.check_phone('+44 (0)20 7946 0958').headline)")
    result = subprocess.run([sys.executable, "-I", "-c", code], cwd=folder, capture_output=True,
                            text=True, check=True)  # fmt: skip
    assert result.stdout.strip() == "phone: drop trunk prefix"


# ---------------------------------------------------------------------------------------------
# Region placement
# ---------------------------------------------------------------------------------------------


def test_placement_puts_global_rules_in_the_home_region_only() -> None:
    assert global_rule_placement(home_region="eu-west-1", regions=["us-east-1", "eu-west-1"]) == {
        "us-east-1": False,
        "eu-west-1": True,
    }
    assert global_rule_placement(home_region="us-east-1", regions=[]) == {"us-east-1": True}


def test_placement_in_several_regions_is_refused() -> None:
    with pytest.raises(ValueError, match=r"in 2 regions \(eu-west-1, us-east-1\)"):
        validate_global_rule_placement({"us-east-1": True, "eu-west-1": True})


def test_placement_in_no_region_is_refused() -> None:
    with pytest.raises(ValueError, match=r"in no region .*include the home region"):
        global_rule_placement(home_region="us-east-1", regions=["eu-west-1"])


# ---------------------------------------------------------------------------------------------
# cdk-nag and cfn-lint
# ---------------------------------------------------------------------------------------------


def test_cdk_nag_has_no_unacknowledged_finding(synth: Assembly) -> None:
    report = json.loads((synth.outdir / "validation-report.json").read_text())
    violations = [v for p in report["pluginReports"] for v in p.get("violations", [])]
    assert violations == []
    acknowledged = [v for p in report["pluginReports"] for v in p.get("suppressedViolations", [])]
    assert acknowledged, "the acknowledgments should be recorded in the report"


@pytest.fixture(scope="session")
def detective_lint(synth: Assembly) -> Lint:
    """cfn-lint of HomeStrict, started in the background as soon as it was synthesized."""
    return synth.lint


def test_cfn_lint_is_clean_with_every_option(detective_lint: Lint) -> None:
    """HomeStrict (hardware root MFA, operations contact, another frequency). The other variants
    are linted where the app deploys them: "Home" is the default MfaGuardrails stack (the main job,
    test_main_job_end_to_end), "StackSetLike" the member StackSet template
    (test_organization_is_clean), and "Other" holds no rule."""
    code, out, err = detective_lint.wait()
    assert code == 0, err
    assert json.loads(out) == []
