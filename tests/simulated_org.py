"""A simulated organization in moto for the organization readiness report (tests and bench).

Accounts sit in several OUs (one nested) and each has one persona: healthy, or one finding kind
of the report (locked out with no device, with security keys only, through a configured group or
a configured role; console users without MFA or with one device; stale keys; bad recovery phones;
no security contact; root without MFA or without credentials; no trail), or one way the report
itself is hindered (the reader role refuses this account, is missing, or IAM throttles).

moto serves everything but two things it lacks, which this module supplies: the Account API's
``GetContactInformation`` (a per-account table behind a double of the ``account`` client, which
also answers alternate contacts), and the ways AssumeRole and IAM fail (botocore event hooks on
the real moto clients: AccessDenied on AssumeRole, Throttling on ListUsers). Access-key and role
last-use dates, and the root user's summary, are set on moto's models.

Call :func:`build` inside ``mock_aws()``; :meth:`SimulatedOrg.session_for` wraps the report's
session factory so that clients come from moto with the doubles and hooks in place.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import ClientError
from moto.cloudtrail.models import cloudtrail_backends
from moto.config.models import config_backends
from moto.events.models import events_backends
from moto.iam.models import (
    AccessKeyLastUsed,
    AccountSummary,
    get_account_id_from,
    iam_backends,
)
from moto.s3.models import s3_backends

REGION = "us-east-1"
CONFIG_ROLE = "ConsoleUsers"  # attach-to-role-names of CONFIG
CONFIG_GROUP = "Developers"  # attach-to-group-names of CONFIG
SECURITY_ACCOUNT = "123456789012"  # moto's default account: the report runs from it
CONFIG = {
    "mfa-guardrails:topology": "organization",
    "mfa-guardrails:enforcement": "audit",
    "mfa-guardrails:home-region": REGION,
    "mfa-guardrails:management-account-id": "111111111111",
    "mfa-guardrails:security-account-id": SECURITY_ACCOUNT,
    "mfa-guardrails:organization-id": "o-a1b2c3d4e5",
    "mfa-guardrails:target-ou-ids": ["ou-ab12-workload1"],
    "mfa-guardrails:security-account-ou-id": "ou-ab12-workload1",
    "mfa-guardrails:target-regions": [REGION],
    "mfa-guardrails:notification-emails": ["secops@acme.test"],
    "mfa-guardrails:break-glass-principal-arns": ["arn:aws:iam::*:role/BreakGlassAdmin"],
    "mfa-guardrails:attach-to-group-names": [CONFIG_GROUP],
    "mfa-guardrails:attach-to-role-names": [CONFIG_ROLE],
    "mfa-guardrails:attach-to-names-exist-in-members": True,
    "mfa-guardrails:recovery-email-domains": ["acme.test"],
}
PERSONAS = (
    "healthy", "locked-out-no-device", "locked-out-security-key-only",
    "locked-out-configured-group", "configured-role-in-use", "console-without-mfa",
    "single-device", "stale-key", "not-held", "phone-trunk-prefix", "phone-without-plus",
    "phone-invalid", "no-security-contact", "root-without-mfa", "root-without-credentials",
    "no-trail", "role-denies", "role-missing", "throttled",
)  # fmt: skip
OUS = ("Workloads", "Sandbox", "Workloads/Prod")
GOOD_PHONE = "+44 20 7946 0958"
NOW = datetime.now(UTC)


@dataclass
class SimulatedOrg:
    """The accounts (id -> persona), OU paths, and the per-account Account API table."""

    personas: dict[str, str] = field(default_factory=dict)
    ou_paths: dict[str, str] = field(default_factory=dict)
    phones: dict[str, str | None] = field(default_factory=dict)
    security_contacts: dict[str, bool] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)  # account -> root e-mail
    refused: dict[str, str] = field(default_factory=dict)  # account -> AssumeRole message
    throttles: dict[str, int] = field(default_factory=dict)  # account -> ListUsers failures
    latency: float = 0.0  # seconds added to every moto call (bench)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def session_for(self, inner: Callable[[dict[str, str] | None], Any]) -> Callable[..., Any]:
        """The report's session factory, with this organization's doubles and hooks."""

        def factory(credentials: dict[str, str] | None) -> Any:
            session = inner(credentials)
            account = (SECURITY_ACCOUNT if credentials is None
                       else _account_of_key(credentials["AccessKeyId"]))  # fmt: skip
            return _Session(session, account, self)

        return factory


class _Session:
    """A boto3 Session whose ``account`` client is the table double and whose sts and iam
    clients carry the organization's failure hooks."""

    def __init__(self, session: Any, account: str, org: SimulatedOrg) -> None:
        self.session, self.account, self.org = session, account, org
        self.region_name = session.region_name

    def client(self, service: str, **kwargs: Any) -> Any:
        if service == "account":
            return _AccountApi(self.account, self.org)
        client = self.session.client(service, **kwargs)
        if self.org.latency:
            client.meta.events.register("before-send", self._delay)
        if service == "sts":
            client.meta.events.register("before-call.sts.AssumeRole", self._assume_role)
        if service == "iam" and self.account in self.org.throttles:
            client.meta.events.register("before-send.iam.ListUsers", self._throttle)
        return client

    def _delay(self, **_: Any) -> None:
        threading.Event().wait(self.org.latency)

    def _assume_role(self, params: dict[str, Any], **_: Any) -> Any:
        account = params["body"]["RoleArn"].split(":")[4]
        message = self.org.refused.get(account)
        if message is None:
            return None
        error = {"Error": {"Code": "AccessDenied", "Message": message}}
        return AWSResponse("https://sts.amazonaws.com/", 403, HTTPHeaders(), None), error

    def _throttle(self, **_: Any) -> AWSResponse | None:
        with self.org._lock:
            left = self.org.throttles.get(self.account, 0)
            if left <= 0:
                return None
            self.org.throttles[self.account] = left - 1
        body = (b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate "
                b"exceeded</Message></Error></ErrorResponse>")  # fmt: skip
        response = AWSResponse("https://iam.amazonaws.com/", 400, HTTPHeaders(), None)
        response._content = body  # type: ignore[attr-defined]
        return response


class _AccountApi:
    """The Account API calls the readiness checks make, from the organization's table."""

    def __init__(self, account: str, org: SimulatedOrg) -> None:
        self.account, self.org = account, org

    def get_contact_information(self, **_: Any) -> dict[str, Any]:
        phone = self.org.phones.get(self.account, GOOD_PHONE)
        return {"ContactInformation": {"PhoneNumber": phone} if phone else {}}

    def get_primary_email(self, **request: Any) -> dict[str, Any]:
        """A member's root e-mail, as the management account (the report's, in moto) reads it."""
        account = request["AccountId"]
        return {"PrimaryEmail": self.org.emails.get(account, f"aws+{account}@acme.test")}

    def get_alternate_contact(self, **request: Any) -> dict[str, Any]:
        kind = request["AlternateContactType"]
        if kind == "SECURITY" and self.org.security_contacts.get(self.account, True):
            return {"AlternateContact": {"AlternateContactType": "SECURITY",
                                         "EmailAddress": "security@acme.test"}}  # fmt: skip
        raise ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": "none"}},
                          "GetAlternateContact")  # fmt: skip


def _account_of_key(access_key: str) -> str:
    """The account moto issued an assumed role's access key for."""
    account: str = get_account_id_from(access_key)
    return account


# ---------------------------------------------------------------------------------------------
# Building it
# ---------------------------------------------------------------------------------------------


def _root_summary_with_password() -> None:
    """moto's GetAccountSummary lacks AccountPasswordPresent: serve it from the model."""
    original = vars(AccountSummary)["summary_map"].fget
    if getattr(original, "simulated", False):
        return

    def summary_map(self: Any) -> dict[str, Any]:
        return {**original(self), "AccountPasswordPresent": getattr(self, "_password", 1)}

    summary_map.simulated = True  # type: ignore[attr-defined]
    AccountSummary.summary_map = property(summary_map)


def _root(account: str, *, mfa: bool, password: bool = True) -> None:
    summary: Any = iam_backends[account]["aws"].account_summary
    summary._account_mfa_enabled = int(mfa)
    summary._account_access_keys_present = 0
    summary._password = int(password)


def _user(account: str, name: str, *, groups: tuple[str, ...] = (), console: bool = False,
          devices: tuple[str, ...] = (), key_used_days_ago: int | None = None) -> None:
    """A user; ``devices``: "virtual" or "fido" each; a key last used that many days ago."""
    iam = iam_backends[account]["aws"]
    iam.create_user(REGION, name)
    for group in groups:
        iam.create_group(group)  # one user a group: every account has one persona
        iam.add_user_to_group(group, name)
    if console:
        iam.create_login_profile(name, "Correct-Horse-Battery-9")
    for index, kind in enumerate(devices):
        serial = (f"arn:aws:iam::{account}:u2f/user/{name}/key-{index}" if kind == "fido"
                  else f"arn:aws:iam::{account}:mfa/{name}-{index}")  # fmt: skip
        iam.enable_mfa_device(name, serial, "123456", "654321")
    if key_used_days_ago is not None:
        key = iam.create_access_key(name)
        key.last_used = AccessKeyLastUsed(timestamp=NOW - timedelta(days=key_used_days_ago),
                                          service="s3", region=REGION)  # fmt: skip


def _alert_path(account: str, *, trail: bool) -> None:
    """A logging multi-region trail, a recording recorder and one forwarding rule."""
    if trail:
        bucket = f"trail-{account}"
        s3_backends[account]["aws"].create_bucket(bucket, REGION)
        cloudtrail = cloudtrail_backends[account][REGION]
        cloudtrail.create_trail("org-trail", bucket, "", "", False, True, False, False, "", "",
                                "", [])  # fmt: skip
        cloudtrail.start_logging("org-trail")
    config = config_backends[account][REGION]
    config.put_configuration_recorder({
        "name": "default", "roleARN": f"arn:aws:iam::{account}:role/config",
        "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True}})  # fmt: skip
    config.put_delivery_channel({"name": "default", "s3BucketName": "config"})
    config.start_configuration_recorder("default")
    events_backends[account][REGION].put_rule(
        "mfa-guardrails-forward-mfa-removed", event_pattern='{"source": ["aws.iam"]}')


def _persona(org: SimulatedOrg, account: str, persona: str) -> None:
    """Written straight into moto's models (the report under test goes through boto3): a wire
    call costs ~8 ms, and the organization has hundreds of them."""
    _root(account, mfa=persona not in {"root-without-mfa", "root-without-credentials"},
          password=persona != "root-without-credentials")  # fmt: skip
    _alert_path(account, trail=persona != "no-trail")
    users = {
        # A safe administrator: console, a TOTP device and a security key, a key used yesterday.
        "healthy": {"name": "alice", "groups": ("MfaRequired",), "console": True,
                    "devices": ("virtual", "fido"), "key_used_days_ago": 1},
        "locked-out-no-device": {"name": "bob", "groups": ("MfaRequired",),
                                 "key_used_days_ago": 3},
        "locked-out-security-key-only": {"name": "carol", "groups": ("MfaRequired",),
                                         "console": True, "devices": ("fido", "fido"),
                                         "key_used_days_ago": 10},
        "locked-out-configured-group": {"name": "gina", "groups": (CONFIG_GROUP,),
                                        "key_used_days_ago": 30},
        "console-without-mfa": {"name": "dave", "groups": ("MfaRequired",), "console": True},
        "single-device": {"name": "erin", "groups": ("MfaRequired",), "console": True,
                          "devices": ("virtual",)},
        "stale-key": {"name": "frank", "groups": ("MfaRequired",), "key_used_days_ago": 200},
        "not-held": {"name": "harry", "key_used_days_ago": 2},
    }  # fmt: skip
    if persona in users:
        spec = dict(users[persona])
        _user(account, str(spec.pop("name")), **spec)  # type: ignore[arg-type]
    if persona == "configured-role-in-use":
        role = iam_backends[account]["aws"].create_role(CONFIG_ROLE, "{}", "/", None, "", [],
                                                        None)  # fmt: skip
        role.last_used = NOW - timedelta(days=5)
    org.phones[account] = {"phone-trunk-prefix": "+44 (0)20 7946 0958",
                           "phone-without-plus": "020 7946 0958",
                           "phone-invalid": "+1 415 555"}.get(persona, GOOD_PHONE)  # fmt: skip
    org.security_contacts[account] = persona != "no-security-contact"
    if persona == "no-security-contact":  # the account of someone who left, on a free mailbox
        org.emails[account] = "former.admin@gmail.com"
    if persona == "role-denies":
        org.refused[account] = (f"User: arn:aws:sts::{SECURITY_ACCOUNT}:assumed-role/x/y is not "
                                "authorized to perform: sts:AssumeRole")  # fmt: skip
    elif persona == "role-missing":
        org.refused[account] = "Role mfa-guardrails-readiness-reader does not exist"
    elif persona == "throttled":
        org.throttles[account] = 2


@contextmanager
def no_real_waits() -> Iterator[None]:
    """botocore's waits after the simulated throttling cost real seconds and prove nothing here:
    the backoff sleep between retries, and the adaptive rate limiter's wait for a token once it has
    slowed the client down (its token bucket waits on a condition, not on ``time.sleep``). The
    retries themselves, and the limiter's rate, still happen."""
    from unittest import mock

    with mock.patch("botocore.endpoint.time.sleep"), \
            mock.patch("botocore.retries.bucket.TokenBucket._sleep_amount", return_value=0):
        yield


def build(accounts: int = 57) -> SimulatedOrg:
    """An organization of ``accounts`` member accounts cycling through :data:`PERSONAS`, spread
    over :data:`OUS` (the report account itself is the organization's management account in
    moto, outside every OU)."""
    _root_summary_with_password()
    org = SimulatedOrg()
    organizations = boto3.client("organizations", region_name=REGION)
    organizations.create_organization(FeatureSet="ALL")
    root = organizations.list_roots()["Roots"][0]["Id"]
    ou_ids: dict[str, str] = {}
    for path in OUS:
        parent_path, _, name = path.rpartition("/")
        parent = ou_ids[parent_path] if parent_path else root
        ou_ids[path] = organizations.create_organizational_unit(
            ParentId=parent, Name=name)["OrganizationalUnit"]["Id"]  # fmt: skip
    # The report's own account (moto's management account, under the root) is healthy.
    _persona(org, SECURITY_ACCOUNT, "healthy")
    org.personas[SECURITY_ACCOUNT], org.ou_paths[SECURITY_ACCOUNT] = "healthy", "Root"
    for index in range(accounts):
        persona = PERSONAS[index % len(PERSONAS)]
        status = organizations.create_account(AccountName=f"{persona}-{index:03d}",
                                              Email=f"aws+{index}@acme.test")  # fmt: skip
        account = status["CreateAccountStatus"]["AccountId"]
        path = OUS[index % len(OUS)]
        organizations.move_account(AccountId=account, SourceParentId=root,
                                   DestinationParentId=ou_ids[path])  # fmt: skip
        _persona(org, account, persona)
        org.personas[account] = persona
        org.ou_paths[account] = f"Root/{path}"
    return org
