"""Recovery readiness: could this account, and each of its console users, recover from a lost MFA
device? One implementation serves the Config rule Lambda (``handler.py``) and the readiness report
CLI (``mfa-guardrails readiness``), so the rule and the report cannot disagree.

What is checked, and why each one matters for recovery:

* the primary contact phone is in E.164 form (``+``, country code, digits): a root user who lost
  every MFA device recovers through e-mail and then an automated call to this number, and the call
  cannot be placed to a number without its country code. AWS accepts the looser
  ``[+][\\s0-9()-]+``, so the number is checked after removing spaces, dashes, parentheses, dots;
* a SECURITY alternate contact exists (and, on request, an OPERATIONS one): AWS tells it about
  compromise and abuse;
* the root user has MFA, or has no credentials at all (centralized root access deleted the
  password and keys: nothing is left to protect, so that is COMPLIANT, not a finding);
* every IAM user with a console password has MFA, and at least two devices: one device is a single
  point of failure (IAM allows up to eight per user);
* on request (:class:`LockoutScope`, the readiness reports before ``enforce``): nobody Force-MFA
  holds would be locked out. An IAM user in a Force-MFA group whose access keys were used
  recently needs an MFA device the CLI can use (``sts:GetSessionToken`` takes a TOTP code, so a
  virtual or hardware TOTP device; security keys and passkeys work in the console only); a
  configured role used recently loses every session assumed without MFA.

Every function is pure apart from the read-only API calls made on the clients passed in. A call
that is denied (``AccessDenied``/``AccessDeniedException``) turns only its own finding into
INSUFFICIENT_DATA, naming the missing permission; everything else is still evaluated.

This module is part of the Lambda asset: standard library only, and botocore's exceptions are
recognised by their ``response`` attribute instead of being imported, to keep the cold start small.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

ACCOUNT_RESOURCE_TYPE = "AWS::::Account"
USER_RESOURCE_TYPE = "AWS::IAM::User"
MAX_MFA_DEVICES = 8  # IAM: up to eight MFA devices per user (and per root user)
MAX_E164_DIGITS = 15  # ITU-T E.164: country code + national number, at most 15 digits
MIN_PHONE_DIGITS = 7  # shorter than any full international number (e.g. Niue: +683 + 4 digits)
MFA_REQUIRED_GROUP = "MfaRequired"
FIDO_SERIAL_MARKER = ":u2f/"  # arn:aws:iam::<account>:u2f/user/<name>/<key>: console only

_DENIED = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})
_SEPARATORS = re.compile(r"[\s\-().]")
_EXAMPLE = "+1 415 555 0100"


class Status(StrEnum):
    """Outcome of one check. NOT_APPLICABLE: a user without a console password (no console MFA
    to require); it is kept so a per-user Config evaluation is refreshed when a password goes."""

    COMPLIANT = "COMPLIANT"
    NON_COMPLIANT = "NON_COMPLIANT"
    INSUFFICIENT_DATA = "INSUFFICIENT_DATA"
    NOT_APPLICABLE = "NOT_APPLICABLE"


# Worst first wins: something known wrong outranks something we could not check.
_RANK = {
    Status.NOT_APPLICABLE: 0,
    Status.COMPLIANT: 1,
    Status.INSUFFICIENT_DATA: 2,
    Status.NON_COMPLIANT: 3,
}


@dataclass(frozen=True, kw_only=True, slots=True)
class Finding:
    """One check of one subject.

    ``fix`` says exactly what to do for NON_COMPLIANT / INSUFFICIENT_DATA, or why the subject
    passes otherwise; ``headline`` is its short form (a few words) for the 256-character Config
    annotation. ``resource_id`` is set for findings that are also evaluated as their own resource
    (an IAM user's ``UserId``); None means the evaluated account itself.
    """

    check: str
    subject: str
    status: Status
    fix: str
    headline: str
    resource_type: str = ACCOUNT_RESOURCE_TYPE
    resource_id: str | None = None

    @property
    def failed(self) -> bool:
        return self.status in (Status.NON_COMPLIANT, Status.INSUFFICIENT_DATA)


class AccountApi(Protocol):
    """The read-only calls of the ``account`` client this module makes."""

    def get_contact_information(self, *args: Any, **kwargs: Any) -> Any: ...
    def get_alternate_contact(self, *args: Any, **kwargs: Any) -> Any: ...
    def get_primary_email(self, *args: Any, **kwargs: Any) -> Any: ...


class IamApi(Protocol):
    """The read-only calls of the ``iam`` client this module makes (the last four only for a
    :class:`LockoutScope`)."""

    def get_account_summary(self, *args: Any, **kwargs: Any) -> Any: ...
    def list_users(self, *args: Any, **kwargs: Any) -> Any: ...
    def get_login_profile(self, *args: Any, **kwargs: Any) -> Any: ...
    def list_mfa_devices(self, *args: Any, **kwargs: Any) -> Any: ...
    def list_groups_for_user(self, *args: Any, **kwargs: Any) -> Any: ...
    def list_access_keys(self, *args: Any, **kwargs: Any) -> Any: ...
    def get_access_key_last_used(self, *args: Any, **kwargs: Any) -> Any: ...
    def get_role(self, *args: Any, **kwargs: Any) -> Any: ...
    def list_virtual_mfa_devices(self, *args: Any, **kwargs: Any) -> Any: ...


@dataclass(frozen=True, kw_only=True, slots=True)
class LockoutScope:
    """Whom Force-MFA holds (``MfaRequired`` and the configured groups, the configured roles)
    and how recent a use of an access key or role must be to count: the inputs of the question
    "who would be locked out if ``enforce`` were on today?"."""

    group_names: tuple[str, ...] = (MFA_REQUIRED_GROUP,)
    role_names: tuple[str, ...] = ()
    recent_days: int = 90
    now: datetime | None = None  # None: the time of the check

    def recent(self, when: Any) -> bool:
        if not isinstance(when, datetime):
            return False
        now = self.now or datetime.now(UTC)
        moment = when if when.tzinfo else when.replace(tzinfo=UTC)
        return now - moment <= timedelta(days=self.recent_days)


@dataclass(frozen=True, slots=True)
class Clients:
    """The API clients a readiness evaluation reads from (boto3 clients, or test doubles)."""

    account: AccountApi
    iam: IamApi

    @classmethod
    def from_session(cls, session: Any = None, region: str | None = None) -> Clients:
        """Clients from a boto3 Session (default: a new one). IAM and Account are global
        services; ``region`` only picks the endpoint, defaulting to us-east-1 when unset."""
        if session is None:
            import boto3

            session = boto3.Session()
        region = region or session.region_name or "us-east-1"
        return cls(
            account=session.client("account", region_name=region),
            iam=session.client("iam", region_name=region),
        )


def worst(statuses: Iterable[Status]) -> Status:
    """The aggregate status: NON_COMPLIANT > INSUFFICIENT_DATA > COMPLIANT > NOT_APPLICABLE."""
    return max(statuses, key=_RANK.__getitem__, default=Status.NOT_APPLICABLE)


# ---------------------------------------------------------------------------------------------
# Contact phone
# ---------------------------------------------------------------------------------------------


def normalise_phone(phone: str) -> str:
    """``phone`` without whitespace, dashes, parentheses and dots (AWS accepts all of them)."""
    return _SEPARATORS.sub("", phone)


def mask_phone(phone: str) -> str:
    """The number as written, with all but its first three and last two digits hidden: enough to
    recognise it and see its format, not enough to leak it through annotations and reports."""
    total = sum(ch.isdigit() for ch in phone)
    seen = 0
    out = []
    for ch in phone:
        if ch.isdigit():
            out.append(ch if seen < 3 or seen >= total - 2 else "*")
            seen += 1
        else:
            out.append(ch)
    return "".join(out)


def _diagnose_phone(number: str) -> Any:
    """The shared phone diagnosis (constructs_lib/alerting/runtime/phone.py, copied into this
    Lambda asset with ``phonenumbers``), imported on first use."""
    if __package__:
        from constructs_lib.alerting.runtime.phone import diagnose
    else:  # pragma: no cover - in Lambda the runtime folder is the code root
        from phone import diagnose  # type: ignore[import-not-found,no-redef]
    return diagnose(number)


def check_phone(phone: str | None, *, subject: str = "account") -> Finding:
    """Is ``phone`` (the primary contact phone) a full E.164 number AWS's recovery call reaches,
    and a valid number for its country (``phonenumbers``)?"""

    def bad(fix: str, headline: str) -> Finding:
        return Finding(
            check="contact-phone",
            subject=subject,
            status=Status.NON_COMPLIANT,
            fix=fix,
            headline=headline,
        )

    where = "Account > Contact information (aws account put-contact-information)"
    raw = (phone or "").strip()
    if not raw:
        return bad(
            f"no primary contact phone: set one in {where} in E.164 form, e.g. {_EXAMPLE}",
            "set a contact phone",
        )
    number = normalise_phone(raw)
    shown = mask_phone(raw)
    digits = number.removeprefix("+")
    stray = "".join(sorted({ch for ch in digits if ch not in "0123456789"}))
    # (fails, fix, headline), in order: the first that fails is the one to fix first.
    rules = (
        (
            number.startswith("00") and not stray,
            f"contact phone {shown} starts with the 00 international prefix: replace 00 with "
            f"+, e.g. {_EXAMPLE}, in {where}",
            "phone: replace 00 with +",
        ),
        (
            not number.startswith("+"),
            f'contact phone {shown} lacks its "+" country code, so the automated recovery call '
            f"cannot reach it: write + then the country code then the number, e.g. {_EXAMPLE}, "
            f"in {where}",
            "phone lacks + country code",
        ),
        (
            bool(stray),
            f"contact phone {shown} has {stray!r} after the +: keep digits only (no extension "
            f"or letters), e.g. {_EXAMPLE}, in {where}",
            "phone: digits only after +",
        ),
        (
            digits.startswith("0"),
            f"contact phone {shown} has 0 right after the +, but no country code starts with "
            f"0: put the country code after + and drop the national trunk 0 (+44 20…, not "
            f"+020…), in {where}",
            "phone: country code after +",
        ),
        (
            len(digits) > MAX_E164_DIGITS,
            f"contact phone {shown} has {len(digits)} digits; E.164 allows at most "
            f"{MAX_E164_DIGITS} (country code included): remove the national trunk 0 after the "
            f"country code or any extra digits, in {where}",
            f"phone: {len(digits)} digits, max {MAX_E164_DIGITS}",
        ),
        (
            len(digits) < MIN_PHONE_DIGITS,
            f"contact phone {shown} has only {len(digits)} digits: write the full international "
            f"number, e.g. {_EXAMPLE}, in {where}",
            "phone: number too short",
        ),
    )
    for fails, fix, headline in rules:
        if fails:
            return bad(fix, headline)
    found = _diagnose_phone(number)
    if found is not None and found.problem == "invalid":
        return bad(
            f"contact phone {shown} is not a valid number for +{found.country_code} "
            f"({found.region}), so the recovery call cannot reach it: check its length and "
            f"area code, in {where}",
            f"phone: invalid for +{found.country_code}",
        )
    if found is not None and found.problem == "trunk-prefix":
        return bad(
            f"contact phone {shown} keeps the national trunk prefix {found.trunk_prefix} after "
            f"+{found.country_code}: drop it ({mask_phone(found.international)}), in {where}",
            "phone: drop trunk prefix",
        )
    if found is not None:  # unparsable
        return bad(
            f"contact phone {shown} is not a number the recovery call can reach "
            f"({found.detail}), in {where}",
            "phone: not a number",
        )
    return Finding(
        check="contact-phone",
        subject=subject,
        status=Status.COMPLIANT,
        fix=f"contact phone {shown} is in E.164 form",
        headline="contact phone ok",
    )


# ---------------------------------------------------------------------------------------------
# API calls: denied or failed calls become INSUFFICIENT_DATA findings, not exceptions
# ---------------------------------------------------------------------------------------------


def error_code(error: BaseException) -> str | None:
    """The AWS error code of a botocore ClientError (or a double with the same ``response``)."""
    response = getattr(error, "response", None)
    if not isinstance(response, Mapping):
        return None
    details = response.get("Error")
    code = details.get("Code") if isinstance(details, Mapping) else None
    return str(code) if code else None


def unreadable(
    check: str,
    subject: str,
    permission: str,
    code: str,
    *,
    resource_type: str = ACCOUNT_RESOURCE_TYPE,
    resource_id: str | None = None,
) -> Finding:
    if code in _DENIED:
        fix = f"cannot check: needs {permission} (the call was denied; grant it, or check SCPs)"
        headline = f"needs {permission}"
    else:
        api = permission.split(":", 1)[1]
        fix = f"cannot check: {api} failed with {code}; run the check again later"
        headline = f"{api} failed: {code}"
    return Finding(
        check=check,
        subject=subject,
        status=Status.INSUFFICIENT_DATA,
        fix=fix,
        headline=headline,
        resource_type=resource_type,
        resource_id=resource_id,
    )


def _account_subject(account_id: str | None) -> str:
    return f"account {account_id}" if account_id else "account"


def check_contact_phone(account: AccountApi, account_id: str | None = None) -> Finding:
    """account:GetContactInformation, then :func:`check_phone` on its PhoneNumber."""
    subject = _account_subject(account_id)
    try:
        response = account.get_contact_information(
            **({"AccountId": account_id} if account_id else {})
        )
    except Exception as error:
        code = error_code(error)
        if code is None:
            raise
        if code == "ResourceNotFoundException":
            return check_phone(None, subject=subject)
        return unreadable("contact-phone", subject, "account:GetContactInformation", code)
    return check_phone(response.get("ContactInformation", {}).get("PhoneNumber"), subject=subject)


def check_alternate_contact(
    account: AccountApi, contact_type: str, account_id: str | None = None
) -> Finding:
    """Does the ``contact_type`` (SECURITY, OPERATIONS) alternate contact exist? AWS answers
    ResourceNotFoundException when it does not: that is a finding, not an error."""
    check = f"{contact_type.lower()}-contact"
    subject = _account_subject(account_id)
    try:
        account.get_alternate_contact(
            AlternateContactType=contact_type, **({"AccountId": account_id} if account_id else {})
        )
    except Exception as error:
        code = error_code(error)
        if code is None:
            raise
        if code == "ResourceNotFoundException":
            return Finding(
                check=check,
                subject=subject,
                status=Status.NON_COMPLIANT,
                fix=f"no {contact_type} alternate contact: add one in Account > Alternate "
                f"contacts (aws account put-alternate-contact --alternate-contact-type "
                f"{contact_type}) so AWS can reach the right team",
                headline=f"add {contact_type} contact",
            )
        return unreadable(check, subject, "account:GetAlternateContact", code)
    return Finding(
        check=check,
        subject=subject,
        status=Status.COMPLIANT,
        fix=f"{contact_type} alternate contact is set",
        headline=f"{contact_type} contact ok",
    )


def _email_problem(address: str, domains: tuple[str, ...]) -> str | None:
    """The shared e-mail verdict (constructs_lib/alerting/runtime/phone.py, copied into this
    Lambda asset), imported on first use."""
    if __package__:
        from constructs_lib.alerting.runtime.phone import email_domain_problem
    else:  # pragma: no cover - in Lambda the runtime folder is the code root
        from phone import email_domain_problem  # type: ignore[import-not-found,no-redef,unused-ignore]
    return email_domain_problem(address, domains)


def check_primary_email(
    account: AccountApi, account_id: str, domains: tuple[str, ...]
) -> Finding:
    """account:GetPrimaryEmail of a member (from the management or delegated-admin account): the
    first recovery factor. A departed employee's mailbox is how accounts are lost."""
    subject = _account_subject(account_id)
    try:
        address = str(account.get_primary_email(AccountId=account_id)["PrimaryEmail"])
    except Exception as error:
        code = error_code(error)
        if code is None:
            raise
        return unreadable("primary-email", subject, "account:GetPrimaryEmail", code)
    problem = _email_problem(address, domains)
    if problem:
        return Finding(
            check="primary-email", subject=subject, status=Status.NON_COMPLIANT,
            fix=f"root recovery mail goes to {address}: {problem}. Move it to a distribution "
            "list on a domain you control (aws account start-primary-email-update), so losing "
            "one person's mailbox does not lose the account",
            headline="recovery e-mail outside",
        )  # fmt: skip
    return Finding(check="primary-email", subject=subject, status=Status.COMPLIANT,
                   fix=f"root recovery mail goes to {address}, a domain of yours",
                   headline="recovery e-mail ok")  # fmt: skip


def _account_summary(iam: IamApi, check: str, subject: str) -> dict[str, Any] | Finding:
    """iam:GetAccountSummary's map, or the finding that says it could not be read."""
    try:
        summary: dict[str, Any] = iam.get_account_summary().get("SummaryMap", {})
    except Exception as error:
        code = error_code(error)
        if code is None:
            raise
        return unreadable(check, subject, "iam:GetAccountSummary", code)
    return summary


def check_root_mfa(iam: IamApi) -> Finding:
    """Root has MFA (AccountMFAEnabled), or has neither password nor access keys (centralized
    root access removed them: root cannot sign in, so there is nothing to protect)."""
    subject = "root user"
    summary = _account_summary(iam, "root-mfa", subject)
    if isinstance(summary, Finding):
        return summary
    if summary.get("AccountMFAEnabled") == 1:
        return Finding(
            check="root-mfa",
            subject=subject,
            status=Status.COMPLIANT,
            fix="root user has MFA enabled",
            headline="root MFA ok",
        )
    # A missing key counts as present: absence of evidence must not pass the check.
    password = summary.get("AccountPasswordPresent", 1)
    keys = summary.get("AccountAccessKeysPresent", 1)
    if password == 0 and keys == 0:
        return Finding(
            check="root-mfa",
            subject=subject,
            status=Status.COMPLIANT,
            fix="root user has no password and no access keys (centralized root access): "
            "nothing to protect with MFA",
            headline="no root credentials",
        )
    fix = (
        "root user has no MFA: sign in as root and register an MFA device, then a second one "
        f"(up to {MAX_MFA_DEVICES}) so losing one does not lock you out; or remove root "
        "credentials with centralized root access"
    )
    if keys == 1:
        fix += "; also delete the root access keys"
    return Finding(
        check="root-mfa",
        subject=subject,
        status=Status.NON_COMPLIANT,
        fix=fix,
        headline="enable root MFA",
    )


def check_root_recovery_path(iam: IamApi, *, centralized: bool, account_id: str) -> Finding:
    """How this member's root recovers, and whether centralized root access is used as meant:
    with it on, a member root holding a password, keys or an MFA device is a credential nobody
    needs (the management account acts through sts:AssumeRoot); with it off, only the owner
    recovers, with the root e-mail and the contact phone."""
    subject = "root user"
    if not centralized:
        return Finding(
            check="root-recovery", subject=subject, status=Status.COMPLIANT,
            fix="recovery path: the owner only, with the root e-mail and then the contact phone "
            "(alternative factors); centralized root access is off in this organization",
            headline="owner recovers root",
        )  # fmt: skip
    summary = _account_summary(iam, "root-recovery", subject)
    if isinstance(summary, Finding):
        return summary
    held = [name for key, name in (("AccountPasswordPresent", "a password"),
                                   ("AccountAccessKeysPresent", "access keys"),
                                   ("AccountMFAEnabled", "an MFA device"))
            if summary.get(key, 1) != 0]  # fmt: skip
    if held:
        return Finding(
            check="root-recovery", subject=subject, status=Status.NON_COMPLIANT,
            fix=f"centralized root access is on, yet root still holds {', '.join(held)}: delete "
            f"them from the management account (mfa-guardrails recover root --account-id "
            f"{account_id} --delete-credentials); recovery is then sts:AssumeRoot's",
            headline="delete root credentials",
        )  # fmt: skip
    return Finding(
        check="root-recovery", subject=subject, status=Status.COMPLIANT,
        fix="recovery path: centralized (sts:AssumeRoot from the management account); root holds "
        "no credentials",
        headline="centralized root recovery",
    )  # fmt: skip


def check_root_hardware_mfa(iam: IamApi) -> Finding:
    """Root's MFA is not a virtual device (Security Hub IAM.6, the managed rule
    ROOT_ACCOUNT_HARDWARE_MFA_ENABLED): a virtual root device is listed among the account's
    assigned virtual devices, with the root user's ARN."""
    subject = "root user"
    devices: list[Any] = []
    kwargs: dict[str, Any] = {"AssignmentStatus": "Assigned"}
    try:
        while True:
            page = iam.list_virtual_mfa_devices(**kwargs)
            devices += page.get("VirtualMFADevices", [])
            if not page.get("IsTruncated"):
                break
            kwargs["Marker"] = page["Marker"]
    except Exception as error:
        code = error_code(error)
        if code is None:
            raise
        return unreadable("root-hardware-mfa", subject, "iam:ListVirtualMFADevices", code)
    if any(str(d.get("User", {}).get("Arn", "")).endswith(":root") for d in devices):
        return Finding(
            check="root-hardware-mfa", subject=subject, status=Status.NON_COMPLIANT,
            fix="root user's MFA is a virtual device (an app on a phone): register a hardware "
            "device or a security key as root, then remove the virtual one (require-hardware-"
            "root-mfa)",
            headline="root MFA is virtual",
        )  # fmt: skip
    return Finding(check="root-hardware-mfa", subject=subject, status=Status.COMPLIANT,
                   fix="root user has no virtual MFA device", headline="root MFA not virtual")


def check_user(iam: IamApi, user: Mapping[str, Any]) -> Finding:
    """One IAM user: console password (GetLoginProfile; NoSuchEntity = none) and MFA devices."""
    name = str(user.get("UserName", "?"))
    subject = f"user {name}"
    ids = {"resource_type": USER_RESOURCE_TYPE, "resource_id": str(user.get("UserId") or name)}
    try:
        iam.get_login_profile(UserName=name)
    except Exception as error:
        code = error_code(error)
        if code is None:
            raise
        if code == "NoSuchEntity":
            return Finding(
                check="user-mfa",
                subject=subject,
                status=Status.NOT_APPLICABLE,
                fix="no console password: console MFA does not apply",
                headline=f"{name}: no console",
                **ids,
            )
        return unreadable("user-mfa", subject, "iam:GetLoginProfile", code, **ids)
    try:
        devices = iam.list_mfa_devices(UserName=name).get("MFADevices", [])
    except Exception as error:
        code = error_code(error)
        if code is None:
            raise
        return unreadable("user-mfa", subject, "iam:ListMFADevices", code, **ids)
    if not devices:
        return Finding(
            check="user-mfa",
            subject=subject,
            status=Status.NON_COMPLIANT,
            fix=f"console password but no MFA device: {name} must register one now, then a "
            f"second (up to {MAX_MFA_DEVICES}); or delete the console password if unused",
            headline=f"{name}: no MFA",
            **ids,
        )
    if len(devices) == 1:
        return Finding(
            check="user-mfa",
            subject=subject,
            status=Status.NON_COMPLIANT,
            fix=f"one MFA device only, a single point of failure: register a second device "
            f"(up to {MAX_MFA_DEVICES})",
            headline=f"{name}: add 2nd MFA device",
            **ids,
        )
    return Finding(
        check="user-mfa",
        subject=subject,
        status=Status.COMPLIANT,
        fix=f"{len(devices)} MFA devices",
        headline=f"{name}: MFA ok",
        **ids,
    )


def cli_devices(devices: Iterable[Mapping[str, Any]]) -> list[str]:
    """Serials of the devices ``sts:GetSessionToken`` accepts a code from (TOTP: virtual or
    hardware); FIDO security keys and passkeys (``:u2f/`` serials) work in the console only."""
    return [str(d.get("SerialNumber", "")) for d in devices
            if FIDO_SERIAL_MARKER not in str(d.get("SerialNumber", ""))]  # fmt: skip


def _lockout(subject: str, status: Status, fix: str, headline: str) -> Finding:
    return Finding(check="cli-lockout", subject=subject, status=status, fix=fix,
                   headline=headline)  # fmt: skip


def _last_key_use(iam: IamApi, name: str) -> datetime | None:
    """When any active access key of ``name`` was last used (None: never, or no key)."""
    last: datetime | None = None
    for key in iam.list_access_keys(UserName=name).get("AccessKeyMetadata", []):
        if key.get("Status") != "Active":
            continue
        used = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
        when = used.get("AccessKeyLastUsed", {}).get("LastUsedDate")
        if isinstance(when, datetime) and (last is None or when > last):
            last = when
    return last


def check_user_lockout(iam: IamApi, user: Mapping[str, Any], scope: LockoutScope) -> Finding | None:
    """Would ``enforce`` lock this user out of the CLI? None when Force-MFA does not hold it.

    Force-MFA denies every call without MFA but the bootstrap set; from the CLI the only way to
    MFA is ``sts:GetSessionToken`` with a TOTP code. So a user in a Force-MFA group whose access
    key was used within ``scope.recent_days`` and who has no TOTP device is locked out; without
    recent key use the console (where any device, FIDO included, works) is all they need.
    """
    name = str(user.get("UserName", "?"))
    subject = f"user {name}"
    step = "iam:ListGroupsForUser"
    try:
        groups = {g.get("GroupName") for g in
                  iam.list_groups_for_user(UserName=name).get("Groups", [])}  # fmt: skip
        held = sorted(groups & set(scope.group_names))
        if not held:
            return None
        step = "iam:ListAccessKeys"
        last_use = _last_key_use(iam, name)
        step = "iam:ListMFADevices"
        devices = iam.list_mfa_devices(UserName=name).get("MFADevices", [])
    except Exception as error:
        code = error_code(error)
        if code is None:
            raise
        return unreadable("cli-lockout", subject, step, code)
    usable = cli_devices(devices)
    used = f"an access key used {last_use.date().isoformat()}" if last_use else ""
    if not scope.recent(last_use):
        return _lockout(subject, Status.COMPLIANT,
                        f"in {', '.join(held)}, no access key used in {scope.recent_days} days: "
                        "the console (any MFA device) is all this user needs",
                        f"{name}: console only")  # fmt: skip
    if usable:
        return _lockout(subject, Status.COMPLIANT,
                        f"{used}; can get an MFA session from the CLI with {usable[0]}",
                        f"{name}: CLI MFA ok")  # fmt: skip
    why = ("only security keys or passkeys, which the CLI cannot use" if devices
           else "no MFA device")  # fmt: skip
    return _lockout(
        subject, Status.NON_COMPLIANT,
        f"would be locked out of the CLI under enforce: in {', '.join(held)}, {used}, and "
        f"{why}. Register a virtual or hardware TOTP device (aws iam "
        "create-virtual-mfa-device, then enable-mfa-device) and call aws sts get-session-token "
        "--serial-number ARN --token-code CODE; or move the workload to a role",
        f"{name}: locked out of CLI",
    )  # fmt: skip


def check_role_lockout(iam: IamApi, role_name: str, scope: LockoutScope) -> Finding:
    """A configured role (attach-to-role-names) used recently: under ``enforce`` every session
    of it assumed without MFA is denied, so its callers must assume it with MFA first."""
    subject = f"role {role_name}"
    try:
        role = iam.get_role(RoleName=role_name).get("Role", {})
    except Exception as error:
        code = error_code(error)
        if code is None:
            raise
        if code == "NoSuchEntity":
            return _lockout(subject, Status.NOT_APPLICABLE,
                            "not in this account: nothing to lock out", f"{role_name}: absent")
        return unreadable("cli-lockout", subject, "iam:GetRole", code)
    last = role.get("RoleLastUsed", {}).get("LastUsedDate")
    if not scope.recent(last):
        return _lockout(subject, Status.COMPLIANT,
                        f"not used in {scope.recent_days} days: nobody to lock out",
                        f"{role_name}: unused")  # fmt: skip
    return _lockout(
        subject, Status.NON_COMPLIANT,
        f"used {last.date().isoformat()}; under enforce every session of it assumed without "
        "MFA is denied: make its callers assume it with MFA (aws sts assume-role "
        "--serial-number ARN --token-code CODE, or mfa_serial in the CLI profile), or remove it "
        "from attach-to-role-names",
        f"{role_name}: callers need MFA",
    )  # fmt: skip


def check_users(iam: IamApi, lockout: LockoutScope | None = None) -> list[Finding]:
    """:func:`check_user` for every IAM user (iam:ListUsers, following its Marker), and with a
    ``lockout`` scope :func:`check_user_lockout` too."""
    findings: list[Finding] = []
    kwargs: dict[str, Any] = {}
    while True:
        try:
            page = iam.list_users(**kwargs)
        except Exception as error:
            code = error_code(error)
            if code is None:
                raise
            findings.append(unreadable("user-mfa", "IAM users", "iam:ListUsers", code))
            return findings
        for user in page.get("Users", []):
            findings.append(check_user(iam, user))
            if lockout is not None and (held := check_user_lockout(iam, user, lockout)):
                findings.append(held)
        if not page.get("IsTruncated"):
            return findings
        kwargs = {"Marker": page["Marker"]}


def evaluate_account(
    clients: Clients,
    account_id: str | None = None,
    *,
    require_operations_contact: bool = False,
    require_hardware_root_mfa: bool = False,
    lockout: LockoutScope | None = None,
    recovery_email_domains: tuple[str, ...] | None = None,
) -> list[Finding]:
    """Every readiness finding for one account.

    ``account_id=None`` evaluates the account of the clients' credentials: contact checks, root
    and IAM users. A member ``account_id`` (organization topology: the security or
    delegated-admin account checking each member) is passed through to the Account API
    (``account:GetContactInformation --account-id``), and only the contact checks run: the IAM
    checks would need a role in the member account (the organization report assumes the
    readiness reader role there and passes None). Do not pass the caller's own id: the Account
    API rejects the management account's own ``AccountId``. ``lockout`` adds who would be
    locked out under ``enforce`` (users and configured roles); ``require_hardware_root_mfa`` a
    root MFA that is only a virtual device; ``recovery_email_domains`` (a member only: AWS reads
    a primary e-mail from the management or delegated-admin account) the root e-mail's domain.
    """
    findings = [
        check_contact_phone(clients.account, account_id),
        check_alternate_contact(clients.account, "SECURITY", account_id),
    ]
    if require_operations_contact:
        findings.append(check_alternate_contact(clients.account, "OPERATIONS", account_id))
    if account_id is not None and recovery_email_domains is not None:
        findings.append(check_primary_email(clients.account, account_id, recovery_email_domains))
    if account_id is None:
        findings.append(check_root_mfa(clients.iam))
        if require_hardware_root_mfa:
            findings.append(check_root_hardware_mfa(clients.iam))
        findings.extend(check_users(clients.iam, lockout))
        if lockout is not None:
            findings.extend(check_role_lockout(clients.iam, name, lockout)
                            for name in lockout.role_names)  # fmt: skip
    return findings
