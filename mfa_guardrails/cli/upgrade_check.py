"""Before ``make deploy``: what the new version would replace, and which security it would broaden.

Run as ``mfa-guardrails upgrade-check`` (``make upgrade-check``). It synthesizes this
version (or takes ``--candidate DIR``) and compares every template with the installed version's:
``--installed DIR``, the ``cdk.out`` that version's ``make synth`` wrote, or ``--deployed``, the
templates CloudFormation holds (``GetTemplate``, ``DescribeStackSet``; AWS credentials of the
account the stacks are in). It prints, in plain words:

- every replacement: a logical id gone or changed, a type changed, a create-only property changed
  (``mfa_guardrails.templates``, from CloudFormation's resource schemas), for every resource;
- every security-broadening change: an SCP or IAM ``Deny`` statement removed or weakened (fewer
  actions or resources, an exemption list grown, a condition added), an SCP detached from a
  target, an ``Allow`` granting new actions, resources or principals or losing a condition, a
  ``DeletionPolicy`` or ``UpdateReplacePolicy`` ``Retain`` dropped.

Exit 0 nothing to report, 1 findings, 2 cannot run (no credentials, an unreadable folder...).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from mfa_guardrails.checks import (
    DEFAULT_CONFIGURATION,
    configurations,
    synthesize_configurations,
)
from mfa_guardrails.templates import (
    STACK_SET_UNIT_PREFIX,
    Template,
    Unit,
    assembly_units,
    configuration_assemblies,
    render,
    replacements,
    resources_of,
)

EXIT_OK, EXIT_FINDINGS, EXIT_CANNOT_RUN = 0, 1, 2


class CannotRunError(Exception):
    """The check could not compare (missing folder, no credentials, access denied)."""


# ---- security-broadening changes ----------------------------------------------------------------


def _listed(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [render(item) for item in items]


def _documents(value: Any, path: str = "") -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every policy document (a mapping with ``Statement``) inside a resource's properties."""
    if isinstance(value, dict):
        if "Statement" in value:
            yield path, value
            return
        for key, item in value.items():
            yield from _documents(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _documents(item, f"{path}[{index}]")


def _statements(document: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    statements = document["Statement"]
    statements = statements if isinstance(statements, list) else [statements]
    return {str(s.get("Sid") or f"#{index}"): s for index, s in enumerate(statements)}


def _conditions(statement: Mapping[str, Any]) -> dict[tuple[str, str], set[str]]:
    return {
        (operator, key): set(_listed(values))
        for operator, block in statement.get("Condition", {}).items()
        for key, values in block.items()
    }


def _principals(value: Any) -> list[str]:
    """``{"AWS": [...], "Service": ...}`` (or ``*``) as ``AWS arn``, ``Service name``..."""
    if not isinstance(value, dict):
        return _listed(value)
    return [f"{kind} {item}" for kind, items in value.items() for item in _listed(items)]


def _covered(item: str, patterns: Sequence[str]) -> bool:
    """``item`` is one of ``patterns`` or matched by one of their ``*`` and ``?`` wildcards."""
    return any(
        item == pattern
        or fnmatch.fnmatchcase(item.lower(), pattern.lower().replace("[", "[[]"))
        for pattern in patterns
    )


def _uncovered(items: Sequence[str], patterns: Sequence[str]) -> list[str]:
    return sorted(item for item in items if not _covered(item, patterns))


def _negated(operator: str) -> bool:
    return "Not" in operator


def _deny_weakened(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """How a Deny statement denies less than it did."""
    found: list[str] = []
    for element, inverse in (("Action", "NotAction"), ("Resource", "NotResource")):
        if element in old and element in new:
            lost = _uncovered(_listed(old[element]), _listed(new[element]))
            if lost:
                found.append(f"no longer denies {element.lower()}s {', '.join(lost)}")
        if inverse in old and inverse in new:
            spared = _uncovered(_listed(new[inverse]), _listed(old[inverse]))
            if spared:
                found.append(f"now spares {inverse[3:].lower()}s {', '.join(spared)}")
        if (element in old) != (element in new):
            found.append(f"changes from {element if element in old else inverse} to "
                         f"{element if element in new else inverse}")  # fmt: skip
    before, after = _conditions(old), _conditions(new)
    for (operator, key), values in after.items():
        if (operator, key) not in before:
            found.append(f"applies only when {key} {operator} {', '.join(sorted(values))}")
            continue
        grown = values - before[operator, key] if _negated(operator) else set()
        narrowed = before[operator, key] - values if not _negated(operator) else set()
        if grown:
            found.append(f"exempts more ({key} {operator}): {', '.join(sorted(grown))}")
        if narrowed:
            found.append(
                f"matches fewer ({key} {operator}): no longer {', '.join(sorted(narrowed))}"
            )
    return found


def _allow_broadened(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[str]:
    """How an Allow statement grants more than it did (everything, when it is new)."""
    if old is None:
        granted = _listed(new.get("Action", new.get("NotAction", [])))
        to = f" to {', '.join(_principals(new['Principal']))}" if "Principal" in new else ""
        return [f"is new: allows {', '.join(granted)} on "
                f"{', '.join(_listed(new.get('Resource', '*')))}{to}"]  # fmt: skip
    found: list[str] = []
    for element in ("Action", "Resource", "Principal"):
        if element in new:
            listed = _principals if element == "Principal" else _listed
            added = _uncovered(listed(new[element]), listed(old.get(element, [])))
            if added:
                found.append(f"now allows {element.lower()}s {', '.join(added)}")
    for element in ("NotAction", "NotResource"):
        if element in old and element in new:
            dropped = _uncovered(_listed(old[element]), _listed(new[element]))
            if dropped:
                found.append(f"no longer excludes {', '.join(dropped)}")
    before, after = _conditions(old), _conditions(new)
    for (operator, key), values in before.items():
        if (operator, key) not in after:
            found.append(f"lost its condition {key} {operator}")
            continue
        wider = after[operator, key] - values if not _negated(operator) else set()
        if _negated(operator):
            wider = values - after[operator, key]
        if wider:
            found.append(f"condition {key} {operator} widened: {', '.join(sorted(wider))}")
    return found


def broadening(unit: str, old: Template, new: Template) -> list[str]:
    """Every security-broadening change of one template unit, in plain words."""
    found: list[str] = []
    new_resources = new.get("Resources", {})
    for lid, before in old.get("Resources", {}).items():
        after = new_resources.get(lid)
        where = f"{unit}: {lid} ({before['Type']})"
        if after is None:
            if before["Type"] == "AWS::Organizations::Policy":
                found.append(f"{where}: the SCP {render(before['Properties'].get('Name'))} "
                             "is removed")  # fmt: skip
            continue
        for policy in ("DeletionPolicy", "UpdateReplacePolicy"):
            if before.get(policy) == "Retain" and after.get(policy) != "Retain":
                found.append(f"{where}: {policy} Retain dropped: deleting or replacing it loses "
                             "its data")  # fmt: skip
        if before["Type"] == "AWS::Organizations::Policy":
            detached = sorted(set(_listed(before["Properties"].get("TargetIds", [])))
                              - set(_listed(after["Properties"].get("TargetIds", []))))  # fmt: skip
            if detached:
                found.append(f"{where}: the SCP is detached from {', '.join(detached)}")
        old_docs = dict(_documents(before.get("Properties", {})))
        for path, document in _documents(after.get("Properties", {})):
            previous = _statements(old_docs.get(path, {"Statement": []}))
            current = _statements(document)
            for sid, statement in current.items():
                earlier = previous.get(sid)
                if earlier is not None and earlier.get("Effect") != statement.get("Effect"):
                    effects = f"{earlier.get('Effect')} to {statement.get('Effect')}"
                    found.append(f"{where} {path} statement {sid}: changes from {effects}")
                elif statement.get("Effect") == "Allow":
                    found += [f"{where} {path} statement {sid} {change}"
                              for change in _allow_broadened(earlier, statement)]  # fmt: skip
                elif earlier is not None:
                    found += [f"{where} {path} statement {sid} {change}"
                              for change in _deny_weakened(earlier, statement)]  # fmt: skip
            found += [f"{where} {path}: the Deny statement {sid} is removed"
                      for sid, statement in previous.items()
                      if statement.get("Effect") == "Deny" and sid not in current]  # fmt: skip
    return found


# ---- where the installed templates come from -----------------------------------------------------


def installed_units(folder: Path, configuration: str, single: bool) -> dict[str, Unit]:
    """The installed version's templates of one configuration, from its ``cdk.out``."""
    if not folder.is_dir():
        raise CannotRunError(f"{folder} is not a folder: give the cdk.out the installed version's "
                        "`make synth` wrote")  # fmt: skip
    assemblies = configuration_assemblies(folder)
    if configuration in assemblies:
        return assembly_units(assemblies[configuration])
    if single and len(assemblies) == 1:
        return assembly_units(next(iter(assemblies.values())))
    raise CannotRunError(f"{folder} has no synthesized configuration {configuration} (found: "
                    f"{', '.join(assemblies) or 'none'})")  # fmt: skip


ClientFactory = Callable[[str], Any]


def deployed_units(candidate: Mapping[str, Unit], client_for: ClientFactory) -> dict[str, Unit]:
    """The templates CloudFormation holds for the candidate's stacks and StackSets (each in its
    region); a stack or StackSet not deployed yet is left out (nothing to replace)."""
    from botocore.exceptions import BotoCoreError, ClientError

    found: dict[str, Unit] = {}
    for name, unit in candidate.items():
        region = unit.environment.rsplit("/", 1)[-1] or None
        client = client_for(region or "us-east-1")
        try:
            if name.startswith(STACK_SET_UNIT_PREFIX):
                stack_set = name.removeprefix(STACK_SET_UNIT_PREFIX)
                body = client.describe_stack_set(StackSetName=stack_set)["StackSet"]["TemplateBody"]
            else:
                body = client.get_template(StackName=name, TemplateStage="Original")["TemplateBody"]
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            message = error.response.get("Error", {}).get("Message", str(error))
            if code in ("ValidationError", "StackSetNotFoundException") and (
                "does not exist" in message
                or "not found" in message.lower()
                or code == "StackSetNotFoundException"
            ):
                continue
            raise CannotRunError(f"cannot read {name} in {region}: {code}: {message}") from error
        except BotoCoreError as error:
            raise CannotRunError(f"cannot read {name} in {region}: {error}") from error
        template = body if isinstance(body, dict) else _parsed(name, body)
        found[name] = Unit(name, template, unit.environment)
    return found


def _parsed(name: str, body: str) -> Template:
    try:
        parsed: Template = json.loads(body)
    except ValueError as error:
        raise CannotRunError(
            f"{name}: the deployed template is not JSON (not deployed by CDK?)"
        ) from error
    return parsed


def aws_clients() -> ClientFactory:
    """CloudFormation clients of the caller's credentials; a clear error when there are none."""
    import boto3

    session = boto3.Session()
    if session.get_credentials() is None:
        raise CannotRunError("no AWS credentials: --deployed reads the deployed templates with the "
                        "credentials of the account the stacks are in; without them, compare "
                        "with the installed version's cdk.out: --installed DIR (make "
                        "upgrade-check INSTALLED=DIR)")  # fmt: skip
    return lambda region: session.client("cloudformation", region_name=region)


# ---- the job -------------------------------------------------------------------------------------


def compare(installed: Mapping[str, Unit], candidate: Mapping[str, Unit],
            configuration: str) -> tuple[list[str], list[str]]:  # fmt: skip
    """Replacements and security-broadening changes from ``installed`` to ``candidate``."""
    replaced: list[str] = []
    broadened: list[str] = []
    for name, unit in installed.items():
        where = f"{configuration}/{name}"
        new = candidate.get(name)
        if new is None:
            kind = "StackSet" if name.startswith(STACK_SET_UNIT_PREFIX) else "stack"
            replaced.append(f"{where}: the whole {kind} is gone from the new version: deploying "
                            "does not delete it, but nothing updates it any more")  # fmt: skip
            continue
        replaced += [str(r) for r in replacements(
            where, resources_of(unit.template), resources_of(new.template))]  # fmt: skip
        broadened += broadening(where, unit.template, new.template)
    return replaced, broadened


def report(replaced: Sequence[str], broadened: Sequence[str]) -> str:
    lines = ["Replacements (CloudFormation deletes, and may create again):" if replaced
             else "no replacements"]  # fmt: skip
    lines += [f"  - {line}" for line in replaced]
    lines.append("Security-broadening changes:" if broadened
                 else "no security-broadening changes")  # fmt: skip
    lines += [f"  - {line}" for line in broadened]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None, client_factory: ClientFactory | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="mfa-guardrails upgrade-check",
        description="what an upgrade would replace or broaden, before make deploy",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--installed",
        type=Path,
        metavar="DIR",
        help="the cdk.out of the installed version's make synth",
    )
    source.add_argument(
        "--deployed", action="store_true", help="the deployed templates (AWS credentials needed)"
    )
    parser.add_argument(
        "--candidate",
        type=Path,
        metavar="DIR",
        help="the new version's cdk.out (default: synthesize it now)",
    )
    parser.add_argument(
        "--config",
        type=Path,
        help="this configuration file only (make upgrade-check CONFIG=path.json)",
    )
    args = parser.parse_args(argv)  # fmt: skip
    try:
        clients = (client_factory or aws_clients()) if args.deployed else None
        with tempfile.TemporaryDirectory(prefix="mfa-guardrails-upgrade-") as folder:
            candidates = _candidates(args.candidate, args.config, Path(folder))
            if clients and args.config is None:  # make deploy without CONFIG: the default
                candidates = {DEFAULT_CONFIGURATION: candidates[DEFAULT_CONFIGURATION]}
            replaced: list[str] = []
            broadened: list[str] = []
            for configuration, candidate in candidates.items():
                installed = (deployed_units(candidate, clients) if clients
                             else installed_units(args.installed, configuration,
                                                  single=len(candidates) == 1))  # fmt: skip
                more_replaced, more_broadened = compare(installed, candidate, configuration)
                replaced += more_replaced
                broadened += more_broadened
    except CannotRunError as problem:
        print(f"upgrade-check cannot run: {problem}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    print(report(replaced, broadened))
    return EXIT_FINDINGS if replaced or broadened else EXIT_OK


def _candidates(candidate: Path | None, config_file: Path | None,
                scratch: Path) -> dict[str, dict[str, Unit]]:  # fmt: skip
    """The new version's templates by configuration: ``candidate`` or a fresh synth; without a
    configuration file, every configuration the main job proves."""
    if candidate is None:
        for name, synth in synthesize_configurations(scratch, config_file).items():
            if synth.code != 0:
                raise CannotRunError(f"synth of {name} failed (exit {synth.code}):\n"
                                + "\n".join(synth.output))  # fmt: skip
        candidate = scratch
    if not candidate.is_dir():
        raise CannotRunError(f"{candidate} is not a folder")
    wanted = set(configurations(config_file))
    found = {name: assembly_units(folder)
             for name, folder in configuration_assemblies(candidate).items()}  # fmt: skip
    selected = {name: units for name, units in found.items() if name in wanted}
    return selected or found


if __name__ == "__main__":
    sys.exit(main())
