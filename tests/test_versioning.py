"""What is deployed where: one version, pinned in pyproject.toml, in every stack's description and
on every taggable resource; a new version replaces nothing."""

from __future__ import annotations

import json
import tomllib

from mfa_guardrails.templates import assembly_units, resource_of
from mfa_guardrails.version import VERSION
from tests.synth import ROOT, Synthesized

VERSION_TAG = {"Key": "mfa-guardrails-version", "Value": VERSION}


def test_the_version_is_pyprojects_and_semantic() -> None:
    """importlib.metadata reads what `make setup` installed: a stale install fails here."""
    pinned = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert pinned == VERSION, "run `make setup`: the installed package is another version"
    major, minor, patch = VERSION.split(".")
    assert all(part.isdigit() for part in (major, minor, patch)), VERSION


def test_the_changelog_has_this_release() -> None:
    assert f"\n## [{VERSION}] - " in (ROOT / "CHANGELOG.md").read_text()


def test_every_stack_and_stack_set_template_names_the_version(
    default_synth: Synthesized, org_synth: Synthesized
) -> None:
    for synth in (default_synth, org_synth):
        units = assembly_units(synth.outdir)
        assert any(name.startswith("StackSet ") for name in units)
        for unit in units.values():
            assert unit.template["Description"].startswith(f"mfa-guardrails {VERSION}: "), unit.name


def test_every_taggable_resource_carries_the_version_tag(
    default_synth: Synthesized, org_synth: Synthesized
) -> None:
    """The SCPs, the StackSets (whose tags CloudFormation also puts on their instances' stacks
    and resources), the key, topics, queues, table, roles, functions, rules and alarms; what
    CloudFormation cannot tag (Config rules: the custom resource tags those; policies, permissions,
    schedules) has no Tags property at all, and the rule tagger's input (the tags it puts on the
    rules) is not a tag of its own."""
    tagged: set[str] = set()
    for synth in (default_synth, org_synth):
        for unit in assembly_units(synth.outdir).values():
            for lid, resource in unit.template["Resources"].items():
                tags = resource.get("Properties", {}).get("Tags")
                if tags is None or resource["Type"].startswith("Custom::"):
                    continue  # a custom resource's Tags are its own input
                listed = tags if isinstance(tags, list) else [
                    {"Key": key, "Value": value} for key, value in tags.items()]  # fmt: skip
                assert VERSION_TAG in listed, f"{unit.name}/{lid}"
                tagged.add(resource["Type"])
    assert {"AWS::Organizations::Policy", "AWS::CloudFormation::StackSet", "AWS::KMS::Key",
            "AWS::SNS::Topic", "AWS::SQS::Queue", "AWS::DynamoDB::Table", "AWS::IAM::Role",
            "AWS::Lambda::Function", "AWS::Logs::LogGroup"} <= tagged  # fmt: skip


def test_a_new_version_changes_no_create_only_property(
    default_synth: Synthesized, org_synth: Synthesized
) -> None:
    """The version appears in no property that forces a replacement (e.g. an IAM managed
    policy's Description is create-only: it must never carry the version)."""
    for synth in (default_synth, org_synth):
        for unit in assembly_units(synth.outdir).values():
            for lid, definition in unit.template["Resources"].items():
                create_only = json.dumps(resource_of(definition).create_only)
                assert VERSION not in create_only, f"{unit.name}/{lid}: {create_only}"
