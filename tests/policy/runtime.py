"""The product's own runtime under its own SCPs, derived from the synthesized templates.

Every role a template creates asks, as itself, for every action its own identity policies allow on
every resource they name (action wildcards expanded from the engine's catalog, each grant's own
conditions supplied as request context), in the account the template is deployed to, with the
SCPs of that account attached. Each function's log writes are asked for too, on the log group its
``LoggingConfig`` names. The invariant: every one is allowed. A new grant, a new resource name or
a new SCP statement that would deny the product its own work fails here, without a hand list.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path
from typing import Any

from tests.policy.engine import ROOT
from tests.policy.policies import Request
from tests.policy.principals import Principal

REGION = "us-east-1"
CATALOG = ROOT / "node_modules" / "@cloud-copilot" / "iam-data" / "data" / "actions"
# Log writes of a Lambda function: what its runtime does on every invocation.
LOG_WRITES = ("logs:CreateLogStream", "logs:PutLogEvents")


class UnresolvableGrantError(AssertionError):
    """A grant the invariant cannot turn into requests (an unnamed resource, an unknown type)."""


@dataclass(frozen=True)
class Deployment:
    """Where a template's resources live: the account, and its OU (None: attached directly)."""

    account: str
    ou: str | None


@dataclass(frozen=True)
class RuntimeCall:
    """One call a role of ours makes as part of its own work, with its own identity policies."""

    template: str
    role: Principal
    request: Request
    identity: tuple[Mapping[str, Any], ...]
    why: str

    @property
    def id(self) -> str:
        return f"{self.template}:{self.role.name}:{self.request.action}:{self.request.resource}"


@cache
def _service_actions(service: str) -> tuple[str, ...]:
    path = CATALOG / f"{service}.json"
    if not path.exists():
        raise UnresolvableGrantError(f"no action catalog for service {service!r}")
    return tuple(f"{service}:{a['name']}" for a in json.loads(path.read_text()).values())


def expand(action: str) -> list[str]:
    """``service:Pattern*`` as every action of the catalog it names (case-insensitive, as IAM)."""
    service, _, name = action.partition(":")
    if "*" not in name and "?" not in name:
        return [action]
    pattern = f"{service}:{name}".lower()
    found = [a for a in _service_actions(service) if fnmatchcase(a.lower(), pattern)]
    if not found:
        raise UnresolvableGrantError(f"{action} names no action of the catalog")
    return found


class _Template:
    """One template's resources, resolvable to the ARNs and names they get when deployed."""

    def __init__(self, name: str, template: Mapping[str, Any], where: Deployment) -> None:
        self.name = name
        self.resources: Mapping[str, Any] = template.get("Resources", {})
        self.where = where

    def resolve(self, value: Any) -> Any:  # noqa: PLR0911 - one return per intrinsic
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Ref"}:
            return self._ref(value["Ref"])
        if set(value) == {"Fn::GetAtt"}:
            logical_id, attribute = value["Fn::GetAtt"]
            if attribute != "Arn":
                raise UnresolvableGrantError(f"{self.name}: Fn::GetAtt {logical_id}.{attribute}")
            return self.arn(logical_id)
        if set(value) == {"Fn::Join"}:
            separator, parts = value["Fn::Join"]
            return separator.join(str(self.resolve(part)) for part in parts)
        if set(value) == {"Fn::Split"}:
            separator, source = value["Fn::Split"]
            return str(self.resolve(source)).split(separator)
        if set(value) == {"Fn::Select"}:
            index, items = value["Fn::Select"]
            return self.resolve(items)[int(index)]
        return {key: self.resolve(item) for key, item in value.items()}

    def _ref(self, name: str) -> str:
        pseudo = {"AWS::Partition": "aws", "AWS::AccountId": self.where.account,
                  "AWS::Region": REGION, "AWS::URLSuffix": "amazonaws.com"}  # fmt: skip
        if name in pseudo:
            return pseudo[name]
        kind = self.resources[name]["Type"]
        if kind in {"AWS::SNS::Topic", "AWS::KMS::Key", "AWS::StepFunctions::StateMachine"}:
            return self.arn(name)  # Ref of a topic or state machine is its ARN; a key's is its id
        return self.physical_name(name)

    def physical_name(self, logical_id: str) -> str:
        resource = self.resources[logical_id]
        props = resource.get("Properties", {})
        for key in ("RoleName", "FunctionName", "QueueName", "TopicName", "TableName",
                    "LogGroupName", "Name", "AliasName", "BucketName",
                    "StateMachineName"):  # fmt: skip
            if key in props:
                return str(self.resolve(props[key]))
        raise UnresolvableGrantError(
            f"{self.name}: {resource['Type']} {logical_id} has no physical name: a resource of "
            "ours without one escapes every name-based guardrail; name it with the product prefix"
        )

    def arn(self, logical_id: str) -> str:
        kind = self.resources[logical_id]["Type"]
        account, head = self.where.account, f"{REGION}:{self.where.account}"
        if kind == "AWS::KMS::Key":  # key ARNs carry an id, never a name
            return f"arn:aws:kms:{head}:key/{logical_id.lower()}"
        if kind == "AWS::Config::ConfigRule":  # so do Config rules'
            return f"arn:aws:config:{head}:config-rule/config-rule-{logical_id.lower()}"
        name = self.physical_name(logical_id)
        formats = {
            "AWS::Logs::LogGroup": f"arn:aws:logs:{head}:log-group:{name}:*",
            "AWS::SQS::Queue": f"arn:aws:sqs:{head}:{name}",
            "AWS::SNS::Topic": f"arn:aws:sns:{head}:{name}",
            "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{head}:table/{name}",
            "AWS::Lambda::Function": f"arn:aws:lambda:{head}:function:{name}",
            "AWS::Events::EventBus": f"arn:aws:events:{head}:event-bus/{name}",
            "AWS::IAM::Role": f"arn:aws:iam::{account}:role/{name}",
            "AWS::S3::Bucket": f"arn:aws:s3:::{name}",
            "AWS::StepFunctions::StateMachine": f"arn:aws:states:{head}:stateMachine:{name}",
        }
        if kind not in formats:
            raise UnresolvableGrantError(f"{self.name}: no ARN format for {kind} ({logical_id})")
        return formats[kind]

    def key_aliases(self, key_arn: str) -> list[str]:
        return [
            str(self.resolve(r["Properties"]["AliasName"]))
            for r in self.resources.values()
            if r["Type"] == "AWS::KMS::Alias"
            and self.resolve(r["Properties"]["TargetKeyId"]) == key_arn
        ]

    def rule_tags(self, rule_arn: str) -> dict[str, str | list[str]]:
        """The tags the template's tagging resource gives a Config rule, as request context."""
        return {
            f"aws:ResourceTag/{key}": value
            for r in self.resources.values()
            if r["Type"] == "Custom::MfaGuardrailsConfigRuleTags"
            and rule_arn in [self.resolve(rule["Arn"]) for rule in r["Properties"]["Rules"]]
            for key, value in r["Properties"]["Tags"].items()
        }

    def roles(self) -> Iterator[tuple[str, str]]:
        for logical_id, resource in self.resources.items():
            if resource["Type"] == "AWS::IAM::Role":
                yield logical_id, self.physical_name(logical_id)

    def identity_policies(self, role_id: str) -> list[Mapping[str, Any]]:
        """The role's inline policies and every AWS::IAM::Policy attached to it, resolved."""
        role = self.resources[role_id]["Properties"]
        if role.get("ManagedPolicyArns"):
            raise UnresolvableGrantError(f"{self.name}: {role_id} has managed policies: add their "
                                    "documents to the runtime invariant")  # fmt: skip
        documents = [p["PolicyDocument"] for p in role.get("Policies", [])]
        documents += [
            r["Properties"]["PolicyDocument"]
            for r in self.resources.values()
            if r["Type"] == "AWS::IAM::Policy"
            and {"Ref": role_id} in r["Properties"].get("Roles", [])
        ]
        return [self.resolve(document) for document in documents]

    def function_log_groups(self) -> Iterator[tuple[str, str]]:
        """(role logical id, log group ARN) of each function: where its runtime writes logs."""
        for logical_id, resource in self.resources.items():
            if resource["Type"] != "AWS::Lambda::Function":
                continue
            props = resource["Properties"]
            role_id = props["Role"]["Fn::GetAtt"][0]
            group = props.get("LoggingConfig", {}).get("LogGroup")
            if group is None:
                name = self.physical_name(logical_id)
                head = f"{REGION}:{self.where.account}"
                yield role_id, f"arn:aws:logs:{head}:log-group:/aws/lambda/{name}:*"
            else:
                group_id = group["Ref"] if isinstance(group, dict) else None
                arn = self.arn(group_id) if group_id else (
                    f"arn:aws:logs:{REGION}:{self.where.account}:log-group:{group}:*")
                yield role_id, arn


def _context(condition: Mapping[str, Mapping[str, Any]]) -> dict[str, str | list[str]]:
    """The request context a grant's own conditions ask for (its first accepted value)."""
    context: dict[str, str | list[str]] = {}
    for operator, keys in condition.items():
        for key, values in keys.items():
            listed = values if isinstance(values, list) else [values]
            if operator.startswith(("ForAllValues:", "ForAnyValue:")):
                context[key] = [str(v) for v in listed]
            elif operator.startswith(("String", "Arn", "Bool", "Numeric", "Date", "IpAddress")):
                context[key] = str(listed[0])
            else:
                raise UnresolvableGrantError(f"condition operator {operator} on {key}")
    return context


def _account_of(resource: str, default: str) -> str:
    parts = resource.split(":")
    return parts[4] if len(parts) > 5 and parts[4].isdigit() else default


def runtime_calls(
    templates: Mapping[str, Mapping[str, Any]], deployments: Mapping[str, Deployment]
) -> list[RuntimeCall]:
    """Every call the roles of ``templates`` make in their own work, for the templates that
    ``deployments`` places in an account the SCPs reach."""
    calls: list[RuntimeCall] = []
    for name, where in deployments.items():
        template = _Template(name, templates[name], where)
        for role_id, role_name in template.roles():
            arn = f"arn:aws:iam::{where.account}:role/{role_name}"
            role = Principal(f"{name}:{role_name}", arn, "role", account=where.account,
                             ou=where.ou)
            identity = tuple(template.identity_policies(role_id))
            for document in identity:
                calls += _grant_calls(template, role, identity, document)
            for fn_role, group in template.function_log_groups():
                if fn_role == role_id:
                    calls += [RuntimeCall(name, role, Request(action, group, {}, where.account),
                                          identity, "its function's log writes")
                              for action in LOG_WRITES]  # fmt: skip
    return calls


def _grant_calls(
    template: _Template, role: Principal, identity: tuple[Mapping[str, Any], ...],
    document: Mapping[str, Any],
) -> Iterator[RuntimeCall]:  # fmt: skip
    for statement in document["Statement"]:
        if statement["Effect"] != "Allow":
            continue
        if "NotAction" in statement or "NotResource" in statement:
            raise UnresolvableGrantError(f"{role.name}: NotAction/NotResource grant {statement}")
        actions = statement["Action"]
        resources = statement["Resource"]
        context = _context(statement.get("Condition", {}))
        for action in [a for pattern in _listed(actions) for a in expand(pattern)]:
            for resource in _listed(resources):
                request_context = dict(context)
                if ":key/" in resource:
                    request_context["kms:ResourceAliases"] = template.key_aliases(resource)
                if ":config-rule/" in resource:
                    request_context.update(template.rule_tags(resource))
                yield RuntimeCall(
                    template.name, role,
                    Request(action, resource, request_context,
                            _account_of(resource, role.account)),
                    identity, f"granted by {statement.get('Sid', 'its policy')}",
                )  # fmt: skip


def _listed(value: Any) -> list[str]:
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def stackset_templates(outdir: Path) -> dict[str, dict[str, Any]]:
    """The StackSet templates of an assembly, by file stem."""
    return {
        path.name.removesuffix(".stackset.template.json"): json.loads(path.read_text())
        for path in sorted(outdir.glob("*.stackset.template.json"))
    }
