"""Every event the alerting watches, as plain data: the one source of truth for the EventBridge
rules, the notifier's messages and the README table.

Each :class:`Entry` names its EventBridge source, detail-type, event names and extra conditions.
The construct turns ``entry.pattern()`` into one rule per entry, and the notifier classifies an
incoming event with ``entry.matches(event)``, which evaluates the very same conditions with
EventBridge's semantics (the tests check both against moto's EventBridge matcher), so a rule and
the message it produces cannot drift apart. :func:`markdown_table` renders the README table.

Entries are disjoint: any event matches at most one of them. Failed calls (``errorCode`` set, or a
sign-in ``Failure``) match the same entry as successful ones and are worded as attempts.

Plain data and the standard library only: this module ships inside the Lambda asset.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any, NamedTuple, TypedDict

PRODUCT_PREFIX = "mfa-guardrails-"
"""Every resource of this product is named with this prefix (constructs_lib/naming.py, repeated
here because the runtime ships alone; a test keeps them equal)."""
MFA_REQUIRED_GROUP = "MfaRequired"
CANARY_ROLE_NAME = f"{PRODUCT_PREFIX}canary"
"""The role the canary schedule tags, as itself, every interval: the heartbeat's IAM write."""
HEARTBEAT_TAG_KEY = f"{PRODUCT_PREFIX}heartbeat"
"""The tag the canary writes; its value is the schedule's scheduled time."""
CONFIG_RULE_PREFIX = PRODUCT_PREFIX
"""Config rules of this product are named with this prefix."""

MFA_MANAGED_RULES = (
    "ROOT_ACCOUNT_MFA_ENABLED",
    "IAM_USER_MFA_ENABLED",
    "MFA_ENABLED_FOR_IAM_CONSOLE_ACCESS",
    "ROOT_ACCOUNT_HARDWARE_MFA_ENABLED",
)
"""The AWS managed rules about MFA, whoever deployed them."""

# How other owners name the same managed rules (a Config compliance event carries the rule's
# name, not its managed identifier): (owner, name pattern with {rule} and {kebab}).
CONFIG_RULE_OWNERS: tuple[tuple[str, str], ...] = (
    ("AWS Security Hub", "securityhub-{kebab}-*"),
    ("AWS Control Tower", "AWSControlTower_AWS-GR_{rule}"),
    ("a conformance pack", "{kebab}-conformance-pack-*"),
    ("an organization Config rule", "OrgConfigRule-{kebab}-*"),
    ("a rule with the console's default name", "{kebab}"),
)


HARDWARE_ROOT_RULE = "ROOT_ACCOUNT_HARDWARE_MFA_ENABLED"
"""Root with a virtual device is NON_COMPLIANT here: a finding only where hardware is required."""


def _names_by(template: str, rules: tuple[str, ...] = MFA_MANAGED_RULES) -> tuple[str, ...]:
    """One owner's name pattern for each MFA managed rule."""
    return tuple(template.format(rule=rule, kebab=rule.lower().replace("_", "-"))
                 for rule in rules)  # fmt: skip


def other_owners_rule_names(*, hardware: bool = True) -> tuple[str, ...]:
    """Wildcard patterns of the MFA managed rules as other owners name them (``hardware``
    False: without ROOT_ACCOUNT_HARDWARE_MFA_ENABLED)."""
    rules = tuple(rule for rule in MFA_MANAGED_RULES if hardware or rule != HARDWARE_ROOT_RULE)
    return tuple(name for _, template in CONFIG_RULE_OWNERS for name in _names_by(template, rules))


def config_rule_owner(name: str) -> str:
    """Who deployed a Config rule, from its name (for the alert message)."""
    if name.startswith(CONFIG_RULE_PREFIX):
        return "mfa-guardrails"
    for owner, template in CONFIG_RULE_OWNERS:
        if Wildcard((), _names_by(template)).test(name):
            return owner
    return "unknown"

class Lands(StrEnum):
    """Where AWS records an entry's events, so where its rule must listen (CloudTrail user guide;
    EventBridge gets a CloudTrail event only in the region CloudTrail records it in)."""

    US_EAST_1 = "us-east-1"  # IAM, AWS Account Management, root sign-in
    SIGN_IN_REGIONS = "sign-in regions"  # IAM-user console sign-in: the sign-in endpoint's region
    CALLER_REGION = "caller's region"  # STS AssumeRoot: the region of the STS endpoint called
    IDENTITY_CENTER = "Identity Center region"  # the instance's home region
    RESOURCE_REGION = "resource's region"  # trails, recorders, rules, the notifier: where they are
    # AWS Sign-In's own anomaly events: the EventBridge reference names no region, so they are
    # watched in us-east-1 and forwarded from every watched region.
    UNDOCUMENTED = "not documented: us-east-1 and every watched region"


CLOUDTRAIL_API_CALL = "AWS API Call via CloudTrail"
# Events CloudTrail records with eventType AwsServiceEvent (Identity Center sign-in steps) reach
# EventBridge with this detail-type (EventBridge user guide, "AWS service events delivered via
# AWS CloudTrail": https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html).
CLOUDTRAIL_SERVICE_EVENT = "AWS Service Event via CloudTrail"
# Sent by AWS Sign-In directly to EventBridge, durable delivery, not through CloudTrail
# (EventBridge events reference, "AWS Sign-In events":
# https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-signin.html).
SIGN_IN_ANOMALY = "Sign-in Anomaly Alert"
CONSOLE_SIGN_IN = "AWS Console Sign In via CloudTrail"
CONFIG_COMPLIANCE_CHANGE = "Config Rules Compliance Change"


class Severity(StrEnum):
    """How urgently a human should look, if the event was not theirs."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class _Missing:
    """The marker of a field absent from an event (distinct from a JSON null)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


def lookup(event: Any, path: tuple[str, ...]) -> Any:
    """The leaf value at ``path``, or :data:`MISSING`.

    Like EventBridge, only JSON objects are descended into, and a non-empty object is not a leaf
    (a pattern never matches it); an empty object, a list or null is a value.
    """
    node = event
    for key in path:
        if not isinstance(node, dict):
            return MISSING
        node = node.get(key, MISSING)
        if node is MISSING:
            return MISSING
    if isinstance(node, dict) and node:
        return MISSING
    return node


class Equals(NamedTuple):
    """The field is one of ``values`` (EventBridge exact matching: strings compare exactly)."""

    path: tuple[str, ...]
    values: tuple[str, ...]

    def filters(self) -> list[Any]:
        return list(self.values)

    def test(self, value: Any) -> bool:
        if isinstance(value, list):
            return any(isinstance(item, str) and item in self.values for item in value)
        return isinstance(value, str) and value in self.values

    def describe(self) -> str:
        return f"{_field_name(self.path)} {_or(self.values)}"


class AnythingBut(NamedTuple):
    """The field is present and none of ``values`` (EventBridge ``anything-but``; an absent field
    never matches, so pair it with a sibling entry using :class:`Equals` on the same field)."""

    path: tuple[str, ...]
    values: tuple[str, ...]

    def filters(self) -> list[Any]:
        return [{"anything-but": list(self.values)}]

    def test(self, value: Any) -> bool:
        if value is MISSING:
            return False
        if isinstance(value, list):
            return any(item not in self.values for item in value)
        return value not in self.values

    def describe(self) -> str:
        return f"{_field_name(self.path)} not {_or(self.values)}"


class Prefix(NamedTuple):
    """The field is a string starting with ``value`` (EventBridge ``prefix``)."""

    path: tuple[str, ...]
    value: str

    def filters(self) -> list[Any]:
        return [{"prefix": self.value}]

    def test(self, value: Any) -> bool:
        if isinstance(value, list):
            return any(isinstance(item, str) and item.startswith(self.value) for item in value)
        return isinstance(value, str) and value.startswith(self.value)

    def describe(self) -> str:
        return f"{_field_name(self.path)} starts with `{self.value}`"


class Absent(NamedTuple):
    """The field is absent (EventBridge ``exists: false``): an alert must not depend on an
    optional field being present."""

    path: tuple[str, ...]

    def filters(self) -> list[Any]:
        return [{"exists": False}]

    def test(self, value: Any) -> bool:
        return value is MISSING

    def describe(self) -> str:
        return f"{_field_name(self.path)} absent"


class AnythingButOrAbsent(NamedTuple):
    """The field is absent or none of ``values``. ``anything-but`` alone skips an event that
    lacks the field, so the pattern carries both in a ``$or`` (at most one per entry)."""

    path: tuple[str, ...]
    values: tuple[str, ...]

    def filters(self) -> list[Any]:
        raise TypeError("AnythingButOrAbsent is written as a $or by Entry.pattern()")

    def alternatives(self) -> list[dict[str, Any]]:
        return [
            _nested(self.path, [{"anything-but": list(self.values)}]),
            _nested(self.path, [{"exists": False}]),
        ]

    def test(self, value: Any) -> bool:
        return value is MISSING or AnythingBut(self.path, self.values).test(value)

    def describe(self) -> str:
        return f"{_field_name(self.path)} absent or not {_or(self.values)}"


class EqualsOrAbsent(NamedTuple):
    """The field is absent or one of ``values`` (a ``$or`` like :class:`AnythingButOrAbsent`):
    a record missing the field is "not proven otherwise", so it still matches."""

    path: tuple[str, ...]
    values: tuple[str, ...]

    def filters(self) -> list[Any]:
        raise TypeError("EqualsOrAbsent is written as a $or by Entry.pattern()")

    def alternatives(self) -> list[dict[str, Any]]:
        return [_nested(self.path, list(self.values)), _nested(self.path, [{"exists": False}])]

    def test(self, value: Any) -> bool:
        return value is MISSING or Equals(self.path, self.values).test(value)

    def describe(self) -> str:
        return f"{_field_name(self.path)} absent or {_or(self.values)}"


class EqualsIgnoreCase(NamedTuple):
    """The field is one of ``values`` ignoring case (EventBridge ``equals-ignore-case``), as IAM
    compares the names of users and roles."""

    path: tuple[str, ...]
    values: tuple[str, ...]

    def filters(self) -> list[Any]:
        return [{"equals-ignore-case": value} for value in self.values]

    def test(self, value: Any) -> bool:
        folded = {v.casefold() for v in self.values}
        if isinstance(value, list):
            return any(isinstance(item, str) and item.casefold() in folded for item in value)
        return isinstance(value, str) and value.casefold() in folded

    def describe(self) -> str:
        return f"{_field_name(self.path)} {_or(self.values)} in any case"


class Wildcard(NamedTuple):
    """The field matches one of ``patterns``, where ``*`` stands for any characters
    (EventBridge ``wildcard``, case-sensitive)."""

    path: tuple[str, ...]
    patterns: tuple[str, ...]

    def filters(self) -> list[Any]:
        return [{"wildcard": pattern} for pattern in self.patterns]

    def test(self, value: Any) -> bool:
        if isinstance(value, list):
            return any(self.test(item) for item in value)
        return isinstance(value, str) and any(
            _wildcard_regex(pattern).fullmatch(value) for pattern in self.patterns
        )

    def describe(self) -> str:
        return f"{_field_name(self.path)} like {_or(self.patterns)}"


def _wildcard_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


def _nested(path: tuple[str, ...], leaf: Any) -> dict[str, Any]:
    node: Any = leaf
    for key in reversed(path):
        node = {key: node}
    return dict(node)


Condition = (
    Equals | AnythingBut | Prefix | Absent | AnythingButOrAbsent | EqualsOrAbsent | Wildcard
    | EqualsIgnoreCase
)

Shown = tuple[str, tuple[str, ...]]
"""A field the message shows when present: its label and its path under ``detail``."""

PHONE = "contact phone"
"""Label of phone numbers: the notifier warns when one lacks its "+" country code."""


def matches(conditions: tuple[Condition, ...], event: Any) -> bool:
    """Whether ``event`` meets every condition, as EventBridge decides it."""
    return isinstance(event, dict) and all(
        condition.test(lookup(event, condition.path)) for condition in conditions
    )


class Advice(NamedTuple):
    """What a human reads: severity, title (and its wording for a failed attempt), why it
    matters and what to do."""

    id: str
    severity: Severity
    title: str
    why: str
    what_to_do: str
    attempt_title: str = ""


class Entry(NamedTuple):
    """One watched kind of event: the advice a human reads, the EventBridge match that selects
    it, and the fields its message shows.

    Immutable tuples (not dataclasses) on purpose: this module is imported on every Lambda cold
    start, and ``dataclasses`` alone costs ~10 ms to import.
    """

    id: str
    severity: Severity
    title: str
    why: str
    what_to_do: str
    source: str
    detail_type: str
    attempt_title: str = ""
    event_source: str = ""
    event_names: tuple[str, ...] = ()
    match: tuple[Condition, ...] = ()
    shows: tuple[Shown, ...] = ()
    lands: Lands = Lands.US_EAST_1
    alerting_account_only: bool = False  # about the notifier, its topics and key: not forwarded
    # A service that records the same API under two names (Identity Center's directory).
    also_from: tuple[tuple[str, str], ...] = ()  # (EventBridge source, eventSource)
    # The canary's own event: recorded as proof the path works, never published to humans.
    heartbeat: bool = False
    # State the notifier keeps before alerting (runtime/correlation.py): ONCE_PER_USER_PER_DAY
    # or REPEATED_FAILURES; "" alerts on every event.
    correlate: str = ""
    # The detail's fields are not documented: the message carries the whole detail, raw.
    raw_detail: bool = False

    def conditions(self) -> tuple[Condition, ...]:
        """Every condition of the pattern: source, detail-type, event source and names, match."""
        base: list[Condition] = [
            Equals(("source",), (self.source, *(source for source, _ in self.also_from))),
            Equals(("detail-type",), (self.detail_type,)),
        ]
        if self.event_source:
            event_sources = (self.event_source, *(event for _, event in self.also_from))
            base.append(Equals(("detail", "eventSource"), event_sources))
        if self.event_names:
            base.append(Equals(("detail", "eventName"), self.event_names))
        return (*base, *self.match)

    def pattern(self) -> dict[str, Any]:
        """The EventBridge event pattern of this entry, as JSON-ready data."""
        pattern: dict[str, Any] = {}
        for condition in self.conditions():
            if isinstance(condition, AnythingButOrAbsent | EqualsOrAbsent):
                assert "$or" not in pattern, f"{self.id}: one absent-or condition per entry"
                pattern["$or"] = condition.alternatives()
                continue
            node = pattern
            for key in condition.path[:-1]:
                node = node.setdefault(key, {})
            node[condition.path[-1]] = condition.filters()
        return pattern

    def matches(self, event: Any) -> bool:
        """Whether EventBridge would deliver ``event`` to this entry's rule."""
        return matches(self.conditions(), event)

    def headline(self, *, failed: bool) -> str:
        return self.attempt_title if failed and self.attempt_title else self.title

    def describe_match(self) -> str:
        """The match in words, for the README table."""
        parts = [f"`{self.source}`"]
        if self.detail_type not in (CLOUDTRAIL_API_CALL, CONSOLE_SIGN_IN, CONFIG_COMPLIANCE_CHANGE):
            parts.append(f"`{self.detail_type}`")
        if self.event_names:
            parts.append(_or(self.event_names))
        parts += [condition.describe() for condition in self.match]
        return "; ".join(parts)


def _field_name(path: tuple[str, ...]) -> str:
    return ".".join(path[1:] if path[0] == "detail" else path)


def _or(values: tuple[str, ...]) -> str:
    return " or ".join(f"`{value}`" for value in values)


class _Origin(TypedDict):
    source: str
    detail_type: str
    event_source: str


def _api_call(service: str) -> _Origin:
    """A service's API calls as CloudTrail delivers them to EventBridge."""
    return {
        "source": f"aws.{service}",
        "detail_type": CLOUDTRAIL_API_CALL,
        "event_source": f"{service}.amazonaws.com",
    }


_IAM = _api_call("iam")
_SIGNIN: _Origin = {
    "source": "aws.signin",
    "detail_type": CONSOLE_SIGN_IN,
    "event_source": "signin.amazonaws.com",
}
_ACCOUNT = _api_call("account")
_ORGANIZATIONS = _api_call("organizations")

_CLOUDTRAIL = _api_call("cloudtrail")
_CONFIG_API = _api_call("config")
_EVENTS_API = _api_call("events")
_LAMBDA_API = _api_call("lambda")
_SNS_API = _api_call("sns")
_KMS_API = _api_call("kms")

_SSO_DIRECTORY = _api_call("sso-directory")
# Identity Center logs device management under both names (its CloudTrail page; AWS blog
# "Important changes to CloudTrail events for AWS IAM Identity Center", 2024).
_IDENTITY_STORE = (("aws.identitystore", "identitystore.amazonaws.com"),)
_SSO_USER = "IdentityCenterUser"  # userIdentity.type of a user acting on their own devices

_IDENTITY_TYPE = ("detail", "userIdentity", "type")
_CONSOLE_LOGIN = ("detail", "responseElements", "ConsoleLogin")
_MFA_USED = ("detail", "additionalEventData", "MFAUsed")
_ROOT = Equals(_IDENTITY_TYPE, ("Root",))
# Not root, or no identity at all: an event without userIdentity must still alert.
_NOT_ROOT = AnythingButOrAbsent(_IDENTITY_TYPE, ("Root",))

_DEVICE: tuple[Shown, ...] = (
    ("target user", ("requestParameters", "userName")),
    ("device serial", ("requestParameters", "serialNumber")),
)
_NEW_DEVICE: tuple[Shown, ...] = (
    ("device name", ("requestParameters", "virtualMFADeviceName")),
    ("device serial", ("responseElements", "virtualMFADevice", "serialNumber")),
)
_SIGN_IN: tuple[Shown, ...] = (
    ("sign-in result", ("responseElements", "ConsoleLogin")),
    ("MFA used", _MFA_USED[1:]),
    ("MFA device", ("additionalEventData", "MFAIdentifier")),
    ("signed in to", ("additionalEventData", "LoginTo")),
)
_PASSWORD: tuple[Shown, ...] = (
    ("result", ("responseElements", "PasswordRecoveryRequested")),
    ("result", ("responseElements", "PasswordUpdated")),
    ("MFA used", _MFA_USED[1:]),
)
_TARGET_ACCOUNT: Shown = ("target account", ("requestParameters", "accountId"))
_CONTACT: tuple[Shown, ...] = (
    _TARGET_ACCOUNT,
    ("contact type", ("requestParameters", "alternateContactType")),
    ("contact name", ("requestParameters", "name")),
    ("contact title", ("requestParameters", "title")),
    ("contact e-mail", ("requestParameters", "emailAddress")),
    (PHONE, ("requestParameters", "phoneNumber")),
)
_CONTACT_INFORMATION: tuple[Shown, ...] = (
    _TARGET_ACCOUNT,
    ("contact name", ("requestParameters", "contactInformation", "fullName")),
    ("company", ("requestParameters", "contactInformation", "companyName")),
    (PHONE, ("requestParameters", "contactInformation", "phoneNumber")),
    ("country", ("requestParameters", "contactInformation", "countryCode")),
)
_PRIMARY_EMAIL: tuple[Shown, ...] = (
    _TARGET_ACCOUNT,
    ("new root e-mail", ("requestParameters", "primaryEmail")),
)
_SSO_DEVICE: tuple[Shown, ...] = (
    ("target user", ("requestParameters", "user", "userId")),
    ("target user", ("requestParameters", "userId")),
    ("acting as user", ("userIdentity", "onBehalfOf", "userId")),
    ("device", ("requestParameters", "deviceId")),
    ("device name", ("requestParameters", "displayName")),
)
_TRAIL: tuple[Shown, ...] = (
    ("trail", ("requestParameters", "name")),
    ("trail", ("requestParameters", "trailName")),
    ("multi-region", ("requestParameters", "isMultiRegionTrail")),
)
_RECORDER: tuple[Shown, ...] = (
    ("recorder", ("requestParameters", "configurationRecorderName")),
    ("recorder", ("requestParameters", "configurationRecorder", "name")),
    ("delivery channel", ("requestParameters", "deliveryChannelName")),
)
RULE_OWNER = "rule owner"
"""Label of a Config rule's name: the notifier says who owns the rule."""

_CONFIG: tuple[Shown, ...] = (
    ("Config rule", ("configRuleName",)),
    (RULE_OWNER, ("configRuleName",)),
    ("resource", ("resourceType",)),
    ("resource id", ("resourceId",)),
    ("compliance", ("newEvaluationResult", "complianceType")),
    ("was", ("oldEvaluationResult", "complianceType")),
    ("annotation", ("newEvaluationResult", "annotation")),
)

ONCE_PER_USER_PER_DAY = "once-per-user-per-day"
"""Correlation: the first matching event of a user on a UTC day alerts, the rest are recorded."""
REPEATED_FAILURES = "repeated-failures"
"""Correlation: alert once a user's failures in one UTC hour reach the threshold."""

# Identity Center sign-in, as CloudTrail records it ("Understanding IAM Identity Center sign-in
# events": https://docs.aws.amazon.com/singlesignon/latest/userguide/understanding-sign-in-events.html):
# CredentialChallenge and CredentialVerification per factor, then UserAuthentication once every
# challenge passed, all AwsServiceEvent records of signin.amazonaws.com tied by
# additionalEventData.AuthWorkflowID. UserAuthentication's CredentialType lists every factor
# verified, comma-separated ("PASSWORD", "PASSWORD,TOTP", "EXTERNAL_IDP"; possible values
# PASSWORD, TOTP, WEBAUTHN, EXTERNAL_IDP, RESYNC_TOTP); serviceEventDetails holds the result.
_SSO_SIGN_IN: _Origin = {
    "source": "aws.signin",
    "detail_type": CLOUDTRAIL_SERVICE_EVENT,
    "event_source": "signin.amazonaws.com",
}
_CREDENTIAL_TYPE = ("detail", "additionalEventData", "CredentialType")
SECOND_FACTORS = ("TOTP", "WEBAUTHN", "RESYNC_TOTP")
"""The documented CredentialType values of a second factor (EXTERNAL_IDP: the IdP's business)."""
_SSO_SIGN_IN_SHOWS: tuple[Shown, ...] = (
    ("user name", ("userIdentity", "userName")),
    ("Identity Center user id", ("userIdentity", "onBehalfOf", "userId")),
    ("factors verified", ("additionalEventData", "CredentialType")),
    ("MFA device enrolment required", ("additionalEventData", "DeviceEnrollmentRequired")),
    ("sign-in workflow", ("additionalEventData", "AuthWorkflowID")),
)

_STOLEN_USER = (
    "treat the user's MFA device and password as stolen: change the password, deactivate the "
    "access keys the caller used, remove every device you do not recognise and have the user "
    "register two new devices (up to eight are allowed per user)"
)
_STOLEN_ROOT = (
    "treat the root password and MFA devices as stolen: sign in as root (or use AssumeRoot from "
    "the management account), change the password, remove every device you do not recognise, "
    "register two new MFA devices and check the primary contact e-mail and phone"
)

ENTRIES: tuple[Entry, ...] = (
    # --- IAM MFA devices -------------------------------------------------------------------
    Entry(
        id="root-mfa-removed",
        **_IAM,
        event_names=("DeactivateMFADevice", "DeleteVirtualMFADevice"),
        match=(_ROOT,),
        shows=_DEVICE,
        severity=Severity.CRITICAL,
        title="An MFA device was removed from the root user",
        attempt_title="Attempt to remove an MFA device from the root user",
        why="Root can do anything and no IAM policy restricts it; without MFA its password alone "
        "opens the account. Only root itself (or an AssumeRoot session) can remove its devices.",
        what_to_do=f"If this was not you or a planned change, {_STOLEN_ROOT}. "
        "If it was planned, register the replacement now: root must never be left without MFA.",
    ),
    Entry(
        id="mfa-removed",
        **_IAM,
        event_names=("DeactivateMFADevice", "DeleteVirtualMFADevice"),
        match=(_NOT_ROOT,),
        shows=_DEVICE,
        severity=Severity.HIGH,
        title="An MFA device was removed from an IAM user",
        attempt_title="Attempt to remove an MFA device from an IAM user",
        why="Removing a device is how an attacker makes room for their own; the Force-MFA policy "
        "lets a user do it only from an MFA session.",
        what_to_do="Ask the target user and the caller whether they did it. If not, "
        f"{_STOLEN_USER}. If the user lost the device, this is the expected administrator step: "
        "check that they register two new devices.",
    ),
    Entry(
        id="mfa-virtual-created",
        **_IAM,
        event_names=("CreateVirtualMFADevice",),
        shows=_NEW_DEVICE,
        severity=Severity.LOW,
        title="A virtual MFA device was created",
        attempt_title="Attempt to create a virtual MFA device",
        why="The first half of enrolling a device; on its own it grants nothing, but an "
        "unexpected one may precede an attacker's EnableMFADevice.",
        what_to_do="Usually a user enrolling: expect an 'MFA device was enabled' alert shortly. "
        "Virtual devices left unassigned can be deleted "
        "(aws iam list-virtual-mfa-devices --assignment-status Unassigned).",
    ),
    Entry(
        id="mfa-enabled",
        **_IAM,
        event_names=("EnableMFADevice",),
        shows=_DEVICE,
        severity=Severity.MEDIUM,
        title="An MFA device was enabled",
        attempt_title="Attempt to enable an MFA device",
        why="Whoever holds an enabled device passes MFA for that user; an attacker's device "
        "enabled on a user (or on root) is a lasting foothold.",
        what_to_do="Confirm with the user (or the root owner) that they enrolled this device. "
        f"If not, {_STOLEN_USER}.",
    ),
    Entry(
        id="mfa-resynced",
        **_IAM,
        event_names=("ResyncMFADevice",),
        shows=_DEVICE,
        severity=Severity.LOW,
        title="An MFA device was resynchronized",
        attempt_title="Attempt to resynchronize an MFA device",
        why="Resync repairs a drifting code generator; an unexpected or failed one can mean "
        "someone is trying codes for a device they do not hold.",
        what_to_do=f"Confirm with the user. If it was not them, {_STOLEN_USER}.",
    ),
    # --- Console sign-in ---------------------------------------------------------------------
    Entry(
        id="root-signin-mfa",
        **_SIGNIN,
        event_names=("ConsoleLogin",),
        match=(_ROOT, Equals(_CONSOLE_LOGIN, ("Success",)), Equals(_MFA_USED, ("Yes",))),
        shows=_SIGN_IN,
        severity=Severity.MEDIUM,
        title="Root user signed in to the console (with MFA)",
        why="Root is for the few tasks that need it; every root sign-in should be expected.",
        what_to_do="Confirm who signed in and why. If it was not you, "
        f"{_STOLEN_ROOT}, then review in CloudTrail what the session did.",
    ),
    Entry(
        id="root-signin-no-mfa",
        **_SIGNIN,
        event_names=("ConsoleLogin",),
        # MFAUsed absent (no additionalEventData at all) is "MFA not proven", not "no alert".
        match=(
            _ROOT,
            Equals(_CONSOLE_LOGIN, ("Success",)),
            AnythingButOrAbsent(_MFA_USED, ("Yes",)),
        ),
        shows=_SIGN_IN,
        severity=Severity.CRITICAL,
        title="Root user signed in WITHOUT MFA",
        why="The root password alone opened the account: root has no MFA device, or it was "
        "bypassed through password recovery.",
        what_to_do="If it was not you, act now, the account is likely being taken over: "
        f"{_STOLEN_ROOT}, and contact AWS Support. If it was you, register two MFA devices today.",
    ),
    Entry(
        id="root-signin-failed",
        **_SIGNIN,
        event_names=("ConsoleLogin",),
        # Anything but a success, the result missing included.
        match=(_ROOT, AnythingButOrAbsent(_CONSOLE_LOGIN, ("Success",))),
        shows=_SIGN_IN,
        severity=Severity.HIGH,
        title="Failed root sign-in attempt",
        attempt_title="Failed root sign-in attempt",
        why="Someone knows the root e-mail address and is trying its password.",
        what_to_do="If it was not you: make sure root has a long unique password and two MFA "
        "devices, and protect the root e-mail mailbox with MFA too; repeated failures from unknown "
        "addresses mean the account is targeted.",
    ),
    Entry(
        id="iam-user-signin-no-mfa",
        **_SIGNIN,
        event_names=("ConsoleLogin",),
        match=(
            Equals(_IDENTITY_TYPE, ("IAMUser",)),
            Equals(_CONSOLE_LOGIN, ("Success",)),
            AnythingButOrAbsent(_MFA_USED, ("Yes",)),
        ),
        shows=_SIGN_IN,
        lands=Lands.SIGN_IN_REGIONS,
        severity=Severity.MEDIUM,
        title="IAM user signed in to the console without MFA",
        why="The password alone signed in. In the MfaRequired group such a session can only "
        "enrol MFA; outside it, the user is fully usable.",
        what_to_do="Have the user register two MFA devices and check they are in the MfaRequired "
        "group. If it was not them, treat the password as stolen and change it.",
    ),
    Entry(
        id="root-password-recovery",
        **_SIGNIN,
        event_names=("PasswordRecoveryRequested",),
        match=(_ROOT,),
        shows=_PASSWORD,
        severity=Severity.HIGH,
        title="Root password recovery was requested",
        attempt_title="Failed attempt to request root password recovery",
        why="Recovery mails a reset link to the root e-mail address; with MFA lost it continues "
        "with an automated call to the primary contact phone.",
        what_to_do="If it was not you, someone is going after root through its mailbox: secure "
        "that mailbox (its own MFA) and check the account's contacts. If you are recovering: the "
        'phone step fails when the primary contact number lacks its "+" country code.',
    ),
    Entry(
        id="root-password-updated",
        **_SIGNIN,
        event_names=("PasswordUpdated",),
        match=(_ROOT,),
        shows=_PASSWORD,
        severity=Severity.CRITICAL,
        title="Root password was changed",
        attempt_title="Failed attempt to change the root password",
        why="A new root password locks out its owner and, with MFA bypassed, hands over the "
        "account.",
        what_to_do="If it was not you, the account is being taken over: use 'Forgot password' at "
        f"once, then {_STOLEN_ROOT}, and contact AWS Support.",
    ),
    Entry(
        id="root-password-recovered",
        **_SIGNIN,
        event_names=("PasswordRecoveryCompleted",),
        match=(_ROOT,),
        shows=_PASSWORD,
        severity=Severity.CRITICAL,
        title="Root password was reset through password recovery",
        attempt_title="Failed attempt to complete root password recovery",
        why="Whoever completed recovery controls the root e-mail mailbox and now the root "
        "password; with MFA lost, the next step is the call to the primary contact phone.",
        what_to_do="If it was not you, the account is being taken over: secure the root mailbox "
        f"(its own MFA), then {_STOLEN_ROOT}, and contact AWS Support.",
    ),
    Entry(
        id="signin-without-identity",
        **_SIGNIN,
        event_names=(
            "ConsoleLogin", "PasswordRecoveryRequested", "PasswordRecoveryCompleted",
            "PasswordUpdated",
        ),
        match=(Absent(_IDENTITY_TYPE),),
        shows=(*_SIGN_IN, *_PASSWORD),
        lands=Lands.SIGN_IN_REGIONS,
        severity=Severity.HIGH,
        title="Sign-in event with no identity type",
        attempt_title="Failed sign-in event with no identity type",
        why="A sign-in or password event whose caller cannot be typed (root or IAM user) would "
        "match no other alert; it is reported rather than dropped.",
        what_to_do="Read the raw fields below (source IP, user agent, result) and find the "
        "identity in CloudTrail by the event id; treat it as a root sign-in until proven "
        "otherwise.",
    ),
    Entry(
        id="signin-anomaly",
        source="aws.signin",
        detail_type=SIGN_IN_ANOMALY,
        raw_detail=True,
        lands=Lands.UNDOCUMENTED,
        severity=Severity.HIGH,
        title="AWS Sign-In reported a sign-in anomaly",
        why="AWS Sign-In itself judged a sign-in unusual and sent this event straight to "
        "EventBridge (not through CloudTrail). AWS documents its name, source and durable "
        "delivery, not its fields: the whole detail is below, as AWS sent it.",
        what_to_do="Read the detail for the identity, address and time; find the sign-in in "
        "CloudTrail (ConsoleLogin or UserAuthentication around that time) and confirm it with "
        "its owner. If nobody recognises it, treat the password as stolen and check MFA.",
    ),
    # --- Account contacts --------------------------------------------------------------------
    Entry(
        id="contact-information-changed",
        **_ACCOUNT,
        event_names=("PutContactInformation",),
        shows=_CONTACT_INFORMATION,
        severity=Severity.HIGH,
        title="The account's primary contact information was changed",
        attempt_title="Attempt to change the account's primary contact information",
        why="AWS calls the primary contact phone to verify a root user who lost MFA: a wrong "
        'number, or one without its "+" country code, breaks recovery; an attacker\'s number '
        "hands it over.",
        what_to_do='Check the phone number starts with "+" and the country code and reaches you, '
        "and that name and address are right. If it was not you, restore them and treat the "
        "caller's credentials as stolen.",
    ),
    Entry(
        id="alternate-contact-changed",
        **_ACCOUNT,
        event_names=("PutAlternateContact",),
        shows=_CONTACT,
        severity=Severity.MEDIUM,
        title="An alternate contact of the account was changed",
        attempt_title="Attempt to change an alternate contact of the account",
        why="Billing, operations and security contacts receive AWS notices, including security "
        "notifications; an attacker can redirect them.",
        what_to_do='Check the contact (type shown above) and its phone number with its "+" '
        "country code. If it was not you, restore it and treat the caller's credentials as "
        "stolen.",
    ),
    Entry(
        id="alternate-contact-deleted",
        **_ACCOUNT,
        event_names=("DeleteAlternateContact",),
        shows=_CONTACT,
        severity=Severity.MEDIUM,
        title="An alternate contact of the account was deleted",
        attempt_title="Attempt to delete an alternate contact of the account",
        why="Without a security contact, AWS security notices reach only the root e-mail.",
        what_to_do="Put the contact back (aws account put-alternate-contact). If it was not you, "
        "treat the caller's credentials as stolen.",
    ),
    Entry(
        id="primary-email-update-started",
        **_ACCOUNT,
        event_names=("StartPrimaryEmailUpdate",),
        shows=_PRIMARY_EMAIL,
        severity=Severity.CRITICAL,
        title="A change of the root e-mail address was started",
        attempt_title="Attempt to start changing the root e-mail address",
        why="The root e-mail address receives root password-reset links: changing it hands over "
        "the root user.",
        what_to_do="If it was not you, do not let it complete: treat the caller's credentials as "
        f"stolen, {_STOLEN_ROOT}, and contact AWS Support.",
    ),
    Entry(
        id="primary-email-updated",
        **_ACCOUNT,
        event_names=("AcceptPrimaryEmailUpdate",),
        shows=_PRIMARY_EMAIL,
        severity=Severity.CRITICAL,
        title="The root e-mail address was changed",
        attempt_title="Attempt to complete a change of the root e-mail address",
        why="Password-reset links for root now go to the new address.",
        what_to_do="If it was not you, the account is being taken over: contact AWS Support at "
        f"once, {_STOLEN_ROOT}.",
    ),
    # --- IAM Identity Center -----------------------------------------------------------------
    Entry(
        id="identity-center-mfa-registered",
        **_SSO_DIRECTORY,
        also_from=_IDENTITY_STORE,
        event_names=(
            "StartVirtualMfaDeviceRegistration", "CompleteVirtualMfaDeviceRegistration",
            "StartWebAuthnDeviceRegistration", "CompleteWebAuthnDeviceRegistration",
        ),
        shows=_SSO_DEVICE,
        lands=Lands.IDENTITY_CENTER,
        severity=Severity.MEDIUM,
        title="An Identity Center user registered an MFA device",
        attempt_title="Attempt to register an Identity Center MFA device",
        why="A device registered on someone's Identity Center user passes MFA for every account "
        "and permission set that user reaches.",
        what_to_do="Confirm with the user that they registered it (name and time above). If not, "
        "have an administrator delete the device, reset the user's password and review their "
        "sessions.",
    ),
    Entry(
        id="identity-center-mfa-renamed",
        **_SSO_DIRECTORY,
        also_from=_IDENTITY_STORE,
        event_names=("UpdateMfaDeviceForUser",),
        shows=_SSO_DEVICE,
        lands=Lands.IDENTITY_CENTER,
        severity=Severity.LOW,
        title="An Identity Center MFA device was renamed",
        attempt_title="Attempt to rename an Identity Center MFA device",
        why="Renaming is harmless on its own, but can disguise an attacker's device as the "
        "user's own.",
        what_to_do="Confirm with the user; if they do not recognise the device, have an "
        "administrator delete it.",
    ),
    Entry(
        id="identity-center-mfa-deleted-by-admin",
        **_SSO_DIRECTORY,
        also_from=_IDENTITY_STORE,
        event_names=("DeleteMfaDeviceForUser",),
        match=(AnythingButOrAbsent(_IDENTITY_TYPE, (_SSO_USER,)),),
        shows=_SSO_DEVICE,
        lands=Lands.IDENTITY_CENTER,
        severity=Severity.HIGH,
        title="An administrator deleted an Identity Center user's MFA device",
        attempt_title="Attempt by an administrator to delete an Identity Center MFA device",
        why="This is the documented step when a user loses their device, and also how an "
        "attacker with admin rights makes room for their own device on a user.",
        what_to_do="Check there is a ticket from the user for a lost device, and that they "
        "register two new devices; if not, treat the administrator's credentials as stolen.",
    ),
    Entry(
        id="identity-center-mfa-deleted-by-user",
        **_SSO_DIRECTORY,
        also_from=_IDENTITY_STORE,
        event_names=("DeleteMfaDeviceForUser",),
        match=(Equals(_IDENTITY_TYPE, (_SSO_USER,)),),
        shows=_SSO_DEVICE,
        lands=Lands.IDENTITY_CENTER,
        severity=Severity.MEDIUM,
        title="An Identity Center user deleted one of their MFA devices",
        attempt_title="An Identity Center user tried to delete one of their MFA devices",
        why="Users may retire a device themselves; a user left with one device (or none) "
        "cannot recover from its loss without an administrator.",
        what_to_do="Confirm with the user, and that they still have two devices registered.",
    ),
    Entry(
        id="identity-center-mfa-settings-changed",
        source="aws.sso",
        detail_type=CLOUDTRAIL_API_CALL,
        event_source="sso.amazonaws.com",
        also_from=(("aws.sso-directory", "sso-directory.amazonaws.com"),),
        # The MFA settings; the instance's configuration; an external identity provider, which
        # then decides every sign-in (MFA included) of every user.
        event_names=("PutMfaDeviceManagementForDirectory", "UpdateSSOConfiguration",
                     "CreateExternalIdPConfigurationForDirectory",
                     "UpdateExternalIdPConfigurationForDirectory",
                     "EnableExternalIdPConfigurationForDirectory", "ImportExternalIdPCertificate"),
        shows=(("instance", ("requestParameters", "instanceArn")),
               ("directory", ("requestParameters", "directoryId"))),
        lands=Lands.IDENTITY_CENTER,
        severity=Severity.HIGH,
        title="The MFA settings of the Identity Center instance changed",
        attempt_title="Attempt to change the MFA settings of the Identity Center instance",
        why="These settings decide whether Identity Center users must use MFA at all, and which "
        "devices they may register; an identity provider of someone else's signs in as any user, "
        "exempt admins included: weakened, every account they reach is weakened.",
        what_to_do="Open Identity Center, Settings, Authentication: MFA should be required every "
        "time (or on context change) with authenticator apps and security keys allowed; restore "
        "it if not, and treat the caller's credentials as stolen.",
    ),
    Entry(
        id="identity-center-permission-set-changed",
        source="aws.sso",
        detail_type=CLOUDTRAIL_API_CALL,
        event_source="sso.amazonaws.com",
        event_names=("CreatePermissionSet", "UpdatePermissionSet", "PutInlinePolicyToPermissionSet",
                     "AttachManagedPolicyToPermissionSet",
                     "AttachCustomerManagedPolicyReferenceToPermissionSet",
                     "PutPermissionsBoundaryToPermissionSet", "CreateAccountAssignment",
                     "DeleteAccountAssignment", "DeletePermissionSet"),
        shows=(("permission set", ("requestParameters", "permissionSetArn")),
               ("new permission set", ("requestParameters", "name")),
               ("account", ("requestParameters", "targetId")),
               ("assigned to", ("requestParameters", "principalId")),
               ("assigned to a", ("requestParameters", "principalType")),
               ("managed policy", ("requestParameters", "managedPolicyArn"))),
        lands=Lands.IDENTITY_CENTER,
        severity=Severity.MEDIUM,
        title="An Identity Center permission set or assignment changed",
        attempt_title="Attempt to change an Identity Center permission set or assignment",
        why="Whoever is assigned the permission set the guardrails exempt (admin-principal-arns) "
        "may remove any user's MFA device and change recovery contacts; an Identity Center "
        "delegated administrator can make such assignments from a member account.",
        what_to_do="Check the change against a ticket: who now holds which permission set in "
        "which account; remove an assignment nobody asked for and treat the caller's "
        "credentials as stolen.",
    ),
    Entry(
        id="identity-center-membership-changed",
        **_SSO_DIRECTORY,
        also_from=_IDENTITY_STORE,
        # The console calls them AddMemberToGroup (sso-directory), the API CreateGroupMembership
        # (identitystore; Service Authorization Reference, sso-directory).
        event_names=("AddMemberToGroup", "CreateGroupMembership", "UpdateUser"),
        shows=(("group", ("requestParameters", "groupId")),
               ("member", ("requestParameters", "memberId", "userId")),
               ("member", ("requestParameters", "member", "memberId")),
               ("user", ("requestParameters", "userId"))),
        lands=Lands.IDENTITY_CENTER,
        severity=Severity.MEDIUM,
        title="An Identity Center group gained a member, or a user was changed",
        attempt_title="Attempt to add a group member or change an Identity Center user",
        why="A user added to a group that holds the exempt permission set is exempt too; an "
        "admin's e-mail changed is where their password reset goes.",
        what_to_do="Check the group's assignments and the change against a ticket; remove a "
        "member nobody asked for, restore a changed e-mail and treat the caller's credentials as "
        "stolen.",
    ),
    Entry(
        id="identity-center-signin-no-mfa",
        **_SSO_SIGN_IN,
        event_names=("UserAuthentication",),
        # Exactly "PASSWORD": no second factor was verified. Absent: a record that does not say
        # which factors passed still alerts. "EXTERNAL_IDP" (MFA, if any, at the IdP) and any
        # list with a second factor do not match.
        match=(EqualsOrAbsent(_CREDENTIAL_TYPE, ("PASSWORD",)),),
        shows=_SSO_SIGN_IN_SHOWS,
        lands=Lands.IDENTITY_CENTER,
        correlate=ONCE_PER_USER_PER_DAY,
        severity=Severity.HIGH,
        title="Identity Center user signed in with a password alone",
        why="The sign-in completed without a second factor: the instance's MFA setting lets "
        "passwords alone in (or only asks on a context change), or the user was made to enrol "
        "a device at this sign-in. Whoever holds the password reaches every account the user "
        "does. Sent once per user and UTC day; later sign-ins that day are only recorded.",
        what_to_do="Open Identity Center, Settings, Authentication: require MFA every time "
        "(never 'only when context changes' or 'none'). Confirm the sign-in with the user; if "
        "it was not them, reset their password and delete devices they do not recognise.",
    ),
    Entry(
        id="identity-center-mfa-failures",
        **_SSO_SIGN_IN,
        event_names=("CredentialVerification",),
        match=(
            Equals(("detail", "serviceEventDetails", "CredentialVerification"), ("Failure",)),
            Equals(_CREDENTIAL_TYPE, SECOND_FACTORS),
        ),
        shows=(*_SSO_SIGN_IN_SHOWS,
               ("result", ("serviceEventDetails", "CredentialVerification"))),
        lands=Lands.IDENTITY_CENTER,
        correlate=REPEATED_FAILURES,
        severity=Severity.HIGH,
        title="Repeated failed MFA codes for an Identity Center user",
        why="A second factor is asked for only after the password passed: repeated failures "
        "mean someone holds the user's password and is trying codes or a device they do not "
        "have (or the user's authenticator drifted). Alerted once when a user reaches 3 "
        "failures in one UTC hour.",
        what_to_do="Ask the user whether it was them. If not, reset their password now, review "
        "their registered devices and the source addresses above, and look for "
        "identity-center-signin-no-mfa alerts for the same user.",
    ),
    # --- Centralized root access -------------------------------------------------------------
    Entry(
        id="root-session-assumed",
        source="aws.sts",
        detail_type=CLOUDTRAIL_API_CALL,
        event_source="sts.amazonaws.com",
        event_names=("AssumeRoot",),
        shows=(("member account", ("requestParameters", "targetPrincipal")),
               ("task policy", ("requestParameters", "taskPolicyArn", "arn"))),
        lands=Lands.CALLER_REGION,
        severity=Severity.HIGH,
        title="A root session was taken in a member account (AssumeRoot)",
        attempt_title="Attempt to take a root session in a member account (AssumeRoot)",
        why="AssumeRoot gives a 15-minute root session in a member, limited to its task policy: "
        "deleting or creating root credentials, or unlocking a bucket or queue policy.",
        what_to_do="Check the task was planned (task policy and member above). "
        "IAMCreateRootUserPassword brings root credentials back: expect them to be removed again.",
    ),
    Entry(
        id="root-credentials-created",
        **_IAM,
        event_names=("CreateLoginProfile", "CreateAccessKey"),
        match=(_ROOT, Absent(("detail", "requestParameters", "userName"))),
        shows=(("result", ("responseElements", "accessKey", "accessKeyId")),),
        severity=Severity.CRITICAL,
        title="Root credentials were created (password or access key)",
        attempt_title="Attempt to create root credentials (password or access key)",
        why="Under centralized root access members have no root password or keys; a new one "
        "is a root login that no SCP restricts.",
        what_to_do="If it was not a planned recovery, delete it at once (AssumeRoot with "
        "IAMDeleteRootUserCredentials) and find who could act as root; root access keys should "
        "never exist.",
    ),
    Entry(
        id="centralized-root-access-disabled",
        **_IAM,
        event_names=("DisableOrganizationsRootCredentialsManagement",
                     "DisableOrganizationsRootSessions"),
        shows=(("organization account", ("recipientAccountId",)),),
        severity=Severity.HIGH,
        title="Centralized root access was turned off",
        attempt_title="Attempt to turn off centralized root access",
        why="Without it, members can have root passwords again and root tasks need the root "
        "user's own credentials and MFA.",
        what_to_do="Turn it back on in IAM (Root access management) unless the change was "
        "planned, and treat the caller's credentials as stolen.",
    ),
    # --- Planes only the management account acts on, or where a deny may be missing ----------
    Entry(
        id="delegated-administrator-changed",
        **_ORGANIZATIONS,
        event_names=("RegisterDelegatedAdministrator", "DeregisterDelegatedAdministrator",
                     "EnableAWSServiceAccess", "DisableAWSServiceAccess", "PutResourcePolicy",
                     "DeleteResourcePolicy"),
        shows=(("delegated account", ("requestParameters", "accountId")),
               ("service", ("requestParameters", "servicePrincipal")),
               ("delegation policy", ("requestParameters", "content"))),
        severity=Severity.HIGH,
        title="An organization delegated administrator or trusted service changed",
        attempt_title="Attempt to change a delegated administrator or trusted service",
        why="A delegated administrator acts on every account from its own: StackSets that run as "
        "the exempt stacksets-exec-* role, Identity Center permission sets, members' contacts, "
        "organization policies. Only the management account registers one, and no SCP "
        "restricts the management account.",
        what_to_do="Check the change was planned; run make preflight to list every delegated "
        "administrator and what it can change; otherwise undo it (aws organizations "
        "deregister-delegated-administrator) and treat the management account's caller as "
        "stolen.",
    ),
    Entry(
        id="organization-guardrails-changed",
        **_ORGANIZATIONS,
        event_names=("MoveAccount", "RemoveAccountFromOrganization", "DetachPolicy",
                     "UpdatePolicy", "DeletePolicy", "DisablePolicyType"),
        shows=(("account", ("requestParameters", "accountId")),
               ("from", ("requestParameters", "sourceParentId")),
               ("to", ("requestParameters", "destinationParentId")),
               ("policy", ("requestParameters", "policyId")),
               ("target", ("requestParameters", "targetId")),
               ("policy type", ("requestParameters", "policyType"))),
        severity=Severity.HIGH,
        title="An account moved, or an organization policy was detached or changed",
        attempt_title="Attempt to move an account or change an organization policy",
        why="An account moved out of the target OUs, or an SCP of ours detached or rewritten, "
        "loses every guardrail (the StackSet then removes its baseline too); the management "
        "account, which no SCP restricts, can do it.",
        what_to_do="Check the change was planned; move the account back or reattach the SCP "
        "(redeploy MfaGuardrailsManagement) and treat the caller's credentials as stolen.",
    ),
    Entry(
        id="region-opt-in-changed",
        **_ACCOUNT,
        event_names=("EnableRegion", "DisableRegion"),
        shows=(_TARGET_ACCOUNT, ("region", ("requestParameters", "regionName"))),
        severity=Severity.MEDIUM,
        title="An opt-in region was enabled or disabled",
        attempt_title="Attempt to enable or disable an opt-in region",
        why="A newly enabled region has no forwarding rules until it is added to target-regions: "
        "sign-ins and changes there reach no alert.",
        what_to_do="If it was planned, add the region to target-regions (and sign-in-regions) "
        "and deploy; otherwise disable it again and treat the caller's credentials as stolen.",
    ),
    Entry(
        id="event-bus-encryption-changed",
        **_EVENTS_API,
        event_names=("UpdateEventBus",),
        shows=(("event bus", ("requestParameters", "name")),
               ("KMS key", ("requestParameters", "kmsKeyIdentifier"))),
        severity=Severity.HIGH,
        title="An event bus was updated (its encryption key may have changed)",
        attempt_title="Attempt to update an event bus",
        why="The default bus re-encrypted with a key that is then disabled stops every rule on "
        "it, the forwarding of these alerts included.",
        what_to_do="Check which key the bus now uses (aws events describe-event-bus) and that "
        "EventBridge may use it; restore the AWS-owned key unless the change was planned.",
        lands=Lands.RESOURCE_REGION,
    ),
    # --- AWS Config --------------------------------------------------------------------------
    Entry(
        id="config-rule-noncompliant",
        source="aws.config",
        detail_type=CONFIG_COMPLIANCE_CHANGE,
        match=(
            Wildcard(("detail", "configRuleName"),
                     (f"{CONFIG_RULE_PREFIX}*", *other_owners_rule_names())),
            Equals(("detail", "newEvaluationResult", "complianceType"), ("NON_COMPLIANT",)),
        ),
        shows=_CONFIG,
        lands=Lands.RESOURCE_REGION,
        severity=Severity.HIGH,
        title="An MFA Config rule became NON_COMPLIANT",
        why="A check about MFA (this product's, or the same AWS managed rule run by Security "
        "Hub, Control Tower or a conformance pack) found root or a console user without MFA, or "
        "an account that could not recover.",
        what_to_do="Open the rule in AWS Config (its owner is named above), read the annotation, "
        "fix the resource (e.g. register two MFA devices) and re-evaluate the rule.",
    ),
    # --- Tampering with the alert path -------------------------------------------------------
    Entry(
        id="trail-stopped",
        **_CLOUDTRAIL,
        event_names=("StopLogging", "DeleteTrail"),
        shows=_TRAIL,
        lands=Lands.RESOURCE_REGION,
        severity=Severity.CRITICAL,
        title="A CloudTrail trail was stopped or deleted",
        attempt_title="Attempt to stop or delete a CloudTrail trail",
        why="EventBridge receives API and sign-in events only while a trail is logging: without "
        "one, every other alert here goes silent.",
        what_to_do="If it was not a planned change, start logging again at once "
        "(aws cloudtrail start-logging --name <trail>), treat the caller's credentials as "
        "stolen and review what happened while the trail was off.",
    ),
    Entry(
        id="trail-changed",
        **_CLOUDTRAIL,
        event_names=("UpdateTrail", "PutEventSelectors"),
        shows=_TRAIL,
        lands=Lands.RESOURCE_REGION,
        severity=Severity.HIGH,
        title="A CloudTrail trail's settings or event selectors changed",
        attempt_title="Attempt to change a CloudTrail trail",
        why="A trail narrowed to one region, or selectors that drop management or write events, "
        "silences the alerts as surely as stopping it.",
        what_to_do="Check the trail still logs management events (read and write) in every "
        "region; if it was not you, restore it and treat the caller's credentials as stolen.",
    ),
    Entry(
        id="config-recorder-stopped",
        **_CONFIG_API,
        event_names=(
            "StopConfigurationRecorder", "DeleteConfigurationRecorder", "DeleteDeliveryChannel",
            "PutConfigurationRecorder",
        ),
        shows=_RECORDER,
        lands=Lands.RESOURCE_REGION,
        severity=Severity.HIGH,
        title="The AWS Config recorder was stopped, deleted or changed",
        attempt_title="Attempt to stop, delete or change the AWS Config recorder",
        why="The MFA Config rules evaluate nothing while the recorder is off or no longer "
        "records IAM resources.",
        what_to_do="Start the recorder again (aws configservice start-configuration-recorder) "
        "and check it records IAM users; if it was not you, treat the caller's credentials as "
        "stolen.",
    ),
    Entry(
        id="mfa-config-rule-deleted",
        **_CONFIG_API,
        event_names=("DeleteConfigRule",),
        match=(Wildcard(("detail", "requestParameters", "configRuleName"),
                        (f"{CONFIG_RULE_PREFIX}*", *other_owners_rule_names())),),
        shows=(("Config rule", ("requestParameters", "configRuleName")),),
        lands=Lands.RESOURCE_REGION,
        severity=Severity.HIGH,
        title="An MFA Config rule was deleted",
        attempt_title="Attempt to delete an MFA Config rule",
        why="Without the rule, a root user or console user without MFA is no longer reported.",
        what_to_do="If it was not a planned change (a stack deletion), redeploy the rule and "
        "treat the caller's credentials as stolen.",
    ),
    Entry(
        id="mfa-config-rule-overwritten",
        **_CONFIG_API,
        event_names=("PutConfigRule",),
        match=(Wildcard(("detail", "requestParameters", "configRule", "configRuleName"),
                        (f"{CONFIG_RULE_PREFIX}*", *other_owners_rule_names())),),
        shows=(("Config rule", ("requestParameters", "configRule", "configRuleName")),
               ("invoked by", ("userIdentity", "invokedBy"))),
        lands=Lands.RESOURCE_REGION,
        severity=Severity.MEDIUM,
        title="An MFA Config rule was created or overwritten",
        attempt_title="Attempt to overwrite an MFA Config rule",
        why="Overwriting a rule can point it at another check, scope or frequency and keep it "
        "green; a deploy of the guardrails (invoked by CloudFormation) does this too.",
        what_to_do="If it was not a deploy of mfa-guardrails or of the rule's owner, compare the "
        "rule with its template and treat the caller's credentials as stolen.",
    ),
    Entry(
        id="alert-rule-disabled",
        **_EVENTS_API,
        event_names=("DisableRule", "DeleteRule"),
        match=(Prefix(("detail", "requestParameters", "name"), PRODUCT_PREFIX),),
        shows=(("rule", ("requestParameters", "name")),
               ("event bus", ("requestParameters", "eventBusName"))),
        lands=Lands.RESOURCE_REGION,
        severity=Severity.CRITICAL,
        title="An mfa-guardrails alert rule was disabled or deleted",
        attempt_title="Attempt to disable or delete an mfa-guardrails alert rule",
        why="Each rule is one kind of alert; disabled, that alert can never fire again.",
        what_to_do="Enable the rule again (or redeploy), treat the caller's credentials as stolen "
        "and review the events the rule would have caught meanwhile in CloudTrail.",
    ),
    Entry(
        id="alert-rule-targets-removed",
        **_EVENTS_API,
        event_names=("RemoveTargets",),
        match=(Prefix(("detail", "requestParameters", "rule"), PRODUCT_PREFIX),),
        shows=(("rule", ("requestParameters", "rule")),
               ("event bus", ("requestParameters", "eventBusName"))),
        lands=Lands.RESOURCE_REGION,
        severity=Severity.CRITICAL,
        title="Targets were removed from an mfa-guardrails alert rule",
        attempt_title="Attempt to remove targets from an mfa-guardrails alert rule",
        why="A rule without its target still matches, and delivers nowhere.",
        what_to_do="Redeploy the stack to restore the target and treat the caller's credentials "
        "as stolen.",
    ),
    Entry(
        id="notifier-changed",
        **_LAMBDA_API,
        match=(
            Wildcard(("detail", "eventName"), (
                "UpdateFunctionCode*", "UpdateFunctionConfiguration*", "DeleteFunction*",
                "RemovePermission*", "PutFunctionConcurrency*", "DeleteFunctionEventInvokeConfig*",
                "PutFunctionEventInvokeConfig*", "UpdateFunctionEventInvokeConfig*")),
            Wildcard(("detail", "requestParameters", "functionName"), (
                f"{PRODUCT_PREFIX}*", f"*:function:{PRODUCT_PREFIX}*")),
        ),
        shows=(("function", ("requestParameters", "functionName")),
               ("reserved concurrency", ("requestParameters", "reservedConcurrentExecutions"))),
        lands=Lands.RESOURCE_REGION,
        alerting_account_only=True,
        severity=Severity.CRITICAL,
        title="The mfa-guardrails notifier function was changed",
        attempt_title="Attempt to change the mfa-guardrails notifier function",
        why="Alerts reach people only through this function: new code, a concurrency of 0 or a "
        "removed permission silences or forges them.",
        what_to_do="If it was not a deploy of mfa-guardrails, redeploy the alerting stack, treat "
        "the caller's credentials as stolen and read the rule dead-letter queue.",
    ),
    Entry(
        id="alert-topic-changed",
        **_SNS_API,
        event_names=("DeleteTopic", "SetTopicAttributes", "RemovePermission", "AddPermission"),
        match=(Wildcard(("detail", "requestParameters", "topicArn"),
                        (f"*:{PRODUCT_PREFIX}*",)),),
        shows=(("topic", ("requestParameters", "topicArn")),
               ("attribute", ("requestParameters", "attributeName"))),
        lands=Lands.RESOURCE_REGION,
        alerting_account_only=True,
        severity=Severity.CRITICAL,
        title="An mfa-guardrails alert topic was changed or deleted",
        attempt_title="Attempt to change or delete an mfa-guardrails alert topic",
        why="A deleted topic, a new policy or another key on it stops alerts from reaching "
        "anyone, or lets someone else read them.",
        what_to_do="Redeploy the alerting stack, check the subscriptions still deliver, and treat "
        "the caller's credentials as stolen.",
    ),
    Entry(
        id="alert-subscription-removed",
        **_SNS_API,
        event_names=("Unsubscribe", "SetSubscriptionAttributes"),
        match=(Wildcard(("detail", "requestParameters", "subscriptionArn"),
                        (f"*:{PRODUCT_PREFIX}*",)),),
        shows=(("subscription", ("requestParameters", "subscriptionArn")),
               ("attribute", ("requestParameters", "attributeName"))),
        lands=Lands.RESOURCE_REGION,
        alerting_account_only=True,
        severity=Severity.HIGH,
        title="A subscription of an mfa-guardrails topic was removed or changed",
        attempt_title="Attempt to remove a subscription of an mfa-guardrails topic",
        why="An unsubscribed address (or a filter policy that drops everything) receives no "
        "alerts: the alert you are reading may be the last one it gets.",
        what_to_do="Subscribe the address again (make deploy restores it) and confirm the "
        "subscription; if it was not the recipient, treat the caller's credentials as stolen.",
    ),
    Entry(
        id="alert-key-disabled",
        **_KMS_API,
        event_names=("DisableKey", "ScheduleKeyDeletion", "PutKeyPolicy", "DeleteAlias",
                     "UpdateAlias"),
        shows=(("key", ("requestParameters", "keyId")),
               ("alias", ("requestParameters", "aliasName"))),
        lands=Lands.RESOURCE_REGION,
        alerting_account_only=True,
        severity=Severity.HIGH,
        title="A KMS key in the alerting account was disabled or changed",
        attempt_title="Attempt to disable or change a KMS key in the alerting account",
        why="The alert topics are encrypted with the key alias/mfa-guardrails-alerting: disabled, "
        "scheduled for deletion or with a new policy, nothing is published any more.",
        what_to_do="If the key is the alerting key (see its aliases), cancel the deletion "
        "(aws kms cancel-key-deletion) or enable it, restore the policy by redeploying, and "
        "treat the caller's credentials as stolen.",
    ),
    Entry(
        id="heartbeat",
        **_IAM,
        event_names=("TagRole",),
        match=(
            Equals(("detail", "requestParameters", "roleName"), (CANARY_ROLE_NAME,)),
            Equals(("detail", "userIdentity", "sessionContext", "sessionIssuer", "userName"),
                   (CANARY_ROLE_NAME,)),
        ),
        shows=(("role", ("requestParameters", "roleName")),),
        heartbeat=True,
        severity=Severity.LOW,
        title="Heartbeat: the canary's IAM write travelled the whole alert path",
        why="Not an alert: the notifier records it. The canary schedule tags its own role every "
        "hour, so CloudTrail, forwarding, the rules and the notifier are proven alive; an "
        "account whose heartbeats stop is named on the operations topic.",
        what_to_do="Nothing. If the operations topic reports an account silent, run "
        "`mfa-guardrails readiness` there: the prerequisites name what broke.",
    ),
    Entry(
        id="mfa-required-membership-removed",
        **_IAM,
        event_names=("RemoveUserFromGroup",),
        match=(Equals(("detail", "requestParameters", "groupName"), (MFA_REQUIRED_GROUP,)),),
        shows=(("user", ("requestParameters", "userName")),
               ("group", ("requestParameters", "groupName"))),
        severity=Severity.HIGH,
        title="A user was removed from the MfaRequired group",
        attempt_title="Attempt to remove a user from the MfaRequired group",
        why="Outside MfaRequired the Force-MFA policy no longer applies: the user works without "
        "MFA.",
        what_to_do="Add the user back (aws iam add-user-to-group --group-name MfaRequired) unless "
        "the exception is documented; if it was not an administrator, treat the caller's "
        "credentials as stolen.",
    ),
    Entry(
        id="force-mfa-detached",
        **_IAM,
        event_names=("DetachUserPolicy", "DetachGroupPolicy", "DetachRolePolicy",
                     "DeletePolicy", "CreatePolicyVersion", "SetDefaultPolicyVersion"),
        match=(Wildcard(("detail", "requestParameters", "policyArn"),
                        (f"*:policy/{PRODUCT_PREFIX}*",)),),
        shows=(("policy", ("requestParameters", "policyArn")),
               ("user", ("requestParameters", "userName")),
               ("group", ("requestParameters", "groupName")),
               ("role", ("requestParameters", "roleName"))),
        severity=Severity.CRITICAL,
        title="The Force-MFA policy was detached or changed",
        attempt_title="Attempt to detach or change the Force-MFA policy",
        why="Detached or rewritten, the policy stops denying work without MFA for everyone it "
        "covered.",
        what_to_do="Redeploy the baseline to restore it and treat the caller's credentials as "
        "stolen; check which users worked without MFA meanwhile.",
    ),
)

EXEMPT_NAMES_VARIABLE = "EXEMPT_NAMES"
# The notifier's list of who may run `mfa-guardrails recover` (ARN patterns, space-separated),
# and the mark that command adds to its calls' user agent, which CloudTrail records.
RECOVERY_ADMINS_VARIABLE = "RECOVERY_ADMINS"
# The organization's mail domains (recovery-email-domains), space-separated: the alert on a root
# e-mail change says whether the new address is one of them.
RECOVERY_EMAIL_DOMAINS_VARIABLE = "RECOVERY_EMAIL_DOMAINS"
RECOVERY_USER_AGENT = "mfa-guardrails-recovery/"
"""The notifier's environment variable holding the exempt names, separated by spaces."""


def exempt_name_entries(names: tuple[str, ...]) -> tuple[Entry, ...]:
    """A user or role created with an exempt identity's name, in any case: IAM names are unique
    whatever their case, so a squatted BREAKGLASSADMIN makes the real one impossible to create
    (the SCPs deny the exact name, and any path, but IAM policies compare ARNs case-sensitively).
    ``names``: the configuration's exempt names without wildcards (none: no entries)."""
    if not names:
        return ()
    return tuple(
        Entry(
            id=f"exempt-{kind}-name-created",
            **_IAM,
            event_names=(f"Create{kind.title()}",),
            match=(EqualsIgnoreCase(("detail", "requestParameters", f"{kind}Name"), names),),
            shows=((kind, ("requestParameters", f"{kind}Name")),
                   ("path", ("requestParameters", "path"))),
            severity=Severity.HIGH,
            title=f"An IAM {kind} was created with an exempt identity's name",
            attempt_title=f"Attempt to create an IAM {kind} with an exempt identity's name",
            why="Exempt from the guardrails by name, or squatting it in another case so that the "
            "real break-glass or automation identity can no longer be created in this account.",
            what_to_do=f"Expected once when StackSets or automation create it; otherwise delete "
            f"the {kind}, find who created it and treat their credentials as stolen.",
        )
        for kind in ("role", "user")
    )  # fmt: skip


def exempt_names_of(deployed: tuple[Entry, ...]) -> tuple[str, ...]:
    """The exempt names the deployed entries watch (what the notifier needs to classify them)."""
    return tuple(dict.fromkeys(
        value
        for entry in deployed if entry.id.startswith("exempt-")
        for condition in entry.match if isinstance(condition, EqualsIgnoreCase)
        for value in condition.values
    ))  # fmt: skip


def entries(
    *,
    other_owners_config_rules: bool = True,
    exempt_names: tuple[str, ...] = (),
    require_hardware_root_mfa: bool = True,
) -> tuple[Entry, ...]:
    """The catalog as deployed: with ``other_owners_config_rules`` False, the Config entries
    watch this product's own rules only (the notifier always classifies with the full catalog,
    a superset, so a narrowed rule's events are still worded right); with
    ``require_hardware_root_mfa`` False, another owner's ROOT_ACCOUNT_HARDWARE_MFA_ENABLED turning
    NON_COMPLIANT (root uses a virtual device) is not an alert; ``exempt_names`` adds the
    entries about identities created with an exempt name."""
    extra = exempt_name_entries(exempt_names)
    path = ("detail", "configRuleName")
    if not other_owners_config_rules:
        own: Condition = Prefix(path, CONFIG_RULE_PREFIX)
    elif not require_hardware_root_mfa:
        own = Wildcard(path, (f"{CONFIG_RULE_PREFIX}*", *other_owners_rule_names(hardware=False)))
    else:
        return (*ENTRIES, *extra)
    return (*(
        entry._replace(match=tuple(
            own if condition.path == own.path else condition for condition in entry.match
        ))
        for entry in ENTRIES
    ), *extra)  # fmt: skip


UNRECOGNIZED = Advice(
    id="unrecognized",
    severity=Severity.HIGH,
    title="Unrecognized event reached the alert notifier",
    why="Every rule delivers only catalog events, so the rules and the notifier disagree, or "
    "someone invoked the notifier by hand; the raw payload is below.",
    what_to_do="Read the payload; if it is a real security event, handle it by hand and add it to "
    "the catalog (constructs_lib/alerting/runtime/catalog.py).",
)

BY_ID: dict[str, Entry] = {entry.id: entry for entry in ENTRIES}


def markdown_table() -> str:
    """The README table of watched events (between ``<!-- catalog:start/end -->``)."""
    lines = [
        "| alert | severity | recorded in | EventBridge match | why it matters | what to do |",
        "|---|---|---|---|---|---|",
    ]
    for entry in (*ENTRIES, *exempt_name_entries(("<exempt name>",))):
        where = entry.lands.value + (" (alerting account)" if entry.alerting_account_only else "")
        cells = (
            f"`{entry.id}`",
            entry.severity.value,
            where,
            entry.describe_match(),
            entry.why,
            entry.what_to_do,
        )
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"
