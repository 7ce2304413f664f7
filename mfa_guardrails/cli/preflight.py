"""Pre-flight: ``mfa-guardrails preflight [--config path.json] [--json]``.

Run once with the deploying account's credentials (the management account in the organization
topology) before the first ``make deploy``. Read-only, it checks what a deploy would otherwise
discover half-way: every account and region the topology deploys to is CDK-bootstrapped and trusts
the deploying account; StackSets and AWS Account Management have trusted access; the security
account is the Account Management delegated administrator the organization readiness rule needs;
SCPs are enabled and every SCP target has free slots for ours (naming what uses the others:
Control Tower, Landing Zone Accelerator); the Slack workspace is authorized in AWS Chatbot.
Each failed check prints the command that fixes it.

Exit code, as the readiness report: 0 ready, 1 something to fix, 2 the checks could not run (no
credentials, an invalid configuration).

Another account is read through its CDK lookup role (``cdk-<qualifier>-lookup-role-…``), which
``cdk bootstrap --trust <deploying account>`` makes the deploying account able to assume: that one
call proves the bootstrap, the trust and the region at once.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol, TextIO

from constructs_lib.naming import CDK_DEFAULT_QUALIFIER, PRODUCT_PREFIX
from mfa_guardrails.cli.arguments import configuration
from mfa_guardrails.config import (
    GuardrailsConfig,
    Topology,
)

EXIT_READY = 0
EXIT_NOT_READY = 1
EXIT_CANNOT_RUN = 2
EVENTS_REGION = "us-east-1"  # IAM, account and root sign-in events reach EventBridge only here
BOOTSTRAP_VERSION_PARAMETER = f"/cdk-bootstrap/{CDK_DEFAULT_QUALIFIER}/version"
# The CheckBootstrapVersion rule of every template the pinned CLI synthesizes requires 6 or later.
MINIMUM_BOOTSTRAP_VERSION = 6
STACKSETS_SERVICE = "member.org.stacksets.cloudformation.amazonaws.com"
ACCOUNT_MANAGEMENT_SERVICE = "account.amazonaws.com"
# Organizations' quota: at most 10 SCPs attached directly to a root, OU or account (5 before
# 15 May 2026; Organizations quotas page).
MAX_SCPS_PER_TARGET = 10
# account-protection, guardrail-protection and plane-protection (constructs_lib/scp/documents.py;
# importing it here would start the CDK's Node.js process on every pre-flight: a test keeps the
# two equal).
OUR_SCP_COUNT = 4
# AWS Chatbot's API answers in us-east-2 (and three other regions), whatever the channel's region.
CHATBOT_API_REGION = "us-east-2"
# Who else uses SCP slots, by the names their SCPs get.
SCP_OWNERS: tuple[tuple[Callable[[str], bool], str], ...] = (
    (lambda name: name == "FullAWSAccess", "AWS default (keep it: SCPs only filter)"),
    (lambda name: name.startswith(PRODUCT_PREFIX), "mfa-guardrails"),
    (lambda name: name.startswith("aws-guardrails-"), "AWS Control Tower"),
    (lambda name: "accelerator" in name.lower(), "Landing Zone Accelerator"),
)


@dataclass(frozen=True)
class Check:
    """One pre-flight result. ``status`` is ``ok``, ``fail``, ``warn`` (works, but something
    breaks later: the exit code stays 0) or ``info``."""

    status: str
    check: str
    subject: str
    detail: str
    fix: str = ""

    @property
    def failed(self) -> bool:
        return self.status == "fail"


class Sessions(Protocol):
    """AWS clients as the deploying account sees them (boto3 in production, moto in tests)."""

    def caller_account(self) -> str: ...

    def client(self, service: str, region: str, account: str | None = None) -> Any:
        """A client in ``account`` (None: the caller's own), through its CDK lookup role."""
        ...


def lookup_role_arn(account: str, region: str) -> str:
    return (
        f"arn:aws:iam::{account}:role/cdk-{CDK_DEFAULT_QUALIFIER}-lookup-role-{account}-{region}"
    )


class Boto3Sessions:
    """The current credentials, and another account's CDK lookup role when asked for one."""

    def __init__(self, session: Any = None) -> None:
        import boto3

        self._session: Any = session or boto3.session.Session()
        self._assumed: dict[tuple[str, str], Any] = {}
        self._caller: str | None = None

    def caller_account(self) -> str:
        if self._caller is None:
            identity = self._session.client("sts", region_name=EVENTS_REGION).get_caller_identity()
            self._caller = str(identity["Account"])
        return self._caller

    def client(self, service: str, region: str, account: str | None = None) -> Any:
        if account is None or account == self.caller_account():
            return self._session.client(service, region_name=region)
        key = (account, region)
        if key not in self._assumed:
            sts = self._session.client("sts", region_name=region)
            self._assumed[key] = sts.assume_role(
                RoleArn=lookup_role_arn(account, region),
                RoleSessionName="mfa-guardrails-preflight",
            )["Credentials"]
        credentials = self._assumed[key]
        # The same session (its loaded service models) with the other account's credentials.
        return self._session.client(
            service,
            region_name=region,
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )


# ---------------------------------------------------------------------------------------------
# What the topology needs (stacks/topology.py deploys to exactly these; a test keeps them equal)
# ---------------------------------------------------------------------------------------------


def deploying_account(config: GuardrailsConfig, caller: str) -> str:
    """Whose credentials deploy: the management account's (it owns the SCPs and the StackSet)."""
    return config.management_account_id or caller


def bootstrap_environments(config: GuardrailsConfig, caller: str) -> tuple[tuple[str, str], ...]:
    """Every (account, region) a CDK stack of the configuration is deployed to, in order."""
    if config.topology is Topology.SINGLE_ACCOUNT:
        wanted = [(caller, config.home_region), (caller, EVENTS_REGION)]
    else:
        management = config.management_account_id or caller
        security = config.security_account_id or caller
        # The management account's forwarding reaches every region through its own StackSet.
        wanted = [(management, config.home_region), (security, config.home_region)]
    return tuple(dict.fromkeys(wanted))


def bootstrap_command(account: str, region: str, deployer: str) -> str:
    """The exact ``cdk bootstrap`` for one environment. Another account must trust the deploying
    one; with --trust the CLI requires the execution policy to be named (CDK's default shown)."""
    command = f"npx cdk bootstrap aws://{account}/{region}"
    if account != deployer:
        command += (
            f" --trust {deployer} --trust-for-lookup {deployer}"
            " --cloudformation-execution-policies arn:aws:iam::aws:policy/AdministratorAccess"
        )
    return command


def bootstrap_commands(config: GuardrailsConfig, caller: str) -> list[str]:
    deployer = deploying_account(config, caller)
    return [
        bootstrap_command(account, region, deployer)
        for account, region in bootstrap_environments(config, caller)
    ]


def scp_owner(name: str) -> str:
    return next((owner for matches, owner in SCP_OWNERS if matches(name)), "your organization")


# ---------------------------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------------------------


def _error_code(error: Exception) -> str:
    response = getattr(error, "response", None)
    return str(response.get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""


def check_bootstrap(config: GuardrailsConfig, sessions: Sessions) -> Iterator[Check]:
    caller = sessions.caller_account()
    deployer = deploying_account(config, caller)
    for account, region in bootstrap_environments(config, caller):
        subject = f"aws://{account}/{region}"
        fix = bootstrap_command(account, region, deployer)
        try:
            ssm = sessions.client("ssm", region, account)
            version = int(ssm.get_parameter(Name=BOOTSTRAP_VERSION_PARAMETER)["Parameter"]["Value"])
        except Exception as error:  # every failure is a finding for this environment
            code = _error_code(error)
            if code == "ParameterNotFound":
                detail = "not bootstrapped (no CDK bootstrap version parameter)"
            elif code in {"AccessDenied", "AccessDeniedException"} and account != caller:
                detail = (
                    f"cannot assume its CDK lookup role from {caller}: not bootstrapped there, or "
                    f"not with --trust {deployer}"
                )
            else:
                detail = f"could not be read ({code or type(error).__name__}: {error})"
            yield Check("fail", "bootstrap", subject, detail, fix)
            continue
        if version < MINIMUM_BOOTSTRAP_VERSION:
            yield Check("fail", "bootstrap", subject,
                        f"bootstrap version {version} is older than {MINIMUM_BOOTSTRAP_VERSION}",
                        fix)  # fmt: skip
        else:
            trust = "" if account == caller else f", trusts {caller}"
            yield Check("ok", "bootstrap", subject, f"bootstrap version {version}{trust}")


def check_organization(config: GuardrailsConfig, sessions: Sessions) -> Iterator[Check]:
    """Trusted access, the delegated administrator, SCPs enabled and free slots on each target."""
    organizations = sessions.client("organizations", EVENTS_REGION)
    organization = organizations.describe_organization()["Organization"]
    caller = sessions.caller_account()
    if organization["Id"] != config.organization_id or caller != config.management_account_id:
        yield Check("fail", "organization", caller,
                    f"these credentials are account {caller} of {organization['Id']}, not the "
                    f"management account {config.management_account_id} of "
                    f"{config.organization_id}",
                    "run the pre-flight (and the deploy) with the management account's "
                    "credentials, or fix organization-id / management-account-id")  # fmt: skip
        return
    yield Check("ok", "organization", caller, f"management account of {organization['Id']}")
    enabled = {
        service["ServicePrincipal"]
        for page in organizations.get_paginator("list_aws_service_access_for_organization")
        .paginate()
        for service in page["EnabledServicePrincipals"]
    }
    for service, why, fix in (
        (STACKSETS_SERVICE, "the service-managed StackSet of the member baseline",
         "aws cloudformation activate-organizations-access"),
        (ACCOUNT_MANAGEMENT_SERVICE, "reading members' recovery contacts",
         f"aws organizations enable-aws-service-access --service-principal "
         f"{ACCOUNT_MANAGEMENT_SERVICE}"),
    ):  # fmt: skip
        if service in enabled:
            yield Check("ok", "trusted-access", service, f"enabled ({why})")
        else:
            yield Check("fail", "trusted-access", service, f"not enabled: needed for {why}", fix)
    delegated = {
        admin["Id"]
        for page in organizations.get_paginator("list_delegated_administrators").paginate(
            ServicePrincipal=ACCOUNT_MANAGEMENT_SERVICE
        )
        for admin in page["DelegatedAdministrators"]
    }
    security = str(config.security_account_id)
    if security in delegated:
        yield Check("ok", "delegated-admin", security,
                    f"delegated administrator for {ACCOUNT_MANAGEMENT_SERVICE}")  # fmt: skip
    else:
        yield Check("fail", "delegated-admin", security,
                    f"not the delegated administrator for {ACCOUNT_MANAGEMENT_SERVICE}: the "
                    "organization readiness rule could not read members' contacts",
                    f"aws organizations register-delegated-administrator --account-id {security} "
                    f"--service-principal {ACCOUNT_MANAGEMENT_SERVICE}")  # fmt: skip
    yield from _check_security_parent(config, organizations)
    yield from _delegated_administrators(organizations)
    yield from _check_scp_slots(config, organizations)


# What a delegated administrator of each service could change from its own account, and why it
# matters to the guardrails (README, "Service control policies").
DELEGATED_POWERS = {
    "member.org.stacksets.cloudformation.amazonaws.com":
        "service-managed StackSets that run in every member as the exempt stacksets-exec-* role",
    "sso.amazonaws.com":
        "permission sets and assignments: who holds the exempt AdministratorAccess role",
    "account.amazonaws.com": "every member's recovery contacts (denied by the SCPs unless exempt)",
    "organizations.amazonaws.com":
        "SCPs and RCPs and the SCP policy type (denied to it by plane-protection when its "
        "account is covered; other policy types stay its own)",
}  # fmt: skip


def _check_security_parent(config: GuardrailsConfig, organizations: Any) -> Iterator[Check]:
    """The declared parent of the security account (config refuses one outside the targets)."""
    security, declared = config.security_account_id, config.security_account_ou_id
    if security is None or declared is None:
        return
    (parent,) = organizations.list_parents(ChildId=security)["Parents"]
    if parent["Id"] == declared:
        yield Check("ok", "security-ou", security,
                    f"in {declared}, a target OU: the member baseline reaches it")  # fmt: skip
    else:
        yield Check("fail", "security-ou", security,
                    f"is in {parent['Id']}, not in {declared} as security-account-ou-id says: "
                    "the member baseline may never reach it",
                    f"set security-account-ou-id to {parent['Id']} and add it to target-ou-ids, "
                    f"or move the account into {declared}")  # fmt: skip


def _delegated_administrators(organizations: Any) -> Iterator[Check]:
    """Who is delegated administrator of what, and what each could change from there."""
    admins = [
        admin["Id"]
        for page in organizations.get_paginator("list_delegated_administrators").paginate()
        for admin in page["DelegatedAdministrators"]
    ]
    for account in admins:
        services = [
            service["ServicePrincipal"]
            for page in organizations.get_paginator("list_delegated_services_for_account")
            .paginate(AccountId=account)
            for service in page["DelegatedServices"]
        ]
        for service in services:
            power = DELEGATED_POWERS.get(service, "what that service delegates")
            yield Check("info", "delegated-admins", account, f"{service}: can change {power}")


def _check_scp_slots(config: GuardrailsConfig, organizations: Any) -> Iterator[Check]:
    (root,) = organizations.list_roots()["Roots"]
    scps_enabled = any(
        policy_type["Type"] == "SERVICE_CONTROL_POLICY" and policy_type["Status"] == "ENABLED"
        for policy_type in root.get("PolicyTypes", [])
    )
    if not scps_enabled:
        yield Check("fail", "scp-slots", root["Id"], "SCPs are not enabled in the organization",
                    f"aws organizations enable-policy-type --root-id {root['Id']} "
                    "--policy-type SERVICE_CONTROL_POLICY")  # fmt: skip
        return
    for target in config.scp_target_ids:
        names = [
            policy["Name"]
            for page in organizations.get_paginator("list_policies_for_target").paginate(
                TargetId=target, Filter="SERVICE_CONTROL_POLICY"
            )
            for policy in page["Policies"]
        ]
        others = [name for name in names if not name.startswith(PRODUCT_PREFIX)]
        used = ", ".join(f"{name} ({scp_owner(name)})" for name in others) or "nothing"
        free = MAX_SCPS_PER_TARGET - len(others)
        if free >= OUR_SCP_COUNT:
            yield Check("ok", "scp-slots", target,
                        f"{free} of {MAX_SCPS_PER_TARGET} slots free for our {OUR_SCP_COUNT}; "
                        f"used by {used}")  # fmt: skip
        else:
            yield Check("fail", "scp-slots", target,
                        f"{free} of {MAX_SCPS_PER_TARGET} slots free, {OUR_SCP_COUNT} needed; "
                        f"used by {used}",
                        "merge or detach SCPs on this target (Control Tower's can be merged by "
                        "its controls), or target a child OU instead")  # fmt: skip


def check_chatbot(config: GuardrailsConfig, sessions: Sessions) -> Iterator[Check]:
    """The Slack workspace must be authorized (once, in the console) in the alerting account."""
    if config.slack_workspace_id is None:
        return
    caller = sessions.caller_account()
    account = config.security_account_id if config.topology is Topology.ORGANIZATION else caller
    try:
        chatbot = sessions.client("chatbot", CHATBOT_API_REGION, account)
        workspaces = {
            workspace["SlackTeamId"]
            for page in chatbot.get_paginator("describe_slack_workspaces").paginate()
            for workspace in page["SlackWorkspaces"]
        }
    except Exception as error:  # a finding, not a crash
        yield Check("fail", "chatbot", f"account {account}",
                    "could not list AWS Chatbot's Slack workspaces "
                    f"({_error_code(error) or error})",
                    "check the account is bootstrapped and trusts the deploying account",
                    )  # fmt: skip
        return
    if config.slack_workspace_id in workspaces:
        yield Check("ok", "chatbot", config.slack_workspace_id, f"authorized in account {account}")
    else:
        yield Check("fail", "chatbot", config.slack_workspace_id,
                    f"not authorized in AWS Chatbot in account {account} (found: "
                    f"{', '.join(sorted(workspaces)) or 'none'})",
                    f"in account {account}, open the AWS Chatbot console, Configure new client, "
                    "Slack, and allow the workspace")  # fmt: skip


# Control Tower's "Disallow actions as a root user" control. Enabled without its ExemptAssumeRoot
# parameter it also denies sts:AssumeRoot sessions, the recovery path of member roots under
# centralized root access, in every account of the OU (Control Catalog API reference,
# ControlParameter: https://docs.aws.amazon.com/controlcatalog/latest/APIReference/API_ControlParameter.html;
# Control Tower, "Controls with parameters":
# https://docs.aws.amazon.com/controltower/latest/controlreference/control-parameter-concepts.html).
RESTRICT_ROOT_CONTROL = "AWS-GR_RESTRICT_ROOT_USER"
EXEMPT_ASSUME_ROOT = "ExemptAssumeRoot"


def _exempts_assume_root(parameters: Sequence[Any]) -> bool:
    """The parameter is present (its documented meaning) and not set to false."""
    return any(
        isinstance(parameter, dict) and parameter.get("key") == EXEMPT_ASSUME_ROOT
        and parameter.get("value") not in (False, "false", "False")
        for parameter in parameters
    )  # fmt: skip


def check_control_tower(config: GuardrailsConfig, sessions: Sessions) -> Iterator[Check]:
    """Where Control Tower enabled AWS-GR_RESTRICT_ROOT_USER without ExemptAssumeRoot (read in
    the home region, where a landing zone's controls are managed): a warning with the update
    that keeps the control's other parameters."""
    region = config.home_region
    controltower = sessions.client("controltower", region)
    try:
        enabled = [
            control
            for page in controltower.get_paginator("list_enabled_controls").paginate()
            for control in page.get("enabledControls", [])
        ]
    except Exception as error:
        if _error_code(error) != "ResourceNotFoundException":
            raise
        yield Check("info", "control-tower", region, "no Control Tower landing zone here")
        return
    suffix = f"/{RESTRICT_ROOT_CONTROL}"
    found = [c for c in enabled if str(c.get("controlIdentifier", "")).endswith(suffix)]
    if not found:
        yield Check("ok", "control-tower", region,
                    f"{RESTRICT_ROOT_CONTROL} is not enabled on any OU: AssumeRoot is not denied "
                    "by Control Tower")  # fmt: skip
    for control in found:
        arn = str(control.get("arn", ""))
        target = str(control.get("targetIdentifier", "")) or arn
        details = controltower.get_enabled_control(enabledControlIdentifier=arn)
        parameters = details.get("enabledControlDetails", {}).get("parameters", []) or []
        if _exempts_assume_root(parameters):
            detail = f"{RESTRICT_ROOT_CONTROL} exempts AssumeRoot ({EXEMPT_ASSUME_ROOT})"
            yield Check("ok", "control-tower", target, detail)
            continue
        kept = [p for p in parameters if isinstance(p, dict) and p.get("key") != EXEMPT_ASSUME_ROOT]
        wanted = json.dumps([*kept, {"key": EXEMPT_ASSUME_ROOT, "value": True}],
                            separators=(",", ":"))  # fmt: skip
        yield Check("warn", "control-tower", target,
                    f"{RESTRICT_ROOT_CONTROL} is enabled without {EXEMPT_ASSUME_ROOT}: it denies "
                    "sts:AssumeRoot sessions (deleting or restoring a member's root credentials, "
                    "the recovery path of centralized root access) in every account of this OU",
                    f"aws controltower update-enabled-control --region {region} "
                    f"--enabled-control-identifier {arn} --parameters '{wanted}'")  # fmt: skip


def _guarded(name: str, checks: Iterator[Check]) -> list[Check]:
    """A group's checks; a call it was denied (or that failed) ends the group with a finding."""
    found: list[Check] = []
    try:
        found.extend(checks)
    except Exception as error:  # one denied call must not hide the other groups' answers
        found.append(Check("fail", name, "(this group)",
                           f"could not be checked ({_error_code(error) or type(error).__name__}: "
                           f"{error})",
                           "run with credentials that may read Organizations, SSM, STS and "
                           "Control Tower in the deploying account (read-only, e.g. "
                           "ReadOnlyAccess)"))  # fmt: skip
    return found


def run_checks(config: GuardrailsConfig, sessions: Sessions) -> list[Check]:
    sessions.caller_account()  # no credentials at all: the whole pre-flight cannot run
    checks = _guarded("bootstrap", check_bootstrap(config, sessions))
    if config.topology is Topology.ORGANIZATION:
        checks += _guarded("organization", check_organization(config, sessions))
        checks += _guarded("control-tower", check_control_tower(config, sessions))
    checks += _guarded("chatbot", check_chatbot(config, sessions))
    return checks


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


def render(checks: Sequence[Check]) -> str:
    lines = []
    for check in checks:
        lines.append(f"[{check.status:>4}] {check.check:<15} {check.subject}: {check.detail}")
        if check.fix:
            lines.append(f"       fix: {check.fix}")
    failed = sum(check.failed for check in checks)
    lines.append(f"pre-flight: {failed} to fix" if failed else "pre-flight: ready to deploy")
    return "\n".join(lines)


def main(
    argv: Sequence[str] | None = None,
    sessions_factory: Callable[[], Sessions] = Boto3Sessions,
    out: TextIO = sys.stdout,
) -> int:
    parser = argparse.ArgumentParser(
        prog="mfa-guardrails preflight",
        description="Check, read-only, that the accounts are ready for the first deploy.",
    )
    parser.add_argument("--config", type=Path, help="the configuration file (make CONFIG=…)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of lines")
    args = parser.parse_args(argv)
    config = configuration(args.config, out)
    if config is None:
        return EXIT_CANNOT_RUN
    try:
        sessions = sessions_factory()
        checks = run_checks(config, sessions)
    except Exception as error:  # no credentials, no network: say so, exit 2
        print(f"pre-flight could not run: {type(error).__name__}: {error}. Fix: run it with the "
              "deploying account's AWS credentials (e.g. AWS_PROFILE=...)", file=out)  # fmt: skip
        return EXIT_CANNOT_RUN
    if args.json:
        print(json.dumps([asdict(check) for check in checks], indent=2), file=out)
    else:
        print(render(checks), file=out)
    return EXIT_NOT_READY if any(check.failed for check in checks) else EXIT_READY


if __name__ == "__main__":
    sys.exit(main())
