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

from enum import StrEnum
from typing import Any, NamedTuple, TypedDict

CONFIG_RULE_PREFIX = "mfa-guardrails-"
"""Config rules of this product are named with this prefix; only theirs raise compliance alerts."""

CLOUDTRAIL_API_CALL = "AWS API Call via CloudTrail"
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


Condition = Equals | AnythingBut | Prefix

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

    def conditions(self) -> tuple[Condition, ...]:
        """Every condition of the pattern: source, detail-type, event source and names, match."""
        base: list[Condition] = [
            Equals(("source",), (self.source,)),
            Equals(("detail-type",), (self.detail_type,)),
        ]
        if self.event_source:
            base.append(Equals(("detail", "eventSource"), (self.event_source,)))
        if self.event_names:
            base.append(Equals(("detail", "eventName"), self.event_names))
        return (*base, *self.match)

    def pattern(self) -> dict[str, Any]:
        """The EventBridge event pattern of this entry, as JSON-ready data."""
        pattern: dict[str, Any] = {}
        for condition in self.conditions():
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


_IAM: _Origin = {
    "source": "aws.iam",
    "detail_type": CLOUDTRAIL_API_CALL,
    "event_source": "iam.amazonaws.com",
}
_SIGNIN: _Origin = {
    "source": "aws.signin",
    "detail_type": CONSOLE_SIGN_IN,
    "event_source": "signin.amazonaws.com",
}
_ACCOUNT: _Origin = {
    "source": "aws.account",
    "detail_type": CLOUDTRAIL_API_CALL,
    "event_source": "account.amazonaws.com",
}

_IDENTITY_TYPE = ("detail", "userIdentity", "type")
_CONSOLE_LOGIN = ("detail", "responseElements", "ConsoleLogin")
_MFA_USED = ("detail", "additionalEventData", "MFAUsed")
_ROOT = Equals(_IDENTITY_TYPE, ("Root",))
_NOT_ROOT = AnythingBut(_IDENTITY_TYPE, ("Root",))

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
_CONFIG: tuple[Shown, ...] = (
    ("Config rule", ("configRuleName",)),
    ("resource", ("resourceType",)),
    ("resource id", ("resourceId",)),
    ("compliance", ("newEvaluationResult", "complianceType")),
    ("was", ("oldEvaluationResult", "complianceType")),
    ("annotation", ("newEvaluationResult", "annotation")),
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
        match=(_ROOT, Equals(_CONSOLE_LOGIN, ("Success",)), AnythingBut(_MFA_USED, ("Yes",))),
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
        match=(_ROOT, Equals(_CONSOLE_LOGIN, ("Failure",))),
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
            AnythingBut(_MFA_USED, ("Yes",)),
        ),
        shows=_SIGN_IN,
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
    # --- AWS Config --------------------------------------------------------------------------
    Entry(
        id="config-rule-noncompliant",
        source="aws.config",
        detail_type=CONFIG_COMPLIANCE_CHANGE,
        match=(
            Prefix(("detail", "configRuleName"), CONFIG_RULE_PREFIX),
            Equals(("detail", "newEvaluationResult", "complianceType"), ("NON_COMPLIANT",)),
        ),
        shows=_CONFIG,
        severity=Severity.HIGH,
        title="An mfa-guardrails Config rule became NON_COMPLIANT",
        why="One of this product's own checks found a resource breaking an MFA guardrail, such "
        "as root or a console user without MFA, or an account that could not recover.",
        what_to_do="Open the rule in AWS Config, read the annotation, fix the resource (e.g. "
        "register two MFA devices) and re-evaluate the rule.",
    ),
)

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
        "| alert | severity | EventBridge match | why it matters | what to do |",
        "|---|---|---|---|---|",
    ]
    for entry in ENTRIES:
        cells = (
            f"`{entry.id}`",
            entry.severity.value,
            entry.describe_match(),
            entry.why,
            entry.what_to_do,
        )
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"
