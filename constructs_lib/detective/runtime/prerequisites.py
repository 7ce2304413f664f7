"""Is the alert path alive? What every alert depends on, checked where it can be seen.

EventBridge receives "AWS API Call via CloudTrail" and console sign-in events only while a
CloudTrail trail is logging; managed Config rules evaluate nothing without a recording
configuration recorder; a disabled rule never fires; an e-mail subscription nobody confirmed
delivers nothing. None of these fails a deploy, so without these checks an account without a
trail would get a green deploy and silence forever.

One implementation for the readiness Config rule (``handler.py``) and the readiness report
(``mfa-guardrails readiness``), like :mod:`readiness`, whose :class:`Finding` it
returns. Standard library only (part of the Lambda asset); a denied call is a finding naming the
permission, never a crash.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

if __package__:
    from .readiness import Finding, Status, error_code, unreadable
else:  # pragma: no cover - in Lambda the runtime folder is the code root
    from readiness import (  # type: ignore[import-not-found,no-redef]
        Finding,
        Status,
        error_code,
        unreadable,
    )

PRODUCT_PREFIX = "mfa-guardrails-"
EVENTS_REGION = "us-east-1"  # IAM, account and root sign-in events are recorded here


@dataclass(frozen=True, slots=True)
class AlertPath:
    """Where this account's part of the alert path lives.

    ``rule_buses``: the event buses (in the clients' events region) whose ``mfa-guardrails-*``
    rules must be enabled: the default bus (forwarding or alert rules), plus the central bus in
    the security account. ``alert_topic_arn``: the alert topic, in the alerting account only.
    """

    rule_buses: tuple[str, ...] = ("default",)
    alert_topic_arn: str | None = None

    @property
    def topic_region(self) -> str | None:
        """The alert topic's region, from its ARN (arn:aws:sns:<region>:<account>:<name>)."""
        parts = (self.alert_topic_arn or "").split(":")
        return parts[3] if len(parts) >= 6 else None


@dataclass(frozen=True, slots=True)
class PrerequisiteClients:
    """cloudtrail (any region: trails of every region are listed), config (the home region,
    where the recorder must record), events (the region of the rules), sns (the topic's)."""

    cloudtrail: Any
    config: Any
    events: Any
    sns: Any | None = None

    @classmethod
    def from_session(
        cls, session: Any, *, home_region: str, rules_region: str, topic_region: str | None
    ) -> PrerequisiteClients:
        return cls(
            cloudtrail=session.client("cloudtrail", region_name=EVENTS_REGION),
            config=session.client("config", region_name=home_region),
            events=session.client("events", region_name=rules_region),
            sns=session.client("sns", region_name=topic_region) if topic_region else None,
        )


def all_pages(call: Any, key: str, **request: Any) -> list[dict[str, Any]]:
    """Every item of a NextToken-paginated list call (works on clients and test doubles)."""
    items: list[dict[str, Any]] = []
    while True:
        page = call(**request)
        items += page.get(key, [])
        request["NextToken"] = page.get("NextToken")
        if not request["NextToken"]:
            return items


def _denied_or_raise(error: Exception, check: str, subject: str, permission: str) -> Finding:
    code = error_code(error)
    if code is None:
        raise error
    return unreadable(check, subject, permission, code)


def _logs_writes(cloudtrail: Any, trail: dict[str, Any]) -> bool:
    """Management events, write ones included, in basic or advanced event selectors."""
    found = cloudtrail.get_event_selectors(TrailName=trail["TrailARN"])
    if not found.get("EventSelectors") and not found.get("AdvancedEventSelectors"):
        return True  # a trail without custom selectors logs every management event (AWS default)
    for selector in found.get("EventSelectors") or []:
        if selector.get("IncludeManagementEvents", True) and selector.get(
            "ReadWriteType", "All"
        ) in {"All", "WriteOnly"}:
            return True
    for selector in found.get("AdvancedEventSelectors") or []:
        fields = {f.get("Field"): f for f in selector.get("FieldSelectors", [])}
        category = fields.get("eventCategory", {}).get("Equals", [])
        read_only = fields.get("readOnly", {}).get("Equals", ["false"])
        if "Management" in category and "false" in read_only:
            return True
    return False


def _is_logging(cloudtrail: Any, trail: dict[str, Any]) -> bool:
    """The trail's status; an organization trail whose status a member may not read counts as
    logging (the management account's own check reads it)."""
    try:
        return bool(cloudtrail.get_trail_status(Name=trail["TrailARN"]).get("IsLogging"))
    except Exception as error:
        if trail.get("IsOrganizationTrail") and error_code(error) is not None:
            return True
        raise


def check_trail(cloudtrail: Any) -> Finding:
    """A logging, multi-region trail (own or the organization's) that records write management
    events: IAM and root events land in us-east-1, IAM users' sign-ins in other regions."""
    check, subject = "cloudtrail-trail", "account"
    try:
        trails = cloudtrail.describe_trails(includeShadowTrails=True).get("trailList", [])
        usable: list[str] = []
        partial: list[str] = []
        for trail in trails:
            name = trail.get("Name", trail["TrailARN"])
            if not _is_logging(cloudtrail, trail) or not _logs_writes(cloudtrail, trail):
                continue
            if trail.get("IsMultiRegionTrail"):
                usable.append(name)
            elif trail.get("HomeRegion") == EVENTS_REGION:
                partial.append(name)
    except Exception as error:  # a denied call is a finding
        return _denied_or_raise(error, check, subject, "cloudtrail:DescribeTrails")
    if usable:
        return Finding(check=check, subject=subject, status=Status.COMPLIANT,
                       fix=f"trail {usable[0]} logs write management events in every region",
                       headline="trail logging")  # fmt: skip
    if partial:
        return Finding(check=check, subject=subject, status=Status.NON_COMPLIANT,
                       fix=f"trail {partial[0]} logs us-east-1 only: IAM users' console sign-ins "
                       "in other regions reach no alert; make it multi-region "
                       "(aws cloudtrail update-trail --is-multi-region-trail)",
                       headline="trail single-region")  # fmt: skip
    return Finding(check=check, subject=subject, status=Status.NON_COMPLIANT,
                   fix="no trail is logging write management events: EventBridge receives no "
                   "API or sign-in event, so no MFA alert can fire; create a multi-region trail "
                   "(or an organization trail) and start logging",
                   headline="no logging trail")  # fmt: skip


def check_recorder(config: Any) -> Finding:
    """A configuration recorder that is recording (managed Config rules need one)."""
    check, subject = "config-recorder", "account"
    try:
        statuses = config.describe_configuration_recorder_status().get(
            "ConfigurationRecordersStatus", []
        )
    except Exception as error:
        return _denied_or_raise(error, check, subject, "config:DescribeConfigurationRecorderStatus")
    if any(status.get("recording") for status in statuses):
        return Finding(check=check, subject=subject, status=Status.COMPLIANT,
                       fix="the AWS Config recorder is recording",
                       headline="recorder on")  # fmt: skip
    what, state = ("is stopped", "stopped") if statuses else ("does not exist", "missing")
    return Finding(check=check, subject=subject, status=Status.NON_COMPLIANT,
                   fix=f"the AWS Config recorder {what} in the home region: the MFA Config rules "
                   "evaluate nothing; start it (aws configservice "
                   "start-configuration-recorder) or create one recording IAM resources",
                   headline=f"recorder {state}")  # fmt: skip


def check_rules(events: Any, buses: Sequence[str]) -> Finding:
    """Every ``mfa-guardrails-*`` rule on the given buses exists and is enabled."""
    check, subject = "alert-rules", "account"
    disabled: list[str] = []
    empty: list[str] = []
    try:
        for bus in buses:
            rules = all_pages(events.list_rules, "Rules", NamePrefix=PRODUCT_PREFIX,
                              EventBusName=bus)  # fmt: skip
            if not rules:
                empty.append(bus)
            disabled += [rule["Name"] for rule in rules if rule.get("State") != "ENABLED"]
    except Exception as error:
        return _denied_or_raise(error, check, subject, "events:ListRules")
    if disabled or empty:
        problems = [f"{len(disabled)} disabled ({', '.join(disabled[:3])})"] if disabled else []
        problems += [f"none on bus {bus}" for bus in empty]
        return Finding(check=check, subject=subject, status=Status.NON_COMPLIANT,
                       fix=f"mfa-guardrails rules: {'; '.join(problems)}: those alerts cannot "
                       "fire; enable them (aws events enable-rule) or redeploy",
                       headline="rules disabled" if disabled else "rules missing")  # fmt: skip
    return Finding(check=check, subject=subject, status=Status.COMPLIANT,
                   fix="every mfa-guardrails rule is enabled", headline="rules on")  # fmt: skip


def check_subscriptions(sns: Any, topic_arn: str) -> Finding:
    """At least one confirmed subscription: an unconfirmed e-mail receives nothing."""
    check, subject = "alert-subscriptions", topic_arn.rsplit(":", 1)[-1]
    try:
        subscriptions = all_pages(sns.list_subscriptions_by_topic, "Subscriptions",
                                  TopicArn=topic_arn)  # fmt: skip
    except Exception as error:
        return _denied_or_raise(error, check, subject, "sns:ListSubscriptionsByTopic")
    confirmed = [s for s in subscriptions
                 if s.get("SubscriptionArn", "").startswith("arn:")]  # fmt: skip
    pending = [s.get("Endpoint", "?") for s in subscriptions
               if s.get("SubscriptionArn") == "PendingConfirmation"]  # fmt: skip
    if confirmed:
        note = f"; still unconfirmed: {', '.join(pending)}" if pending else ""
        return Finding(check=check, subject=subject,
                       status=Status.NON_COMPLIANT if pending else Status.COMPLIANT,
                       fix=f"{len(confirmed)} confirmed subscription(s){note}"
                       + (": ask them to click the link in AWS's confirmation e-mail"
                          if pending else ""),
                       headline="unconfirmed subscription" if pending
                       else "subscribed")  # fmt: skip
    return Finding(check=check, subject=subject, status=Status.NON_COMPLIANT,
                   fix="no confirmed subscription: alerts reach nobody"
                   + (f" (pending: {', '.join(pending)}; confirm from AWS's e-mail)" if pending
                      else "; subscribe an address or set up Slack"),
                   headline="no confirmed subscription")  # fmt: skip


def evaluate_prerequisites(clients: PrerequisiteClients, path: AlertPath) -> list[Finding]:
    """Every prerequisite of the alert path for this account."""
    findings = [
        check_trail(clients.cloudtrail),
        check_recorder(clients.config),
        check_rules(clients.events, path.rule_buses),
    ]
    if path.alert_topic_arn and clients.sns is not None:
        findings.append(check_subscriptions(clients.sns, path.alert_topic_arn))
    return findings
