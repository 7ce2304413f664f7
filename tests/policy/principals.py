"""Every kind of principal an attacker could be, or could make himself into, generated from the
configuration: IAM users with and without paths, roles, Identity Center roles of both ARN shapes,
roles whose names match each exemption (and path and case variants that must not), CDK bootstrap
and Control Tower roles, root signed in with a password or alternative factors, AssumeRoot
sessions, service-linked roles; each with MFA true, false and absent.

Whether a principal is exempt is read from the configuration's patterns (the product's promise
of who is exempt), never from the policies under test.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase

MEMBER = "333333333333"
MEMBER_OU = "ou-ab12-workload1"
ORG_ROOT = "r-ab12"
ORG_ID = "o-a1b2c3d4e5"
ARN = f"arn:aws:iam::{MEMBER}"
SECURITY = "222222222222"  # the organization example's security account
# A member account registered as delegated administrator, in a target OU.
DELEGATED_ADMIN = "444444444444"
# The suffix Identity Center gives a permission set's role: 16 hexadecimal characters.
SSO_SUFFIX = "0a1b2c3d4e5f6a7b"
MFA_STATES: tuple[str | None, ...] = ("true", "false", None)  # None: the key is absent


@dataclass(frozen=True)
class Principal:
    """One caller. ``mfa`` is the value of aws:MultiFactorAuthPresent (None: absent, as for
    long-term access keys). ``force_mfa``: holds the Force-MFA policy (IAM users, through the
    MfaRequired group; roles named in attach-to-role-names). ``allow_all``: also holds an
    allow-all identity policy, so that only the guardrails' denies decide (the worst case)."""

    name: str
    arn: str
    kind: str  # "user" | "role" | "root" | "service-linked-role"
    mfa: str | None = None
    account: str = MEMBER
    ou: str | None = MEMBER_OU
    username: str | None = None
    assumed_root: bool = False
    force_mfa: bool = False
    allow_all: bool = True

    @property
    def subject_to_scps(self) -> bool:
        return self.kind != "service-linked-role"

    @property
    def context(self) -> dict[str, str]:
        context = {"aws:PrincipalArn": self.arn, "aws:PrincipalAccount": self.account,
                   "aws:PrincipalOrgID": ORG_ID}
        if self.mfa is not None:
            context["aws:MultiFactorAuthPresent"] = self.mfa
        if self.username:
            context["aws:username"] = self.username
        if self.assumed_root:
            context["aws:AssumedRoot"] = "true"
        return context

    def own_account(self, resource: str) -> str:
        """``resource`` of the member account, moved to this principal's own account."""
        return resource.replace(f":{MEMBER}:", f":{self.account}:")

    def with_mfa(self, mfa: str | None) -> Principal:
        label = {"true": "mfa", "false": "no-mfa", None: "mfa-absent"}[mfa]
        return replace(self, name=f"{self.name}[{label}]", mfa=mfa)


@dataclass(frozen=True)
class Exempt:
    """The configuration's exemption patterns (fnmatch on the caller's ARN, like ArnLike)."""

    guardrail_admins: tuple[str, ...]
    device_and_contact_admins: tuple[str, ...]
    # The deployment roles (StackSet execution, automation): exempt, so assuming one is
    # reserved to the guardrail administrators.
    deployers: tuple[str, ...] = ()

    def deployer(self, arn: str) -> bool:
        return _matches(arn, self.deployers)
    # The canary role: may tag itself with the heartbeat, and do nothing else at all.
    canaries: tuple[str, ...] = ()

    def guardrail_admin(self, p: Principal) -> bool:
        return not p.subject_to_scps or _matches(p.arn, self.guardrail_admins)

    def canary(self, p: Principal) -> bool:
        return p.subject_to_scps and _matches(p.arn, self.canaries)

    def device_and_contact_admin(self, p: Principal) -> bool:
        return not p.subject_to_scps or _matches(p.arn, self.device_and_contact_admins)


def _matches(arn: str, patterns: Iterable[str]) -> bool:
    return any(fnmatchcase(arn, pattern) for pattern in patterns)


def concrete(pattern: str, account: str = MEMBER) -> str:
    """An ARN an exemption pattern matches: the account wildcard becomes ``account``, any other
    wildcard a name an attacker might pick."""
    return pattern.replace("::*:", f"::{account}:").replace("*", "attacker1")


def _variants(arn: str) -> list[tuple[str, str]]:
    """Look-alikes of an exempt ARN: under another path, in another case."""
    head, _, name = arn.rpartition("/")
    return [("path-variant", f"{head}/evil/{name}"), ("case-variant", f"{head}/{name.swapcase()}")]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]


def base_principals(
    *, security_account: str, exempt_patterns: Mapping[str, tuple[str, ...]]
) -> list[Principal]:
    """Every principal kind, before MFA variants. ``exempt_patterns``: config field -> ARNs."""
    sso = f"{ARN}:role/aws-reserved/sso.amazonaws.com"
    found = [
        Principal("user", f"{ARN}:user/alice", "user", username="alice", force_mfa=True),
        Principal("user-with-path", f"{ARN}:user/eng/carol", "user", username="carol",
                  force_mfa=True),
        Principal("group-only-user", f"{ARN}:user/alice", "user", username="alice",
                  force_mfa=True, allow_all=False),
        Principal("workload-role", f"{ARN}:role/Developer", "role"),
        Principal("force-mfa-role", f"{ARN}:role/ConsoleUsers", "role", force_mfa=True),
        Principal("sso-poweruser-role",
                  f"{sso}/eu-west-1/AWSReservedSSO_PowerUserAccess_{SSO_SUFFIX}", "role"),
        Principal("sso-admin-role",
                  f"{sso}/eu-west-1/AWSReservedSSO_AdministratorAccess_{SSO_SUFFIX}", "role"),
        Principal("sso-admin-role-us-east-1",
                  f"{sso}/AWSReservedSSO_AdministratorAccess_{SSO_SUFFIX}", "role"),
        # A permission set an Identity Center delegated administrator made, named to extend
        # the exempt one: its role must not be exempt.
        Principal("sso-admin-lookalike-role",
                  f"{sso}/eu-west-1/AWSReservedSSO_AdministratorAccess_x_{SSO_SUFFIX}", "role"),
        # The security account's own admins: its Identity Center admin (exempt for devices and
        # contacts only), an ordinary admin role, and its CDK lookup role (never exempt).
        Principal("security-sso-admin-role",
                  f"arn:aws:iam::{security_account}:role/aws-reserved/sso.amazonaws.com/"
                  f"AWSReservedSSO_AdministratorAccess_{SSO_SUFFIX}", "role",
                  account=security_account, ou=None),
        Principal("security-admin-role", f"arn:aws:iam::{security_account}:role/Admin", "role",
                  account=security_account, ou=None),
        Principal("security-cdk-lookup-role",
                  f"arn:aws:iam::{security_account}:role/cdk-hnb659fds-lookup-role-"
                  f"{security_account}-us-east-1", "role", account=security_account, ou=None),
        # A member that is a delegated administrator (Organizations policies, StackSets,
        # Identity Center, Account Management): under the SCPs like any member.
        Principal("delegated-admin-role", f"arn:aws:iam::{DELEGATED_ADMIN}:role/Admin", "role",
                  account=DELEGATED_ADMIN),
        Principal("member-cdk-exec-role",
                  f"{ARN}:role/cdk-hnb659fds-cfn-exec-role-{MEMBER}-us-east-1", "role"),
        Principal("security-workload-role", f"arn:aws:iam::{security_account}:role/Developer",
                  "role", account=security_account, ou=None),
        Principal("root", f"{ARN}:root", "root"),
        Principal("stacksets-service-linked-role",
                  f"{ARN}:role/aws-service-role/member.org.stacksets.cloudformation.amazonaws.com"
                  "/AWSServiceRoleForCloudFormationStackSetsOrgMember", "service-linked-role"),
    ]  # fmt: skip
    found.append(Principal("assume-root-session", f"{ARN}:root", "root", assumed_root=True))
    for field_name, patterns in exempt_patterns.items():
        for pattern in patterns:
            in_security = f"::{security_account}:" in pattern
            account = security_account if in_security else MEMBER
            arn = concrete(pattern, account)
            kind = "user" if ":user/" in arn else "role"
            username = arn.rpartition("/")[2] if kind == "user" else None
            ou = None if in_security else MEMBER_OU
            found.append(Principal(f"{field_name}:{_slug(arn.split(':', 5)[5])}", arn, kind,
                                   username=username, force_mfa=kind == "user",
                                   account=account, ou=ou))
            for label, variant in _variants(arn):
                found.append(Principal(
                    f"{label}:{_slug(variant.split(':', 5)[5])}", variant, kind,
                    username=variant.rpartition("/")[2] if kind == "user" else None,
                    force_mfa=kind == "user", account=account, ou=ou,
                ))  # fmt: skip
    return found


def all_principals(base: Iterable[Principal]) -> list[Principal]:
    """Each principal with MFA true, false and absent."""
    return [p.with_mfa(mfa) for p in base for mfa in MFA_STATES]
