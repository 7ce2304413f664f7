"""Recovering from a lost or stolen MFA device, as a plan of AWS calls and a resumable record.

AWS's guidance shapes every step: an IAM user who lost a device cannot recover alone, an
administrator deactivates it and the user enrols a new one (a virtual device's entity is deleted
first, so a new one of the same name can be created); a stolen device means the password changes
too, the access keys stop and sessions already issued are revoked; users can hold up to eight
devices, so two should be registered. A member account's root, under centralized root access, is
recovered from the management account with ``sts:AssumeRoot`` and AWS's task policies.

A plan is a list of :class:`Step`: the call, the account, the resource and why. A
:class:`Record` holds the plan with each step's state, who ran it and when, and is written after
every step, so a run that failed half-way is resumed by the next ``--apply`` from the step that
failed, never re-planned over a half-changed user.
"""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from constructs_lib.naming import MFA_REQUIRED_GROUP

# AWS's pattern for revoking the sessions issued before a moment (the IAM console's "Revoke
# active sessions" writes the same policy): a deny on everything for older tokens.
REVOKE_POLICY_NAME = "AWSRevokeOlderSessions"
# AWS's task policies for sts:AssumeRoot (IAM User Guide, "Perform a privileged task on an AWS
# Organizations member account"); a session lasts at most 900 seconds and must be requested
# from a regional STS endpoint.
ROOT_TASK_POLICY = "arn:aws:iam::aws:policy/root-task/{}"
AUDIT_ROOT = "IAMAuditRootUserCredentials"
DELETE_ROOT_CREDENTIALS = "IAMDeleteRootUserCredentials"
CREATE_ROOT_PASSWORD = "IAMCreateRootUserPassword"
ROOT_SESSION_SECONDS = 900
RECOMMENDED_DEVICES = 2
PENDING, DONE, FAILED = "pending", "done", "failed"
# What a step's call raises when its change is already in place (a resumed run after a crash
# between the call and the record): the step is done, not failed.
ALREADY_DONE_ERRORS = frozenset({"NoSuchEntity", "EntityAlreadyExists"})


class RecoveryError(Exception):
    """Input or state that makes a recovery impossible or pointless; the message says why."""


@dataclass(frozen=True)
class Step:
    """One AWS call of a recovery: ``action`` is the IAM action an SCP evaluates it as."""

    key: str  # stable within a record: resuming matches steps by it
    action: str
    resource: str
    account: str
    why: str
    params: Mapping[str, Any] = field(default_factory=dict)
    status: str = PENDING
    error: str | None = None
    finished: str | None = None


@dataclass
class Record:
    """A recovery: who, what, when, the plan and what became of each step."""

    id: str
    kind: str  # "user" or "root"
    account: str
    subject: str  # the user name, or "root"
    who: str
    created: str
    before: Mapping[str, Any]
    steps: list[Step]
    status: str = "planned"  # planned, applying, applied, failed, verified
    after: Mapping[str, Any] | None = None
    updated: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Record:
        raw = json.loads(text)
        raw["steps"] = [Step(**step) for step in raw["steps"]]
        return cls(**raw)

    @property
    def open(self) -> bool:
        return self.status in {"planned", "applying", "failed"}


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_id(kind: str, account: str, subject: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{kind}-{account}-{subject}-{stamp}"


class RecordStore:
    """Records as JSON files in one directory (``recoveries/`` by default): one per recovery."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, record: Record) -> Path:
        return self.directory / f"{record.id}.json"

    def save(self, record: Record) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        record.updated = now()
        path = self.path(record)
        path.write_text(record.to_json() + "\n")
        return path

    def _records(self, kind: str, account: str, subject: str) -> list[Record]:
        """This subject's recoveries, oldest first (their ids end with the time)."""
        if not self.directory.is_dir():
            return []
        found = [Record.from_json(p.read_text()) for p in sorted(self.directory.glob("*.json"))]
        return [r for r in found if (r.kind, r.account, r.subject) == (kind, account, subject)]

    def open_record(self, kind: str, account: str, subject: str) -> Record | None:
        """The latest recovery of this subject that did not finish, if any."""
        unfinished = [r for r in self._records(kind, account, subject) if r.open]
        return unfinished[-1] if unfinished else None

    def latest(self, kind: str, account: str, subject: str) -> Record | None:
        records = self._records(kind, account, subject)
        return records[-1] if records else None


# ---------------------------------------------------------------------------------------------
# Who may run a recovery under the SCPs
# ---------------------------------------------------------------------------------------------


def principal_arn(caller_arn: str, role_path: str | None = None) -> str:
    """The ARN an SCP's ``aws:PrincipalArn`` sees: an assumed-role session's role, with its path
    (``GetCallerIdentity`` omits it; ``iam:GetRole`` gives it)."""
    if ":assumed-role/" not in caller_arn:
        return caller_arn
    head, _, rest = caller_arn.partition(":assumed-role/")
    role = rest.split("/", 1)[0]
    account = head.rsplit(":", 1)[1]
    return f"arn:aws:iam::{account}:role{role_path or '/'}{role}"


def may_act(principal: str, patterns: tuple[str, ...]) -> bool:
    """Whether ``principal`` is one of the configured admin or break-glass patterns (the SCPs
    exempt exactly these from the device and contact guards)."""
    return any(fnmatchcase(principal, pattern) for pattern in patterns)


# ---------------------------------------------------------------------------------------------
# An IAM user
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserState:
    """What the recovery reads of a user before planning (also the record's before/after)."""

    user_arn: str
    devices: tuple[str, ...]  # serial numbers (a virtual device's is its ARN)
    has_password: bool
    active_keys: tuple[str, ...]
    groups: tuple[str, ...]
    mfa_required_group_exists: bool


def read_user(iam: Any, user: str) -> UserState:
    try:
        user_arn = iam.get_user(UserName=user)["User"]["Arn"]
    except iam.exceptions.NoSuchEntityException as error:
        raise RecoveryError(f"no IAM user {user!r} in this account: check the name") from error
    devices = tuple(d["SerialNumber"] for d in iam.list_mfa_devices(UserName=user)["MFADevices"])
    try:
        iam.get_login_profile(UserName=user)
        has_password = True
    except iam.exceptions.NoSuchEntityException:
        has_password = False
    keys = iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
    groups = tuple(g["GroupName"] for g in iam.list_groups_for_user(UserName=user)["Groups"])
    try:
        iam.get_group(GroupName=MFA_REQUIRED_GROUP, MaxItems=1)
        group_exists = True
    except iam.exceptions.NoSuchEntityException:
        group_exists = False
    return UserState(
        user_arn=user_arn, devices=devices, has_password=has_password,
        active_keys=tuple(k["AccessKeyId"] for k in keys if k["Status"] == "Active"),
        groups=groups, mfa_required_group_exists=group_exists,
    )  # fmt: skip


def lost_devices(state: UserState, named: tuple[str, ...]) -> tuple[str, ...]:
    """The devices to remove: those named, which must be the user's; with none named, the only
    one the user has (several: the caller must say which, keeping a device the user still holds)."""
    if named:
        foreign = [serial for serial in named if serial not in state.devices]
        if foreign:
            raise RecoveryError(
                f"device(s) {', '.join(foreign)} are not {state.user_arn}'s (it has: "
                f"{', '.join(state.devices) or 'none'}): name the user's own device"
            )
        return named
    if not state.devices:
        raise RecoveryError(f"{state.user_arn} has no MFA device: nothing to remove; the user "
                            "signs in with the password and enrols two devices")  # fmt: skip
    if len(state.devices) > 1:
        raise RecoveryError(
            f"{state.user_arn} has {len(state.devices)} devices ({', '.join(state.devices)}): "
            "name the lost one(s) with --device; the user still signs in with the other"
        )
    return state.devices


def plan_user(
    state: UserState, account: str, user: str, devices: tuple[str, ...], *, stolen: bool
) -> list[Step]:
    """The calls that recover ``user``: with ``stolen``, the password, keys and sessions first
    (with the stolen password alone, an attacker would otherwise enrol a device of his own the
    moment the old one is gone), then the devices, then the guardrail kept on."""
    arn = state.user_arn
    steps: list[Step] = []
    if stolen:
        if state.has_password:
            steps.append(Step(
                "password", "iam:UpdateLoginProfile", arn, account,
                "a stolen device means a known password too: a new one, changed at next sign-in",
                {"UserName": user, "PasswordResetRequired": True},
            ))  # fmt: skip
        steps += [Step(f"key:{key}", "iam:UpdateAccessKey", arn, account,
                       "keys stop (deactivated, not deleted: reversible once the user is safe)",
                       {"UserName": user, "AccessKeyId": key, "Status": "Inactive"})
                  for key in state.active_keys]  # fmt: skip
        steps.append(Step(
            "revoke-sessions", "iam:PutUserPolicy", arn, account,
            "sessions issued before now are denied (aws:TokenIssueTime, AWS's revoke pattern)",
            {"UserName": user, "PolicyName": REVOKE_POLICY_NAME},
        ))  # fmt: skip
    for serial in devices:
        steps.append(Step(f"deactivate:{serial}", "iam:DeactivateMFADevice", arn, account,
                          "the lost device no longer signs in",
                          {"UserName": user, "SerialNumber": serial}))  # fmt: skip
        if ":mfa/" in serial:  # a virtual device: its entity goes too, so a new one can be made
            steps.append(Step(f"delete:{serial}", "iam:DeleteVirtualMFADevice", serial, account,
                              "the virtual device's entity is deleted before a new one is made",
                              {"SerialNumber": serial}))  # fmt: skip
    if state.mfa_required_group_exists and MFA_REQUIRED_GROUP not in state.groups:
        steps.append(Step(
            "mfa-required", "iam:AddUserToGroup",
            f"arn:aws:iam::{account}:group/{MFA_REQUIRED_GROUP}",
            account, "Force-MFA stays on: the user can do nothing but enrol until it has MFA",
            {"UserName": user, "GroupName": MFA_REQUIRED_GROUP},
        ))  # fmt: skip
    return steps


def random_password(length: int = 24) -> str:
    """Meets any account password policy AWS allows (upper, lower, digit, symbol)."""
    alphabet = string.ascii_letters + string.digits + "!@#$%^&*()_+-="
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(length))
        kinds = (str.isupper, str.islower, str.isdigit, lambda c: not c.isalnum())
        if all(any(kind(c) for c in password) for kind in kinds):
            return password


def revoke_document(before: str) -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Deny", "Action": "*", "Resource": "*",
            "Condition": {"DateLessThan": {"aws:TokenIssueTime": before}},
        }],
    })  # fmt: skip


def user_call(iam: Any, step: Step, secrets_out: Callable[[str], None]) -> None:
    """Make one step's call. A new password is given to ``secrets_out`` (the terminal), never
    to the record."""
    params = dict(step.params)
    if step.action == "iam:UpdateLoginProfile":
        password = random_password()
        iam.update_login_profile(Password=password, **params)
        secrets_out(f"new password for {params['UserName']} (give it out of band; it must be "
                    f"changed at next sign-in): {password}")  # fmt: skip
    elif step.action == "iam:PutUserPolicy":
        iam.put_user_policy(PolicyDocument=revoke_document(now()), **params)
    else:
        method = {
            "iam:UpdateAccessKey": iam.update_access_key,
            "iam:DeactivateMFADevice": iam.deactivate_mfa_device,
            "iam:DeleteVirtualMFADevice": iam.delete_virtual_mfa_device,
            "iam:AddUserToGroup": iam.add_user_to_group,
        }[step.action]
        method(**params)


def apply_steps(
    record: Record, call: Callable[[Step], None], save: Callable[[Record], Any]
) -> bool:
    """Run the record's pending and failed steps in order, saving after each; stop at the first
    failure (the next run resumes there). True when every step is done."""
    record.status = "applying"
    save(record)
    for index, step in enumerate(record.steps):
        if step.status == DONE:
            continue
        try:
            call(step)
            outcome = replace(step, status=DONE, error=None, finished=now())
        except Exception as error:  # recorded: the run stops here, the next resumes
            code = getattr(error, "response", {}).get("Error", {}).get("Code", "")
            if code in ALREADY_DONE_ERRORS:
                outcome = replace(step, status=DONE, error=f"already done ({code})",
                                  finished=now())  # fmt: skip
            else:
                record.steps[index] = replace(step, status=FAILED,
                                              error=f"{code or type(error).__name__}: {error}")
                record.status = "failed"
                save(record)
                return False
        record.steps[index] = outcome
        save(record)
    record.status = "applied"
    save(record)
    return True


# ---------------------------------------------------------------------------------------------
# A member account's root, under centralized root access
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RootCredentials:
    has_password: bool
    access_keys: tuple[str, ...]
    certificates: tuple[str, ...]
    devices: tuple[str, ...]


def root_session(sts: Any, account: str, task: str) -> Any:
    """A privileged root session in ``account`` for one task policy (``sts`` must be a regional
    client: the global endpoint refuses AssumeRoot)."""
    credentials = sts.assume_root(
        TargetPrincipal=account, TaskPolicyArn={"arn": ROOT_TASK_POLICY.format(task)},
        DurationSeconds=ROOT_SESSION_SECONDS,
    )["Credentials"]  # fmt: skip
    return {
        "aws_access_key_id": credentials["AccessKeyId"],
        "aws_secret_access_key": credentials["SecretAccessKey"],
        "aws_session_token": credentials["SessionToken"],
    }


def read_root(iam: Any) -> RootCredentials:
    """Root's credentials, read in an audit-task session (no UserName: the session is root)."""
    try:
        iam.get_login_profile()
        has_password = True
    except iam.exceptions.NoSuchEntityException:
        has_password = False
    return RootCredentials(
        has_password=has_password,
        access_keys=tuple(k["AccessKeyId"] for k in iam.list_access_keys()["AccessKeyMetadata"]),
        certificates=tuple(c["CertificateId"]
                           for c in iam.list_signing_certificates()["Certificates"]),
        devices=tuple(d["SerialNumber"] for d in iam.list_mfa_devices()["MFADevices"]),
    )  # fmt: skip


def plan_root(account: str, state: RootCredentials, *, delete: bool) -> list[Step]:
    """Delete every root credential (the recommended end state under centralized root access),
    or allow password recovery (the owner then resets it through the e-mail link)."""
    root = f"arn:aws:iam::{account}:root"
    if not delete:
        if state.has_password:
            raise RecoveryError(f"root of {account} still has a password: recover it with "
                                "'Forgot password' on the root sign-in page, or delete the "
                                "credentials (--delete-credentials)")  # fmt: skip
        return [Step("create-password", "iam:CreateLoginProfile", root, account,
                     "allows password recovery: the e-mail owner sets a new one",
                     {"task": CREATE_ROOT_PASSWORD})]  # fmt: skip
    steps: list[Step] = []
    if state.has_password:
        steps.append(Step("delete-password", "iam:DeleteLoginProfile", root, account,
                          "no root password left to phish or recover", {}))  # fmt: skip
    steps += [Step(f"delete-key:{key}", "iam:DeleteAccessKey", root, account,
                   "root access keys should never exist", {"AccessKeyId": key})
              for key in state.access_keys]  # fmt: skip
    steps += [Step(f"delete-certificate:{cert}", "iam:DeleteSigningCertificate", root, account,
                   "root signing certificates should never exist", {"CertificateId": cert})
              for cert in state.certificates]  # fmt: skip
    steps += [Step(f"deactivate:{serial}", "iam:DeactivateMFADevice", root, account,
                   "the lost device goes with the credentials it protected",
                   {"SerialNumber": serial})
              for serial in state.devices]  # fmt: skip
    if not steps:
        raise RecoveryError(f"root of {account} holds no credentials: nothing to delete "
                            "(the recommended end state)")  # fmt: skip
    return steps


def root_call(iam: Any, step: Step) -> None:
    params = {k: v for k, v in step.params.items() if k != "task"}
    method = {
        "iam:CreateLoginProfile": iam.create_login_profile,
        "iam:DeleteLoginProfile": iam.delete_login_profile,
        "iam:DeleteAccessKey": iam.delete_access_key,
        "iam:DeleteSigningCertificate": iam.delete_signing_certificate,
        "iam:DeactivateMFADevice": iam.deactivate_mfa_device,
    }[step.action]
    method(**params)
