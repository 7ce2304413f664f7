"""The one typed, frozen configuration of mfa-guardrails, validated before any construct exists.

Configuration lives in CDK context under keys prefixed ``mfa-guardrails:`` (``cdk.json`` holds the
embedded single-account default; ``cdk synth -c mfa-guardrails:enforcement=enforce`` overrides a
field). Every problem is collected and reported at once, each naming the field's path, the bad value
and the fix, so a platform team fixes a config in one pass instead of one synth per typo.
"""

from __future__ import annotations

import difflib
import importlib.util
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from constructs_lib.naming import CDK_DEFAULT_QUALIFIER

CONTEXT_PREFIX = "mfa-guardrails:"
# `make synth|diff|deploy CONFIG=path.json` hands the file to app.py through this variable.
CONFIG_FILE_VARIABLE = "MFA_GUARDRAILS_CONFIG"
# The configuration used when no file is given: one account, audit mode, nobody exempt. It lives
# here, not in cdk.json, whose context would silently win over a cdk.context.json.
EMBEDDED_DEFAULT: Mapping[str, Any] = MappingProxyType({
    CONTEXT_PREFIX + "topology": "single-account",
    CONTEXT_PREFIX + "enforcement": "audit",
    CONTEXT_PREFIX + "home-region": "us-east-1",
    CONTEXT_PREFIX + "notification-emails": ["security-alerts@example.com"],
})

_MAIL_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,63}$"
)
_ACCOUNT_ID = re.compile(r"^\d{12}$")
# IAM role or user ARN; the account may be "*" so one break-glass role name covers every member.
# ASCII only: IAM names allow no other letters, and Python's \w would accept them.
_PRINCIPAL_ARN = re.compile(
    r"^arn:aws(?:-cn|-us-gov|-iso[a-z-]*)?:iam::(?:\d{12}|\*):(?:role|user)/"
    r"(?:[\w+=,.@*-]+/)*[\w+=,.@*?-]{1,128}$",
    re.ASCII,
)
# What the trail and the recorder depend on: their S3 buckets (and objects), KMS keys, IAM roles.
_LIFELINE_ARN = re.compile(
    r"^arn:aws:(?:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](?:/\*)?"
    r"|kms:[a-z0-9-]+:(?:\d{12}|\*):key/[A-Za-z0-9*-]+"
    r"|iam::(?:\d{12}|\*):role/(?:[\w+=,.@-]+/)*[\w+=,.@*-]{1,128})$",
    re.ASCII,
)
_OU_OR_ROOT_ID = re.compile(r"^(?:ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$")
_GITHUB_REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
_GITHUB_ENVIRONMENT = re.compile(r"^[A-Za-z0-9._ -]{1,255}$")
_GITHUB_OIDC_PROVIDER_ARN = re.compile(
    r"^arn:aws:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com$"
)
_SLACK_WORKSPACE_ID = re.compile(r"^[0-9A-Z]{1,255}$")
_SLACK_CHANNEL_ID = re.compile(r"^[A-Za-z0-9]{1,255}$")
_ORGANIZATION_ID = re.compile(r"^o-[a-z0-9]{10,32}$")
# AWS Config's MaximumExecutionFrequency values.
CONFIG_RULE_FREQUENCIES = (
    "One_Hour", "Three_Hours", "Six_Hours", "Twelve_Hours", "TwentyFour_Hours",
)  # fmt: skip
_CONFIG_RULE_FREQUENCY = re.compile("^(?:" + "|".join(CONFIG_RULE_FREQUENCIES) + ")$")

# An Identity Center in us-east-1 names its permission-set roles without a region segment
# (role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_...): "/*/" would miss every one of them.
_SSO_PATTERN_WITH_REGION_ONLY = re.compile(r"/sso\.amazonaws\.com/\*/")
_SSO_ROLES = "/sso.amazonaws.com/"
_SSO_ANY_SEGMENT = "/sso.amazonaws.com/*AWSReservedSSO_"
# A permission-set role is AWSReservedSSO_<permission set>_<suffix>, the suffix 16 hexadecimal
# characters (IAM Identity Center user guide, "Referencing permission sets in resource policies"):
# a "*" after the set's name also matches AdministratorAccess_<anything>, a permission set an
# Identity Center delegated administrator could create. The suffix is matched by its length.
PERMISSION_SET_SUFFIX = "?" * 16
_PERMISSION_SET_PREFIX_GLOB = re.compile(r"AWSReservedSSO_[^/]*\*")
# An exemption whose name is nothing but wildcards (role/*, user/*/*) exempts every identity.
_BLANKET_NAME = re.compile(r":(?:role|user)/[*/]*$")
_IAM_NAME = re.compile(r"^[\w+=,.@-]{1,128}$", re.ASCII)
# The partition that owns us-east-1, where IAM, account and root sign-in events reach EventBridge
# and where the alerting runs: the product cannot watch another partition's accounts from there.
SUPPORTED_PARTITION = "aws"
# The regions every AWS account has enabled by default (the others need an opt-in): where an
# IAM user's console sign-in can be recorded unless the account opted in to more.
DEFAULT_SIGN_IN_REGIONS = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1",
    "eu-central-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-north-1",
    "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1",
    "ap-southeast-2",
)  # fmt: skip
# CreateStackInstances and UpdateStackSet accept at most 50 OUs per operation.
MAX_OUS_PER_STACKSET_OPERATION = 50
# The scheduled organization readiness run (constructs_lib/org_readiness_run): EventBridge
# Scheduler's rate or cron expression, "off" for runs on demand only.
DEFAULT_ORG_READINESS_SCHEDULE = "rate(1 day)"
ORG_READINESS_OFF = "off"
_SCHEDULE_EXPRESSION = re.compile(
    r"^(?:rate\((?:1 (?:minute|hour|day)|[1-9]\d* (?:minutes|hours|days))\)|cron\([^()]+\))$")
# Accounts checked at once. Each check runs in its own account (the reader role), so the
# per-account API rates (Account Management: GetContactInformation and GetAlternateContact 10
# per second each, https://docs.aws.amazon.com/accounts/latest/reference/quotas.html; IAM's
# per-account throttling) are met one account at a time by botocore's adaptive retries; what
# every check shares is the security account's Lambda concurrency (1,000 per region by default,
# also the notifier's: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html)
# and its AssumeRole calls. 50 keeps 95 % of that concurrency free and makes ~17 AssumeRole
# calls a second, and checks 5,000 accounts in ~10 minutes (bench/org_run.py). Distributed Map
# allows up to 10,000 (https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html).
DEFAULT_ORG_READINESS_CONCURRENCY = 50
MAX_ORG_READINESS_CONCURRENCY = 10_000
# RFC 2606 names reserved for examples: mail to them reaches nobody.
_EXAMPLE_DOMAIN = re.compile(r"@(?:[^@]+\.)?example\.(?:com|org|net)$|\.(?:example|test|invalid)$",
                             re.IGNORECASE)


class Topology(StrEnum):
    """Where the guardrails are deployed (see README, "Topologies")."""

    SINGLE_ACCOUNT = "single-account"
    ORGANIZATION = "organization"


class Enforcement(StrEnum):
    """``audit`` synthesizes every policy but attaches none; ``enforce`` attaches them."""

    AUDIT = "audit"
    ENFORCE = "enforce"


class ConfigError(ValueError):
    """Raised with every configuration problem found, one per line."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(
            f"mfa-guardrails configuration is invalid ({len(self.problems)} problem(s)):\n{lines}"
        )


@dataclass(frozen=True)
class GuardrailsConfig:
    """Validated configuration; build it with :func:`load_config`, never from raw user input."""

    topology: Topology = Topology.SINGLE_ACCOUNT
    enforcement: Enforcement = Enforcement.AUDIT
    home_region: str = "us-east-1"
    notification_emails: tuple[str, ...] = ()
    operations_emails: tuple[str, ...] = ()
    slack_workspace_id: str | None = None
    slack_channel_id: str | None = None
    break_glass_principal_arns: tuple[str, ...] = ()
    admin_principal_arns: tuple[str, ...] = ()
    automation_principal_arns: tuple[str, ...] = ()
    management_account_id: str | None = None
    security_account_id: str | None = None
    organization_id: str | None = None
    allow_security_in_management: bool = False
    target_ou_ids: tuple[str, ...] = ()
    security_account_ou_id: str | None = None
    lifeline_resource_arns: tuple[str, ...] = ()
    target_regions: tuple[str, ...] = ()
    config_rule_frequency: str = "TwentyFour_Hours"
    org_readiness_schedule: str | None = DEFAULT_ORG_READINESS_SCHEDULE
    org_readiness_concurrency: int = DEFAULT_ORG_READINESS_CONCURRENCY
    require_hardware_root_mfa: bool = False
    require_operations_contact: bool = False
    recovery_email_domains: tuple[str, ...] = ()
    attach_to_group_names: tuple[str, ...] = ()
    attach_to_role_names: tuple[str, ...] = ()
    attach_to_names_exist_in_members: bool = False
    other_owners_config_rules: bool = True
    sign_in_regions: tuple[str, ...] = DEFAULT_SIGN_IN_REGIONS
    identity_center_region: str | None = None
    pipeline_github_repository: str | None = None
    pipeline_github_environment: str = "production"
    pipeline_oidc_provider_arn: str | None = None

    @property
    def enforcing(self) -> bool:
        return self.enforcement is Enforcement.ENFORCE

    @property
    def watched_regions(self) -> tuple[str, ...]:
        """Every region an alert's event can be recorded in: us-east-1 (IAM, account, root
        sign-in), the sign-in regions (IAM-user sign-ins, AssumeRoot), the Identity Center
        region, the home and target regions (trails, recorders, rules): each gets forwarding."""
        identity_center = self.identity_center_region or self.home_region
        found = ("us-east-1", *self.sign_in_regions, identity_center, self.home_region,
                 *self.target_regions)  # fmt: skip
        return tuple(dict.fromkeys(found))

    @property
    def scp_target_ids(self) -> tuple[str, ...]:
        """Where the SCPs attach: the target OUs, and the security account itself. As the Account
        Management delegated administrator it could change every member's recovery contacts, so
        its own principals are guarded wherever it sits (attaching to an account inside a target
        OU as well is harmless); never the management account, which no SCP restricts."""
        security = self.security_account_under_scps
        return self.target_ou_ids if security is None else (*self.target_ou_ids, security)

    @property
    def exempt_admin_arns(self) -> tuple[str, ...]:
        """Who may still remove a lost MFA device or fix a recovery contact under the SCPs."""
        return self.break_glass_principal_arns + self.admin_principal_arns

    @property
    def exempt_names(self) -> tuple[str, ...]:
        """The names of exempt users and roles without wildcards: created in any case, they are
        alerted (IAM names are unique whatever their case; the SCPs match ARNs case-sensitively)."""
        found = (arn.rpartition("/")[2] for arn in (*self.break_glass_principal_arns,
                                                    *self.admin_principal_arns,
                                                    *self.automation_principal_arns))
        return tuple(dict.fromkeys(name for name in found if "*" not in name and "?" not in name))

    @property
    def security_account_under_scps(self) -> str | None:
        """The security account, unless it is the management account, which no SCP restricts:
        the SCPs attach to it, its CDK bootstrap deploys our stacks under them, and the member
        baseline must reach it."""
        account = self.security_account_id
        return None if account is None or account == self.management_account_id else account

    @property
    def guardrail_automation_arns(self) -> tuple[str, ...]:
        """Deployment roles besides the StackSet execution roles that may change the guardrails:
        the CDK bootstrap roles (default qualifier) of the security account, which deploy our
        alerting stack there (the only account of ours that SCPs cover), then the configured
        ones (Control Tower's or Landing Zone Accelerator's, a custom CDK qualifier's)."""
        account = self.security_account_under_scps
        own: tuple[str, ...] = ()
        if account is not None:
            # The publishing roles write the staging bucket, which no one else may.
            own = tuple(
                f"arn:aws:iam::{account}:role/cdk-{CDK_DEFAULT_QUALIFIER}-{role}-{account}-*"
                for role in ("cfn-exec-role", "deploy-role", "file-publishing-role",
                             "image-publishing-role")
            )
        return own + self.automation_principal_arns


@cache
def region_partitions() -> dict[str, str]:
    """Every region of every partition, with its partition, from botocore's partition data (read,
    not imported: loading botocore's session and endpoint data would add ~0.3 s to every synth)."""
    spec = importlib.util.find_spec("botocore")
    if spec is None or spec.origin is None:
        raise RuntimeError("botocore is not installed: run `make setup`")
    data = json.loads((Path(spec.origin).parent / "data" / "partitions.json").read_text())
    return {
        region: partition["id"]
        for partition in data["partitions"]
        for region in partition["regions"]
    }


def aws_regions() -> frozenset[str]:
    return frozenset(region_partitions())


# ---------------------------------------------------------------------------------------------
# Field parsers: each takes the raw value and the field path, returns the parsed value or records
# problems. A raw value may come from cdk.json (typed JSON) or from ``-c key=value`` (a string).
# ---------------------------------------------------------------------------------------------


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: str, value: Any, why: str, fix: str) -> None:
        self.items.append(f"{path} = {value!r}: {why}. Fix: {fix}")


def _as_list(raw: Any, path: str, problems: _Problems) -> list[Any]:
    if raw is None:
        return []
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("["):
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError:
                problems.add(
                    path, raw, "is not a valid JSON list", 'write a JSON list, e.g. ["a","b"]'
                )
                return []
            return list(parsed) if isinstance(parsed, list) else [parsed]
        return [part.strip() for part in text.split(",") if part.strip()]
    if isinstance(raw, list | tuple):
        return list(raw)
    problems.add(path, raw, "is not a list", 'write a JSON list, e.g. ["a","b"], or "a,b" with -c')
    return []


@dataclass(frozen=True)
class _EachMatches:
    """Parser of a list field whose every item must match ``pattern``."""

    pattern: re.Pattern[str]
    why: str
    fix: str

    def __call__(self, raw: Any, path: str, problems: _Problems) -> tuple[str, ...]:
        good: list[str] = []
        for index, item in enumerate(_as_list(raw, path, problems)):
            if isinstance(item, str) and self.pattern.match(item):
                good.append(item)
            else:
                problems.add(f"{path}[{index}]", item, self.why, self.fix)
        _no_duplicates(good, raw, path, problems)
        return tuple(good)


def _no_duplicates(values: Sequence[str], raw: Any, path: str, problems: _Problems) -> None:
    """E-mail addresses, IAM names and region codes are all case-insensitive."""
    if len({value.casefold() for value in values}) != len(values):
        problems.add(
            path, raw, "lists the same value twice (ignoring case)", "remove the duplicate"
        )


def _enum(raw: Any, path: str, problems: _Problems, kind: type[StrEnum], default: StrEnum) -> Any:
    if raw is None:
        return default
    choices = [m.value for m in kind]
    if isinstance(raw, str) and raw in choices:
        return kind(raw)
    problems.add(path, raw, f"is not one of {choices}", f"set it to one of {', '.join(choices)}")
    return default


def _account(raw: Any, path: str, problems: _Problems) -> str | None:
    if raw is None or raw == "":
        return None
    text = str(raw) if isinstance(raw, int) else raw
    if isinstance(text, str) and _ACCOUNT_ID.match(text):
        return text
    problems.add(
        path,
        raw,
        "is not a 12-digit AWS account id",
        'write the account id as a quoted string of exactly 12 digits, e.g. "123456789012"',
    )
    return None


@dataclass(frozen=True)
class _Optional:
    """Parser of an optional single string that must match ``pattern``."""

    pattern: re.Pattern[str]
    why: str
    fix: str
    default: str | None = None

    def __call__(self, raw: Any, path: str, problems: _Problems) -> str | None:
        if raw is None or raw == "":
            return self.default
        if isinstance(raw, str) and self.pattern.match(raw):
            return raw
        problems.add(path, raw, self.why, self.fix)
        return self.default


def _flag(raw: Any, path: str, problems: _Problems) -> bool:
    if raw is None:
        return False
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.lower() in {"true", "false"}:
        return raw.lower() == "true"
    problems.add(path, raw, "is not true or false", "set it to true or false")
    return False


def _concurrency(raw: Any, path: str, problems: _Problems) -> int:
    if raw is None:
        return DEFAULT_ORG_READINESS_CONCURRENCY
    value = int(raw) if isinstance(raw, str) and raw.isdigit() else raw
    if isinstance(value, int) and not isinstance(value, bool) and (
            1 <= value <= MAX_ORG_READINESS_CONCURRENCY):  # fmt: skip
        return value
    problems.add(path, raw, "is not a number of accounts to check at once",
                 f"use a whole number from 1 to {MAX_ORG_READINESS_CONCURRENCY:,} (default "
                 f"{DEFAULT_ORG_READINESS_CONCURRENCY})")  # fmt: skip
    return DEFAULT_ORG_READINESS_CONCURRENCY


def _region(raw: Any, path: str, problems: _Problems) -> str:
    if isinstance(raw, str) and raw.endswith("-global") and raw in aws_regions():
        problems.add(
            path, raw, "is a pseudo-region (a global endpoint), where nothing can be deployed",
            "use a region code such as us-east-1",
        )  # fmt: skip
        return "us-east-1"
    partition = region_partitions().get(raw) if isinstance(raw, str) else None
    if partition is not None and partition != SUPPORTED_PARTITION:
        problems.add(
            path, raw,
            f"is a region of the {partition} partition: the alerting runs in us-east-1 "
            f"(partition {SUPPORTED_PARTITION}), where no event of that partition's accounts "
            "arrives, and its ARNs differ",
            f"use regions of the {SUPPORTED_PARTITION} partition (other partitions are not "
            "supported)",
        )  # fmt: skip
        return "us-east-1"
    if partition is not None:
        return str(raw)
    near = difflib.get_close_matches(str(raw), sorted(aws_regions()), n=1)
    hint = f" (did you mean {near[0]!r}?)" if near else ""
    problems.add(path, raw, "is not an AWS region", f"use a region code such as us-east-1{hint}")
    return "us-east-1"


def _regions(raw: Any, path: str, problems: _Problems) -> tuple[str, ...]:
    items = _as_list(raw, path, problems)
    regions = tuple(_region(item, f"{path}[{i}]", problems) for i, item in enumerate(items))
    _no_duplicates([str(item) for item in items], raw, path, problems)
    return regions


_FIELDS: dict[str, Callable[[Any, str, _Problems], Any]] = {
    "topology": lambda raw, path, p: _enum(raw, path, p, Topology, Topology.SINGLE_ACCOUNT),
    "enforcement": lambda raw, path, p: _enum(raw, path, p, Enforcement, Enforcement.AUDIT),
    "home-region": lambda raw, path, p: _region("us-east-1" if raw is None else raw, path, p),
    "notification-emails": _EachMatches(
        _EMAIL, "is not an e-mail address",
        "write a full address such as security-alerts@example.com"),
    "operations-emails": _EachMatches(
        _EMAIL, "is not an e-mail address",
        "write a full address such as platform-oncall@example.com (empty: notification-emails)"),
    "slack-workspace-id": _Optional(
        _SLACK_WORKSPACE_ID, "is not a Slack workspace (team) id",
        "copy the workspace id from the AWS Chatbot console, e.g. T0123ABCD (upper case)"),
    "slack-channel-id": _Optional(
        _SLACK_CHANNEL_ID, "is not a Slack channel id",
        "copy the channel id from Slack (channel details), e.g. C0123ABCD"),
    "break-glass-principal-arns": _EachMatches(
        _PRINCIPAL_ARN, "is not an IAM role or user ARN",
        "use arn:aws:iam::<12-digit account or *>:role/<name> (or :user/<name>), "
        "in ASCII letters, digits and +=,.@_-"),
    "admin-principal-arns": _EachMatches(
        _PRINCIPAL_ARN, "is not an IAM role or user ARN",
        "use arn:aws:iam::<12-digit account or *>:role/<path>/<name> in ASCII letters, digits "
        "and +=,.@_-; * is allowed in the name"),
    "automation-principal-arns": _EachMatches(
        _PRINCIPAL_ARN, "is not an IAM role ARN",
        "use arn:aws:iam::<12-digit account or *>:role/<name> of a deployment role (ASCII), "
        "e.g. arn:aws:iam::*:role/AWSControlTowerExecution"),
    "management-account-id": _account,
    "security-account-id": _account,
    "organization-id": _Optional(
        _ORGANIZATION_ID, "is not an AWS Organizations id",
        "use the id from `aws organizations describe-organization`, like o-a1b2c3d4e5"),
    "allow-security-in-management": _flag,
    "security-account-ou-id": _Optional(
        _OU_OR_ROOT_ID, "is not an organizational unit id or root id",
        "use the id of the security account's parent: aws organizations list-parents "
        "--child-id <security-account-id>"),
    "target-ou-ids": _EachMatches(
        _OU_OR_ROOT_ID, "is not an organizational unit id or root id",
        "use an OU id like ou-ab12-cd34ef56, or the root id like r-ab12 "
        "(aws organizations list-roots)"),
    "target-regions": _regions,
    "lifeline-resource-arns": _EachMatches(
        _LIFELINE_ARN, "is not an S3 bucket, KMS key or IAM role ARN",
        "list the trail's and the recorder's buckets (arn:aws:s3:::<bucket> and "
        "arn:aws:s3:::<bucket>/*), the trail's KMS key (arn:aws:kms:<region>:<account>:key/<id>) "
        "and the recorder's role (arn:aws:iam::*:role/<name>)"),
    "config-rule-frequency": _Optional(
        _CONFIG_RULE_FREQUENCY, "is not an AWS Config execution frequency",
        f"use one of {', '.join(CONFIG_RULE_FREQUENCIES)}", default="TwentyFour_Hours"),
    "org-readiness-schedule": lambda raw, path, p: (
        None if raw == ORG_READINESS_OFF else _Optional(
            _SCHEDULE_EXPRESSION, "is not an EventBridge Scheduler rate or cron expression",
            f'use e.g. "rate(1 day)", "cron(0 6 * * ? *)", or "{ORG_READINESS_OFF}" for runs on '
            "demand only", default=DEFAULT_ORG_READINESS_SCHEDULE)(raw, path, p)),
    "org-readiness-concurrency": _concurrency,
    "require-hardware-root-mfa": _flag,
    "require-operations-contact": _flag,
    "recovery-email-domains": _EachMatches(
        _MAIL_DOMAIN, "is not a mail domain",
        "write the domain alone, e.g. example.org (no @, no address, no scheme)"),
    "attach-to-group-names": _EachMatches(
        _IAM_NAME, "is not an IAM group name",
        "use the group's name (ASCII letters, digits and +=,.@_-), not its ARN"),
    "pipeline-github-repository": _Optional(
        _GITHUB_REPOSITORY, "is not a GitHub repository",
        "write owner/name, e.g. acme/mfa-guardrails (or leave it unset for no pipeline role)"),
    "pipeline-github-environment": _Optional(
        _GITHUB_ENVIRONMENT, "is not a GitHub environment name",
        "use the deployment environment's name, e.g. production", default="production"),
    "pipeline-oidc-provider-arn": _Optional(
        _GITHUB_OIDC_PROVIDER_ARN, "is not the ARN of GitHub's OIDC provider",
        "use arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com, "
        "or leave it unset to create the provider"),
    "attach-to-role-names": _EachMatches(
        _IAM_NAME, "is not an IAM role name",
        "use the role's name (ASCII letters, digits and +=,.@_-), not its ARN"),
    "attach-to-names-exist-in-members": _flag,
    "other-owners-config-rules": lambda raw, path, p: True if raw is None else _flag(raw, path, p),
    "sign-in-regions": lambda raw, path, p: (
        DEFAULT_SIGN_IN_REGIONS if raw is None else _regions(raw, path, p)),
    "identity-center-region": lambda raw, path, p: (
        None if raw is None or raw == "" else _region(raw, path, p)),
}  # fmt: skip

_ATTRIBUTE = {key: key.replace("-", "_") for key in _FIELDS}


def config_keys() -> tuple[str, ...]:
    """The full context keys this package understands, e.g. ``mfa-guardrails:topology``."""
    return tuple(CONTEXT_PREFIX + key for key in _FIELDS)


def unprefixed_keys(context: Mapping[str, Any]) -> list[str]:
    """Warnings for context keys that name a setting without its prefix (``-c enforcement=…``):
    CDK accepts any key, so such a value would otherwise be ignored without a word."""
    return [
        f"warning: context key {key!r} is ignored; did you mean {CONTEXT_PREFIX}{key}?"
        for key in sorted(context)
        if key in _FIELDS
    ]


def read_config_file(path: Path) -> dict[str, Any]:
    """A configuration file (``CONFIG=path.json``): a JSON object of ``mfa-guardrails:*`` keys, the
    format of ``examples/*.json``. It replaces the embedded default; context keys (``-c``,
    cdk.context.json) still override it field by field."""
    where = f"{CONFIG_FILE_VARIABLE}={path}"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError([f"{where}: no such file. Fix: give the path of a JSON file such as "
                           "examples/organization.json"]) from None  # fmt: skip
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ConfigError([f"{where}: is not valid JSON ({error}). Fix: write one JSON object "
                           'of "mfa-guardrails:<key>": value pairs'])  from None  # fmt: skip
    if not isinstance(data, dict):
        raise ConfigError([f"{where}: holds a {type(data).__name__}, not a JSON object. Fix: "
                           'write one object of "mfa-guardrails:<key>": value pairs'])  # fmt: skip
    problems = _Problems()
    for key in data:
        if not key.startswith(CONTEXT_PREFIX):
            hint = f"name it {CONTEXT_PREFIX}{key}" if key in _FIELDS else "remove it"
            problems.add(f"{where}: {key}", data[key], "is not an mfa-guardrails setting", hint)
    if problems.items:
        raise ConfigError(problems.items)
    return data


def effective_context(context: Mapping[str, Any], config_file: Path | None) -> dict[str, Any]:
    """What load_config reads: the file (or the embedded default), then the CDK context's own
    ``mfa-guardrails:*`` keys (``-c`` and cdk.context.json) on top, field by field."""
    base = read_config_file(config_file) if config_file is not None else dict(EMBEDDED_DEFAULT)
    return {**base, **{k: v for k, v in context.items() if k.startswith(CONTEXT_PREFIX)}}


def config_warnings(config: GuardrailsConfig) -> list[str]:
    """What is valid but probably not meant: printed by app.py on every synth."""
    return [
        f"warning: {CONTEXT_PREFIX}{key} lists {address!r}, a domain reserved for examples: "
        "alerts sent there reach nobody; set your team's address"
        for key in ("notification-emails", "operations-emails")
        for address in getattr(config, _ATTRIBUTE[key])
        if _EXAMPLE_DOMAIN.search(address)
    ]


def load_config(context: Mapping[str, Any]) -> GuardrailsConfig:
    """Parse and validate every ``mfa-guardrails:*`` key of a CDK context; raise one ConfigError."""
    problems = _Problems()
    ours = {k[len(CONTEXT_PREFIX) :]: v for k, v in context.items() if k.startswith(CONTEXT_PREFIX)}
    for key in sorted(set(ours) - set(_FIELDS)):
        near = difflib.get_close_matches(key, list(_FIELDS), n=1, cutoff=0.5)
        hint = f"did you mean {CONTEXT_PREFIX}{near[0]}?" if near else "remove it"
        problems.add(CONTEXT_PREFIX + key, ours[key], "is not a known setting", hint)
    values = {
        _ATTRIBUTE[key]: parse(ours.get(key), CONTEXT_PREFIX + key, problems)
        for key, parse in _FIELDS.items()
    }
    config = GuardrailsConfig(**values)
    _check_combinations(config, problems)
    if problems.items:
        raise ConfigError(problems.items)

    def exact(patterns: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(e for p in patterns for e in exact_permission_set_patterns(p)))

    return replace(
        config,
        break_glass_principal_arns=exact(config.break_glass_principal_arns),
        admin_principal_arns=exact(config.admin_principal_arns),
        automation_principal_arns=exact(config.automation_principal_arns),
    )


def exact_permission_set_patterns(arn: str) -> tuple[str, ...]:
    """``…/sso.amazonaws.com/*AWSReservedSSO_<set>_<16 ?>`` as the two exact forms it means:
    without a region segment (an instance in us-east-1) and with one. The leading ``*`` alone
    would also match a permission set *named* ``AWSReservedSSO_<set>`` (its role is
    ``AWSReservedSSO_AWSReservedSSO_<set>_<suffix>``), which an Identity Center administrator
    could create; a role name holds no ``/``, so neither form matches that one."""
    head, found, tail = arn.partition(_SSO_ANY_SEGMENT)
    if not found:
        return (arn,)
    return (f"{head}{_SSO_ROLES}AWSReservedSSO_{tail}",
            f"{head}{_SSO_ROLES}*/AWSReservedSSO_{tail}")


def _check_exemptions(config: GuardrailsConfig, problems: _Problems) -> None:
    """Exemption patterns that would exempt everyone, or miss whom they mean to exempt."""
    for key in ("break-glass-principal-arns", "admin-principal-arns", "automation-principal-arns"):
        for index, arn in enumerate(getattr(config, _ATTRIBUTE[key])):
            partition = arn.split(":", 2)[1]
            if partition != SUPPORTED_PARTITION:
                problems.add(
                    f"{CONTEXT_PREFIX}{key}[{index}]",
                    arn,
                    f"is an ARN of the {partition} partition, but the regions are in "
                    f"{SUPPORTED_PARTITION}: it would match no principal, and exempt nobody",
                    f"write it as arn:{SUPPORTED_PARTITION}:iam::…",
                )
            elif _BLANKET_NAME.search(arn):
                problems.add(
                    f"{CONTEXT_PREFIX}{key}[{index}]",
                    arn,
                    "exempts every role or user it reaches: the guardrails would stop nobody",
                    "name the identity, e.g. arn:aws:iam::*:role/BreakGlassAdmin (a * inside "
                    "a name, like role/BreakGlass*, is fine)",
                )
            elif _SSO_PATTERN_WITH_REGION_ONLY.search(arn):
                problems.add(
                    f"{CONTEXT_PREFIX}{key}[{index}]",
                    arn,
                    "misses the permission-set roles of an Identity Center in us-east-1, whose "
                    "ARNs have no region segment (.../sso.amazonaws.com/AWSReservedSSO_...)",
                    "write .../sso.amazonaws.com/*AWSReservedSSO_<PermissionSet>_"
                    f"{PERMISSION_SET_SUFFIX}, which matches both forms",
                )
            elif _PERMISSION_SET_PREFIX_GLOB.search(arn):
                name = arn.rpartition("AWSReservedSSO_")[2].split("*")[0].rstrip("_")
                problems.add(
                    f"{CONTEXT_PREFIX}{key}[{index}]",
                    arn,
                    "matches every permission set whose name starts the same (an Identity Center "
                    f"delegated administrator could create {name or '<name>'}_anything and be "
                    "exempt)",
                    f"name the permission set exactly and match AWS's 16-character suffix: "
                    f".../sso.amazonaws.com/*AWSReservedSSO_{name or '<PermissionSet>'}_"
                    f"{PERMISSION_SET_SUFFIX}",
                )


def _check_security_account_coverage(config: GuardrailsConfig, problems: _Problems) -> None:
    """The security account gets the member baseline (Force-MFA, the forwarding of its own root
    sign-ins, device removals and contact changes, the canary) from the StackSet, which reaches
    only the target OUs: outside them the most sensitive account would be the one unwatched.
    Its parent is declared, checked against the targets here and against AWS by the pre-flight."""
    security = config.security_account_under_scps
    if security is None:
        return
    key = CONTEXT_PREFIX + "security-account-ou-id"
    if config.security_account_ou_id is None:
        problems.add(
            key, None,
            "is required for the organization topology: without it nothing shows that the "
            "security account gets Force-MFA, forwards its own root sign-ins and sends heartbeats",
            "set it to the security account's parent OU (aws organizations list-parents "
            f"--child-id {security}) and include that OU in target-ou-ids",
        )  # fmt: skip
    elif config.security_account_ou_id not in config.target_ou_ids:
        problems.add(
            key, config.security_account_ou_id,
            "is not in target-ou-ids: the member StackSet would never reach the security "
            "account (no Force-MFA, no forwarding of its own root sign-ins, device removals or "
            "contact changes, no heartbeat)",
            f"add {config.security_account_ou_id} to target-ou-ids, or move the security "
            "account into a target OU",
        )  # fmt: skip


def _check_combinations(config: GuardrailsConfig, problems: _Problems) -> None:
    """Rules that span fields: checked after each field parsed, all reported together."""
    emails = CONTEXT_PREFIX + "notification-emails"
    already = any(problem.startswith(emails) for problem in problems.items)
    if not config.notification_emails and config.slack_channel_id is None and not already:
        problems.add(
            emails,
            [],
            "is empty and no Slack channel is set: no alert would reach anyone",
            "list at least one address (or set both Slack ids)",
        )
    if (config.slack_workspace_id is None) != (config.slack_channel_id is None):
        problems.add(
            CONTEXT_PREFIX + "slack-channel-id",
            config.slack_channel_id,
            "is set without slack-workspace-id, or the other way round",
            "set both Slack ids (workspace and channel), or neither",
        )
    _check_exemptions(config, problems)
    if config.topology is Topology.ORGANIZATION:
        for key, value in (
            ("management-account-id", config.management_account_id),
            ("security-account-id", config.security_account_id),
            ("organization-id", config.organization_id),
        ):
            if value is None:
                problems.add(
                    CONTEXT_PREFIX + key,
                    value,
                    "is required for the organization topology",
                    "set it (see README, Configuration), or use topology single-account",
                )
        if not config.target_ou_ids:
            problems.add(
                CONTEXT_PREFIX + "target-ou-ids",
                [],
                "is empty for the organization topology",
                "list the OU ids (ou-...) or the root id (r-...) the baseline and SCPs target",
            )
        if config.target_regions and config.home_region not in config.target_regions:
            problems.add(
                CONTEXT_PREFIX + "target-regions",
                list(config.target_regions),
                f"does not include the home region {config.home_region}: no member account "
                "would get the Force-MFA policy or the global Config rules",
                f"add {config.home_region} to target-regions, or change home-region",
            )
        if "us-east-1" not in config.target_regions:
            problems.add(
                CONTEXT_PREFIX + "target-regions",
                list(config.target_regions),
                "omits us-east-1, the only region where IAM, account and root sign-in events "
                "reach EventBridge",
                "add us-east-1 to the list",
            )
        if (
            config.security_account_id is not None
            and config.security_account_id == config.management_account_id
            and not config.allow_security_in_management
        ):
            problems.add(
                CONTEXT_PREFIX + "security-account-id",
                config.security_account_id,
                "equals the management account: alerting would run where SCPs never apply",
                "use a separate security (delegated-admin) account, or set "
                f"{CONTEXT_PREFIX}allow-security-in-management to true to accept that",
            )
        _check_security_account_coverage(config, problems)
        if len(config.target_ou_ids) > MAX_OUS_PER_STACKSET_OPERATION:
            problems.add(
                CONTEXT_PREFIX + "target-ou-ids",
                f"{len(config.target_ou_ids)} OUs",
                f"lists more than the {MAX_OUS_PER_STACKSET_OPERATION} OUs CloudFormation "
                "accepts in one StackSet operation: the StackSet would fail to deploy",
                "target parent OUs (or the root id r-...) that contain them",
            )
        names = config.attach_to_group_names + config.attach_to_role_names
        if names and not config.attach_to_names_exist_in_members:
            problems.add(
                CONTEXT_PREFIX + "attach-to-group-names",
                list(names),
                "would make the member StackSet fail in every account that lacks one of these "
                "groups or roles (CloudFormation cannot attach a policy to a missing one)",
                "add the users to the MfaRequired group the baseline creates instead, or create "
                "the names in every target account first and set "
                f"{CONTEXT_PREFIX}attach-to-names-exist-in-members to true",
            )
    _check_enforcement_has_an_exemption(config, problems)


def _check_enforcement_has_an_exemption(config: GuardrailsConfig, problems: _Problems) -> None:
    """Whatever the topology, enforcing with nobody exempt leaves no one to remove a lost device
    or fix the recovery contact (the embedded default exempts nobody: it must not invent one)."""
    if config.enforcing and not config.exempt_admin_arns:
        problems.add(
            CONTEXT_PREFIX + "admin-principal-arns",
            [],
            "is empty, and so is break-glass-principal-arns, while enforcing: nobody could "
            "remove a lost MFA device or fix the contact phone",
            "list at least one admin or break-glass role ARN that exists in your accounts "
            f"(or set {CONTEXT_PREFIX}enforcement to audit)",
        )
