"""The recovery-readiness Config rule: a periodic custom rule's Lambda.

Each scheduled invocation evaluates the account with :func:`readiness.evaluate_account` and writes:

* one evaluation of the account (``AWS::::Account``, id = the invocation's ``accountId``): the
  worst status, and an annotation of at most 256 characters listing what to fix;
* one evaluation per IAM user (``AWS::IAM::User``, id = the user's ``UserId``), so the Config
  console lists exactly which users lack MFA or a second device;
* in the security account of an organization, one evaluation per member account from the latest
  scheduled organization readiness run (``org_run.py``: it checks every account through its reader
  role, and leaves a per-account summary in its bucket), and a finding of its own when that run
  is older than it may be.

Config's PutEvaluations refuses INSUFFICIENT_DATA, so a check that could not run (a missing
permission) is written as NON_COMPLIANT with an annotation naming the permission: the rule fails
closed, and the fix is in the annotation.

The invocation event is parsed completely before any API call: a malformed event is logged and
raised, and no evaluation (not even a partial one) is written.

Only the standard library is imported at module level; boto3 is imported on first use.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

if __package__:  # imported as constructs_lib.detective.runtime.handler (tests, tools)
    from .prerequisites import AlertPath, PrerequisiteClients, evaluate_prerequisites
    from .readiness import (
        ACCOUNT_RESOURCE_TYPE,
        Clients,
        Finding,
        Status,
        evaluate_account,
        worst,
    )
else:  # pragma: no cover - in Lambda the runtime folder is the code root ("handler.handler")
    from prerequisites import (  # type: ignore[import-not-found,no-redef]
        AlertPath,
        PrerequisiteClients,
        evaluate_prerequisites,
    )
    from readiness import (  # type: ignore[import-not-found,no-redef]
        ACCOUNT_RESOURCE_TYPE,
        Clients,
        Finding,
        Status,
        evaluate_account,
        worst,
    )

LOG = logging.getLogger(__name__)
LOG.setLevel(logging.INFO)

ANNOTATION_LIMIT = 256  # PutEvaluations: Annotation is 1-256 characters
BATCH_LIMIT = 100  # PutEvaluations: at most 100 evaluations per call
SCHEDULED = "ScheduledNotification"
REQUIRE_OPERATIONS_CONTACT = "requireOperationsContact"
# Set by the construct in the security (delegated-admin) account: the bucket of the scheduled
# organization readiness run, whose latest per-account summary becomes one evaluation per member,
# and how old that run may be (hours) before it is a finding itself.
ORG_READINESS_BUCKET_ENV = "ORG_READINESS_BUCKET"
ORG_READINESS_MAX_AGE_ENV = "ORG_READINESS_MAX_AGE_HOURS"
RUN_SUMMARY_KEY = "latest/config-evaluations.json"  # org_run.CONFIG_SUMMARY_KEY
# Set by the construct: the alert path this account holds (see prerequisites.AlertPath); unset,
# the prerequisites are not checked (a stand-alone deployment of the construct).
ALERT_RULES_REGION_ENV = "ALERT_RULES_REGION"
ALERT_RULE_BUSES_ENV = "ALERT_RULE_BUSES"
ALERT_TOPIC_ARN_ENV = "ALERT_TOPIC_ARN"
_ACCOUNT_ID = re.compile(r"^\d{12}$")


class InvalidInvocationError(ValueError):
    """The event is not a periodic Config rule invocation; every problem is in the message."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Invocation:
    """The parts of a Config rule invocation this rule uses."""

    result_token: str
    account_id: str
    ordering_timestamp: datetime
    rule_name: str
    require_operations_contact: bool


def _json_object(raw: Any, field: str, problems: list[str]) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    if not isinstance(raw, str):
        problems.append(f"{field} is {type(raw).__name__}, not a JSON string")
        return {}
    try:
        value = json.loads(raw)
    except ValueError as error:
        problems.append(f"{field} is not JSON ({error})")
        return {}
    if not isinstance(value, dict):
        problems.append(f"{field} is JSON {type(value).__name__}, not an object")
        return {}
    return value


def _flag(raw: Any, field: str, problems: list[str]) -> bool:
    if raw is None or isinstance(raw, bool):
        return bool(raw)
    if isinstance(raw, str) and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    problems.append(f"{field} = {raw!r} is not true or false")
    return False


def parse_invocation(event: Any) -> Invocation:
    """Validate a periodic Config rule invocation, or raise naming every problem."""
    if not isinstance(event, dict):
        raise InvalidInvocationError(
            f"event is {type(event).__name__}, not a Config rule invocation"
        )
    problems: list[str] = []
    token = event.get("resultToken")
    if not isinstance(token, str) or not token:
        problems.append("resultToken is missing or empty")
    account_id = event.get("accountId")
    if not isinstance(account_id, str) or not _ACCOUNT_ID.match(account_id):
        problems.append(f"accountId = {account_id!r} is not a 12-digit account id")
    invoking = _json_object(event.get("invokingEvent"), "invokingEvent", problems)
    timestamp = datetime.now().astimezone()
    if invoking:
        if invoking.get("messageType") != SCHEDULED:
            problems.append(
                f"invokingEvent.messageType = {invoking.get('messageType')!r}, expected "
                f"{SCHEDULED!r}: this rule must be periodic, not change-triggered"
            )
        created = invoking.get("notificationCreationTime")
        try:
            timestamp = datetime.fromisoformat(str(created))
        except ValueError:
            problems.append(f"invokingEvent.notificationCreationTime = {created!r} is not a time")
    raw_parameters = event.get("ruleParameters")
    parameters = (
        {} if raw_parameters is None else _json_object(raw_parameters, "ruleParameters", problems)
    )
    require_operations = _flag(
        parameters.get(REQUIRE_OPERATIONS_CONTACT),
        f"ruleParameters.{REQUIRE_OPERATIONS_CONTACT}",
        problems,
    )
    if problems:
        raise InvalidInvocationError(
            "not a valid periodic Config rule invocation: " + "; ".join(problems)
        )
    return Invocation(
        result_token=str(token),
        account_id=str(account_id),
        ordering_timestamp=timestamp,
        rule_name=str(event.get("configRuleName") or ""),
        require_operations_contact=require_operations,
    )


# ---------------------------------------------------------------------------------------------
# Findings -> evaluations
# ---------------------------------------------------------------------------------------------


def truncate(text: str, limit: int = ANNOTATION_LIMIT) -> str:
    """At most ``limit`` characters, ending in "…" when cut; never empty (Config needs >= 1)."""
    text = text.strip() or "-"
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def summarise(findings: Sequence[Finding], limit: int = ANNOTATION_LIMIT) -> str:
    """The account annotation: what to fix, worst first, in at most ``limit`` characters."""
    failed = [f for f in findings if f.failed]
    if not failed:
        checked = sum(f.status is Status.COMPLIANT for f in findings)
        return truncate(f"recovery-ready: {checked} checks passed", limit)
    failed.sort(key=lambda f: f.status is not Status.NON_COMPLIANT)  # stable: keeps check order
    prefix = f"{len(failed)} to fix: "
    parts: list[str] = []
    length = len(prefix)
    for index, finding in enumerate(failed):
        added = len(finding.headline) + (2 if parts else 0)
        after = len(failed) - index - 1
        reserve = len(f"; … (+{after} more)") if after else 0
        if length + added + reserve > limit:
            break
        parts.append(finding.headline)
        length += added
    if not parts:  # even the first headline does not fit: cut the whole list
        return truncate(prefix + "; ".join(f.headline for f in failed), limit)
    rest = len(failed) - len(parts)
    return prefix + "; ".join(parts) + (f"; … (+{rest} more)" if rest else "")


def _compliance(status: Status) -> str:
    # PutEvaluations refuses INSUFFICIENT_DATA: a check that could not run fails closed.
    return (Status.NON_COMPLIANT if status is Status.INSUFFICIENT_DATA else status).value


def build_evaluations(findings: Sequence[Finding], invocation: Invocation) -> list[dict[str, Any]]:
    """The account evaluation first, then one evaluation per finding about its own resource."""
    when = invocation.ordering_timestamp
    evaluations = [
        {
            "ComplianceResourceType": ACCOUNT_RESOURCE_TYPE,
            "ComplianceResourceId": invocation.account_id,
            "ComplianceType": _compliance(worst(f.status for f in findings)),
            "Annotation": summarise(findings),
            "OrderingTimestamp": when,
        }
    ]
    for finding in findings:
        if finding.resource_id is None:
            continue
        annotation = finding.fix if finding.failed else finding.headline
        evaluations.append(
            {
                "ComplianceResourceType": finding.resource_type,
                "ComplianceResourceId": finding.resource_id,
                "ComplianceType": _compliance(finding.status),
                "Annotation": truncate(annotation),
                "OrderingTimestamp": when,
            }
        )
    return evaluations


def member_evaluations(summary: Mapping[str, Any], invocation: Invocation) -> list[dict[str, Any]]:
    """One AWS::::Account evaluation per member, from the latest organization readiness run's
    summary (``org_run.config_summary``: every check, in every account, through its reader
    role). The run, not this rule, walks the organization: a serial loop here ran out of its
    5 minutes somewhere past 700 accounts and then wrote nothing."""
    accounts = summary.get("accounts", {})
    return [
        {
            "ComplianceResourceType": ACCOUNT_RESOURCE_TYPE,
            "ComplianceResourceId": member,
            "ComplianceType": _compliance(Status(entry["status"])),
            "Annotation": truncate(str(entry["annotation"])),
            "OrderingTimestamp": invocation.ordering_timestamp,
        }
        for member, entry in sorted(accounts.items())
        if member != invocation.account_id and entry.get("status") != Status.NOT_APPLICABLE
    ]


def run_freshness(summary: Mapping[str, Any] | None, now: datetime, max_age_hours: float,
                  where: str) -> Finding:  # fmt: skip
    """Is there an organization readiness run younger than ``max_age_hours``? The members'
    evaluations are only as current as it: a stopped schedule or a failing run is a finding of
    this (the security) account, so the rule never vouches for stale results."""
    generated = None
    if summary:
        try:
            generated = datetime.fromisoformat(str(summary.get("generatedAt")))
        except ValueError:
            generated = None
    if generated is not None and (now - generated).total_seconds() <= max_age_hours * 3600:
        return Finding(check="org-readiness-run", subject="organization", status=Status.COMPLIANT,
                       fix=f"latest organization readiness run: {generated.isoformat()}",
                       headline="org run current")  # fmt: skip
    last = generated.isoformat() if generated else "none found"
    return Finding(
        check="org-readiness-run", subject="organization", status=Status.NON_COMPLIANT,
        fix=f"no organization readiness run in the last {max_age_hours:g} hours (latest: {last}, "
        f"in {where}): check the mfa-guardrails-org-readiness state machine's executions and "
        "its schedule, or start one (make org-readiness IN_AWS=1)",
        headline="org run missing or stale",
    )  # fmt: skip


def read_run_summary(s3: Any, bucket: str) -> dict[str, Any] | None:
    """The latest run's per-account summary, or None when there has been no run yet."""
    try:
        body = s3.get_object(Bucket=bucket, Key=RUN_SUMMARY_KEY)["Body"].read()
    except Exception as error:
        if getattr(error, "response", {}).get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise
    summary: dict[str, Any] = json.loads(body)
    return summary


def _batches(items: Sequence[dict[str, Any]], size: int) -> Iterable[Sequence[dict[str, Any]]]:
    return (items[start : start + size] for start in range(0, len(items), size))


def put_evaluations(config: Any, evaluations: Sequence[dict[str, Any]], token: str) -> None:
    """Write every evaluation (100 per call); raise if Config rejects any of them."""
    for batch in _batches(evaluations, BATCH_LIMIT):
        response = config.put_evaluations(Evaluations=list(batch), ResultToken=token)
        failed = response.get("FailedEvaluations") or []
        if failed:
            raise RuntimeError(f"Config rejected {len(failed)} evaluation(s): {failed[:3]!r}")


# ---------------------------------------------------------------------------------------------
# Lambda entry point
# ---------------------------------------------------------------------------------------------


@cache
def aws_clients() -> tuple[Clients, Any]:
    """Readiness clients and the Config client, created on first use (boto3 is most of a cold
    start, and a malformed event must fail before any of it is paid)."""
    import boto3

    region = os.environ.get("AWS_REGION", "us-east-1")
    session = boto3.Session()
    return Clients.from_session(session, region), session.client("config", region_name=region)


def _latest_run_summary(bucket: str) -> dict[str, Any] | None:
    import boto3

    return read_run_summary(boto3.client("s3"), bucket)


def alert_path() -> AlertPath | None:
    """The alert path to check, from the environment the construct sets."""
    if not os.environ.get(ALERT_RULES_REGION_ENV):
        return None
    buses = tuple(b for b in os.environ.get(ALERT_RULE_BUSES_ENV, "default").split(",") if b)
    return AlertPath(rule_buses=buses, alert_topic_arn=os.environ.get(ALERT_TOPIC_ARN_ENV) or None)


@cache
def prerequisite_clients() -> PrerequisiteClients:
    import boto3

    path = alert_path()
    return PrerequisiteClients.from_session(
        boto3.Session(),
        home_region=os.environ.get("AWS_REGION", "us-east-1"),
        rules_region=os.environ.get(ALERT_RULES_REGION_ENV, "us-east-1"),
        topic_region=path.topic_region if path else None,
    )


def handler(
    event: Any,
    context: Any,
    *,
    clients: Callable[[], tuple[Clients, Any]] = aws_clients,
    run_summary: Callable[[str], dict[str, Any] | None] | None = None,
    prerequisites: Callable[[], PrerequisiteClients] = prerequisite_clients,
) -> dict[str, Any]:
    """Config rule entry point: evaluate the account, write its evaluations, return a summary."""
    try:
        invocation = parse_invocation(event)
    except InvalidInvocationError as error:
        request = getattr(context, "aws_request_id", "?")
        LOG.error("rejected invocation (request %s), nothing written: %s", request, error)
        raise
    readiness, config = clients()
    findings = evaluate_account(
        readiness, require_operations_contact=invocation.require_operations_contact
    )
    path = alert_path()
    if path is not None:
        findings += evaluate_prerequisites(prerequisites(), path)
    bucket = os.environ.get(ORG_READINESS_BUCKET_ENV)
    summary = None
    if bucket:
        summary = (run_summary or _latest_run_summary)(bucket)
        max_age = os.environ.get(ORG_READINESS_MAX_AGE_ENV)
        if max_age:
            findings.append(run_freshness(summary, datetime.now(UTC), float(max_age),
                                          f"s3://{bucket}/{RUN_SUMMARY_KEY}"))  # fmt: skip
    evaluations = build_evaluations(findings, invocation)
    if summary:
        evaluations += member_evaluations(summary, invocation)
    put_evaluations(config, evaluations, invocation.result_token)
    result = {
        "rule": invocation.rule_name,
        "account": invocation.account_id,
        "compliance": evaluations[0]["ComplianceType"],
        "annotation": evaluations[0]["Annotation"],
        "evaluations": len(evaluations),
    }
    LOG.info("%s", json.dumps(result))
    return result
