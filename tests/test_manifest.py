"""Upgrades replace nothing stateful by accident: every synth is compared with the committed
manifest of stateful resources (stateful-resources.json, `make manifest`)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from mfa_guardrails.checks import configurations
from mfa_guardrails.manifest import (
    MANIFEST,
    REGENERATE,
    manifest_of,
    manifest_problems,
)
from mfa_guardrails.templates import Unit, assembly_units, create_only_properties
from tests.synth import Synthesized


@pytest.fixture(scope="module")
def synthesized(default_synth: Synthesized, org_synth: Synthesized) -> dict[str, dict[str, Unit]]:
    """Every configuration the main job proves, from the session's synths (no synth of its own)."""
    by_name = {"single-account": default_synth, "organization": org_synth}
    assert set(by_name) == set(configurations()), "a configuration without a session synth"
    return {name: assembly_units(synth.outdir) for name, synth in by_name.items()}


def test_no_stateful_resource_would_be_replaced(synthesized: dict[str, dict[str, Unit]]) -> None:
    problems = manifest_problems(json.loads(MANIFEST.read_text()), synthesized)
    assert not problems, "\n".join([*problems, REGENERATE])


def test_the_manifest_is_what_make_manifest_writes(
    synthesized: dict[str, dict[str, Unit]],
) -> None:
    """Nothing in it is stale either (a resource's create-only values recorded as they are)."""
    assert json.loads(MANIFEST.read_text()) == manifest_of(synthesized), REGENERATE


def test_the_manifest_covers_what_the_issue_names(
    synthesized: dict[str, dict[str, Unit]],
) -> None:
    recorded = json.loads(MANIFEST.read_text())["configurations"]
    types = {entry["type"] for units in recorded.values() for unit in units.values()
             for entry in unit.values()}  # fmt: skip
    assert {
        "AWS::SNS::Topic",
        "AWS::SNS::Subscription",
        "AWS::SQS::Queue",
        "AWS::KMS::Key",
        "AWS::KMS::Alias",
        "AWS::DynamoDB::Table",
        "AWS::Logs::LogGroup",
        "AWS::Config::ConfigRule",
        "AWS::Organizations::Policy",
        "AWS::CloudFormation::StackSet",
        "AWS::Events::EventBus",
        "AWS::IAM::Role",
    } <= types
    roles = {entry["physicalName"] for units in recorded.values() for unit in units.values()
             for entry in unit.values() if entry["type"] == "AWS::IAM::Role"}  # fmt: skip
    assert {
        "mfa-guardrails-readiness-reader",
        "mfa-guardrails-github-deploy",
        "mfa-guardrails-regional-forwarding-execution",
    } <= roles
    assert "StackSet mfa-guardrails-member-baseline" in recorded["organization"]


def _changed(
    synthesized: dict[str, dict[str, Unit]], configuration: str, unit: str, edit: Any
) -> dict[str, dict[str, Unit]]:
    changed = copy.deepcopy(synthesized)
    template = copy.deepcopy(dict(changed[configuration][unit].template))
    edit(template["Resources"])
    changed[configuration][unit] = Unit(unit, template, "")
    return changed


def test_a_renamed_logical_id_is_a_replacement_named_with_its_new_id(
    synthesized: dict[str, dict[str, Unit]],
) -> None:
    def rename(resources: dict[str, Any]) -> None:
        resources["AlertingAlertsTopic0000"] = resources.pop("AlertingAlertTopicC513ED25")

    problems = manifest_problems(json.loads(MANIFEST.read_text()),
                                 _changed(synthesized, "single-account", "MfaGuardrailsAlerting",
                                          rename))  # fmt: skip
    assert problems == [
        "single-account/MfaGuardrailsAlerting: AlertingAlertTopicC513ED25 (AWS::SNS::Topic "
        "mfa-guardrails-alerts) has a new logical id, AlertingAlertsTopic0000: CloudFormation "
        "creates AlertingAlertsTopic0000 and then deletes AlertingAlertTopicC513ED25",
        "single-account/MfaGuardrailsAlerting: AlertingAlertsTopic0000 (AWS::SNS::Topic "
        "mfa-guardrails-alerts) is stateful and not in the manifest",
    ]


def test_a_changed_stack_set_name_is_a_replacement(
    synthesized: dict[str, dict[str, Unit]],
) -> None:
    def rename(resources: dict[str, Any]) -> None:
        resources["MemberBaselineStackSet3F49F41A"]["Properties"]["StackSetName"] = "renamed"

    problems = manifest_problems(
        json.loads(MANIFEST.read_text()),
        _changed(synthesized, "organization", "MfaGuardrailsManagement", rename),
    )
    assert problems == [
        "organization/MfaGuardrailsManagement: MemberBaselineStackSet3F49F41A "
        "(AWS::CloudFormation::StackSet mfa-guardrails-member-baseline) is replaced: its "
        "create-only property StackSetName changes from mfa-guardrails-member-baseline to renamed",
    ]


def test_a_dropped_retain_is_named(synthesized: dict[str, dict[str, Unit]]) -> None:
    def drop(resources: dict[str, Any]) -> None:
        del resources["AlertingKeyF32BC376"]["DeletionPolicy"]

    problems = manifest_problems(json.loads(MANIFEST.read_text()),
                                 _changed(synthesized, "organization", "MfaGuardrailsSecurity",
                                          drop))  # fmt: skip
    assert problems == ["organization/MfaGuardrailsSecurity: AlertingKeyF32BC376 (AWS::KMS::Key) "
                        "DeletionPolicy changes from Retain to Delete"]  # fmt: skip


def test_a_new_stateful_resource_must_be_recorded(
    synthesized: dict[str, dict[str, Unit]],
) -> None:
    def add(resources: dict[str, Any]) -> None:
        resources["ExtraQueue"] = {"Type": "AWS::SQS::Queue", "Properties": {}}

    problems = manifest_problems(json.loads(MANIFEST.read_text()),
                                 _changed(synthesized, "organization", "MfaGuardrailsSecurity",
                                          add))  # fmt: skip
    assert problems == ["organization/MfaGuardrailsSecurity: ExtraQueue (AWS::SQS::Queue) is "
                        "stateful and not in the manifest"]  # fmt: skip


def test_create_only_properties_come_from_the_cloudformation_schemas() -> None:
    assert create_only_properties("AWS::CloudFormation::StackSet") == (
        "PermissionModel",
        "StackSetName",
    )
    assert "TopicName" in create_only_properties("AWS::SNS::Topic")
    assert create_only_properties("Custom::MfaGuardrailsConfigRuleTags") == ()


RETAINED_TYPES = {"AWS::KMS::Key", "AWS::SQS::Queue", "AWS::DynamoDB::Table", "AWS::Logs::LogGroup"}


def test_what_holds_data_is_retained_on_deletion_and_replacement(
    synthesized: dict[str, dict[str, Unit]],
) -> None:
    """The key, every queue (dead letters included, in the StackSet templates too), the heartbeat
    table and every log group: `cdk destroy` and a replacement leave them in the account."""
    for configuration, units in synthesized.items():
        for unit in units.values():
            for lid, resource in unit.template["Resources"].items():
                if resource["Type"] in RETAINED_TYPES:
                    policies = (resource.get("DeletionPolicy"), resource.get("UpdateReplacePolicy"))
                    assert policies == ("Retain", "Retain"), f"{configuration}/{unit.name}/{lid}"
