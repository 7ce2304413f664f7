"""What CloudFormation would replace between two versions of the templates.

Shared by the stateful-resource manifest (``mfa_guardrails.manifest``, ``make manifest``) and the
upgrade check (``mfa_guardrails.cli.upgrade_check``, ``make upgrade-check``). A resource is replaced
(deleted and created again) when its logical id changes, when its type changes, or when a
property its CloudFormation resource schema lists as ``createOnlyProperties`` changes. The schemas
are the ones cfn-lint ships (the registry's, per region; us-east-1 here), not a list of our own,
so a property AWS makes create-only shows up with the next cfn-lint.

A template "unit" is what CloudFormation deploys as one stack: a stack of the cloud assembly, by
its name, or the template of a StackSet, as ``StackSet <name>`` (its file name holds a construct
hash; its StackSet name is what CloudFormation knows).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

Template = Mapping[str, Any]
STACK_SET_UNIT_PREFIX = "StackSet "
# CloudFormation's defaults when a resource names no policy.
DEFAULT_POLICY = "Delete"
_SCHEMA_REGION = "us-east-1"
_ASSET_HASH = re.compile(r"/([0-9a-f]{64})\.json")


@dataclass(frozen=True)
class Unit:
    """One template as CloudFormation deploys it: ``environment`` is ``aws://account/region``
    (``unknown-account`` for an environment-agnostic stack); a StackSet's template has its
    parent stack's environment."""

    name: str
    template: Template
    environment: str


def assembly_units(assembly: Path) -> dict[str, Unit]:
    """Every template of one cloud assembly (nested assemblies included), by unit name."""
    manifest = json.loads((assembly / "manifest.json").read_text())
    units: dict[str, Unit] = {}
    for name, artifact in manifest.get("artifacts", {}).items():
        kind = artifact.get("type")
        if kind == "cdk:cloud-assembly":
            units.update(assembly_units(assembly / artifact["properties"]["directoryName"]))
        if kind != "aws:cloudformation:stack":
            continue
        template = json.loads((assembly / artifact["properties"]["templateFile"]).read_text())
        units[name] = Unit(name, template, artifact.get("environment", ""))
        asset_files = {
            asset_hash: assembly / spec["source"]["path"]
            for assets in assembly.glob("*.assets.json")
            for asset_hash, spec in json.loads(assets.read_text()).get("files", {}).items()
        }
        for resource in template.get("Resources", {}).values():
            if resource.get("Type") != "AWS::CloudFormation::StackSet":
                continue
            properties = resource.get("Properties", {})
            found = _ASSET_HASH.search(json.dumps(properties.get("TemplateURL", "")))
            if found and found.group(1) in asset_files:
                unit = STACK_SET_UNIT_PREFIX + render(properties["StackSetName"])
                body = json.loads(asset_files[found.group(1)].read_text())
                units[unit] = Unit(unit, body, units[name].environment)
    return units


def configuration_assemblies(outdir: Path) -> dict[str, Path]:
    """The assemblies of a ``make synth`` output (``cdk.out/<configuration>/``) by configuration
    name; an assembly folder itself counts as one configuration named after the folder."""
    if (outdir / "manifest.json").exists():
        return {outdir.name: outdir}
    return {
        folder.name: folder
        for folder in sorted(outdir.iterdir())
        if (folder / "manifest.json").exists()
    }


def render(value: Any) -> str:
    """A property value as one comparable, readable string: intrinsic functions spelled as
    ``${...}`` (``Fn::Join`` joined), so names built from ``AWS::Region`` can be compared."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Ref":
            return "${" + str(argument) + "}"
        if function == "Fn::GetAtt":
            return "${" + ".".join(map(str, argument)) + "}"
        if function == "Fn::Join":
            separator, parts = argument
            return str(separator).join(render(part) for part in parts)
        if function == "Fn::Sub":
            return render(argument if isinstance(argument, str) else argument[0])
    return json.dumps(value, sort_keys=True)


@cache
def _schema_index() -> dict[str, str]:
    providers = files("cfnlint.data.schemas") / "providers" / f"{_SCHEMA_REGION}.json"
    index: dict[str, str] = json.loads(providers.read_text())
    return index


@cache
def create_only_properties(resource_type: str) -> tuple[str, ...]:
    """The properties (paths below ``Properties``, ``/`` between levels) whose change makes
    CloudFormation replace a resource of this type; none for a type without a schema (custom
    resources, ``AWS::CDK::Metadata``)."""
    schema_hash = _schema_index().get(resource_type)
    if schema_hash is None:
        return ()
    schema_file = files("cfnlint.data.schemas") / "resources" / f"{schema_hash}.json"
    schema = json.loads(schema_file.read_text())
    return tuple(
        pointer.removeprefix("/properties/")
        for pointer in schema.get("createOnlyProperties", ())
        if pointer.startswith("/properties/")
    )


def _value_at(properties: Any, path: str) -> Any:
    """The value at a schema path (``*`` walks every item of a list); None when unset."""
    step, _, rest = path.partition("/")
    if step == "*" and isinstance(properties, list):
        return [_value_at(item, rest) if rest else item for item in properties]
    if not isinstance(properties, dict) or step not in properties:
        return None
    return _value_at(properties[step], rest) if rest else properties[step]


@dataclass(frozen=True)
class Resource:
    """What decides whether CloudFormation replaces a resource, and what it does on delete."""

    type: str
    physical_name: str | None
    create_only: Mapping[str, Any]
    deletion_policy: str = DEFAULT_POLICY
    update_replace_policy: str = DEFAULT_POLICY

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "physicalName": self.physical_name,
            "createOnly": dict(self.create_only),
            "DeletionPolicy": self.deletion_policy,
            "UpdateReplacePolicy": self.update_replace_policy,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Resource:
        return cls(data["type"], data["physicalName"], data["createOnly"],
                   data["DeletionPolicy"], data["UpdateReplacePolicy"])  # fmt: skip

    @property
    def retained(self) -> bool:
        return self.deletion_policy == "Retain"

    def described(self) -> str:
        return self.type + (f" {self.physical_name}" if self.physical_name else "")


def physical_name(resource_type: str, properties: Mapping[str, Any]) -> str | None:
    """The name the template gives the resource (``TopicName``, ``RoleName``, ``Name``...): the
    create-only property that names it, or ``Name``; None when CloudFormation generates one."""
    candidates = [p for p in create_only_properties(resource_type) if p.endswith("Name")]
    for prop in (*candidates, "Name"):
        if prop in properties:
            return render(properties[prop])
    return None


def resource_of(definition: Mapping[str, Any]) -> Resource:
    resource_type = definition["Type"]
    properties = definition.get("Properties", {})
    return Resource(
        type=resource_type,
        physical_name=physical_name(resource_type, properties),
        create_only={p: _value_at(properties, p) for p in create_only_properties(resource_type)},
        deletion_policy=definition.get("DeletionPolicy", DEFAULT_POLICY),
        update_replace_policy=definition.get("UpdateReplacePolicy", DEFAULT_POLICY),
    )


def resources_of(template: Template) -> dict[str, Resource]:
    return {lid: resource_of(d) for lid, d in template.get("Resources", {}).items()}


@dataclass(frozen=True)
class Replacement:
    """One resource CloudFormation would delete (and maybe create again), in plain words."""

    unit: str
    logical_id: str
    resource: Resource
    reason: str

    def __str__(self) -> str:
        return f"{self.unit}: {self.logical_id} ({self.resource.described()}) {self.reason}"


def replacements(
    unit: str,
    old: Mapping[str, Resource],
    new: Mapping[str, Resource],
    *,
    considered: Iterable[str] | None = None,
) -> list[Replacement]:
    """What deploying ``new`` over ``old`` replaces or deletes, for the logical ids
    ``considered`` (default: all of ``old``)."""
    found: list[Replacement] = []
    added = [lid for lid in new if lid not in old]
    for lid in old if considered is None else considered:
        before = old[lid]
        after = new.get(lid)
        if after is None:
            twin = next((other for other in added if _same_resource(before, new[other])), None)
            if twin is not None:
                reason = (f"has a new logical id, {twin}: CloudFormation creates {twin} and "
                          f"then deletes {lid}")  # fmt: skip
            else:
                reason = "is removed: CloudFormation deletes it"
            if before.retained:
                reason += " (DeletionPolicy Retain: it stays in the account, outside the stack)"
            found.append(Replacement(unit, lid, before, reason))
        elif after.type != before.type:
            found.append(Replacement(unit, lid, before, f"becomes a {after.type}: replaced"))
        else:
            for prop, value in before.create_only.items():
                if after.create_only.get(prop) != value:
                    found.append(Replacement(
                        unit, lid, before,
                        f"is replaced: its create-only property {prop} changes from "
                        f"{_shown(value)} to {_shown(after.create_only.get(prop))}",
                    ))  # fmt: skip
    return found


def _same_resource(before: Resource, after: Resource) -> bool:
    """A resource under another logical id: same type, and same name or create-only values."""
    if before.type != after.type:
        return False
    if before.physical_name is not None:
        return before.physical_name == after.physical_name
    return bool(before.create_only) and before.create_only == after.create_only


def _shown(value: Any) -> str:
    return "(unset)" if value is None else render(value)
