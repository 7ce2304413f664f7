"""``mfa-guardrails recover``: the day a device is lost, as commands. Dry run unless ``--apply``.

* ``recover user --account-id A --user U [--device SERIAL ...] [--stolen]``: an IAM user's lost
  device removed (its virtual entity deleted), and with ``--stolen`` a new password required,
  keys deactivated and older sessions revoked; Force-MFA kept on.
* ``recover verify --account-id A --user U``: the user holds two devices again; closes the record.
* ``recover root --account-id A [--delete-credentials | --allow-password-recovery]``: a member
  root under centralized root access (``sts:AssumeRoot`` from the management account or the IAM
  delegated administrator); otherwise the owner's checklist for the alternative-factors sign-in.
* ``recover identity-center --user NAME``: what to do (no public API removes the device).

Each ``--apply`` writes a JSON record (who, what, when, before and after, each step) to
``--records`` and saves it after every step; the next ``--apply`` of the same subject resumes it.
Before acting it checks that its identity is an admin or break-glass principal of the
configuration, which the SCPs let do every step, and refuses otherwise instead of failing half-way.
Exit code: 0 done (or a dry run), 1 refused or a step failed (resume with ``--apply``), 2 cannot
run.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

from constructs_lib.alerting.runtime.catalog import RECOVERY_USER_AGENT
from constructs_lib.alerting.runtime.phone import phone_problem
from mfa_guardrails.cli.arguments import account_id
from mfa_guardrails.config import ConfigError, GuardrailsConfig, effective_context, load_config
from mfa_guardrails.recovery import (
    AUDIT_ROOT,
    CREATE_ROOT_PASSWORD,
    DELETE_ROOT_CREDENTIALS,
    RECOMMENDED_DEVICES,
    Record,
    RecordStore,
    RecoveryError,
    Step,
    apply_steps,
    lost_devices,
    may_act,
    new_id,
    now,
    plan_root,
    plan_user,
    principal_arn,
    read_root,
    read_user,
    root_call,
    root_session,
    user_call,
)

EXIT_DONE, EXIT_REFUSED, EXIT_CANNOT_RUN = 0, 1, 2
ROOT_CREDENTIALS_FEATURE = "RootCredentialsManagement"
# The alerts a recovery's own calls raise (the alert catalog's ids): the team expects them.
USER_ALERTS = {"iam:DeactivateMFADevice": "mfa-removed",
               "iam:UpdateLoginProfile": "force-mfa (login profile changed)"}  # fmt: skip
ROOT_ALERTS = ("root-session-assumed", "root-mfa-removed", "root-credentials-created")



def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="mfa-guardrails recover", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    cases = parser.add_subparsers(dest="case", required=True, metavar="<case>")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", type=Path, help="the configuration file (its admins)")
    common.add_argument("--records", type=Path, default=Path("recoveries"),
                        help="where recovery records are kept (default: ./recoveries)")
    common.add_argument("--region", default="us-east-1",
                        help="the regional endpoint to call (AssumeRoot refuses the global one)")
    common.add_argument("--json", action="store_true", help="print the record as JSON")
    user = cases.add_parser("user", parents=[common], help="an IAM user's lost or stolen device")
    user.add_argument("--account-id", type=account_id, required=True)
    user.add_argument("--user", required=True)
    user.add_argument("--device", action="append", default=[],
                      help="serial number (a virtual device's ARN) of a lost device; repeatable")
    user.add_argument("--stolen", action="store_true",
                      help="also a new password, keys deactivated, older sessions revoked")
    user.add_argument("--apply", action="store_true", help="act (default: dry run)")
    verify = cases.add_parser("verify", parents=[common],
                              help="the user holds two devices again: close the record")
    verify.add_argument("--account-id", type=account_id, required=True)
    verify.add_argument("--user", required=True)
    root = cases.add_parser("root", parents=[common], help="a root user's lost device")
    root.add_argument("--account-id", type=account_id, required=True)
    choice = root.add_mutually_exclusive_group()
    choice.add_argument("--delete-credentials", action="store_true",
                        help="delete password, keys, certificates and devices (recommended)")
    choice.add_argument("--allow-password-recovery", action="store_true",
                        help="let the e-mail owner set a new password")
    root.add_argument("--apply", action="store_true", help="act (default: dry run)")
    center = cases.add_parser("identity-center", parents=[common],
                              help="an Identity Center user's lost device")
    center.add_argument("--user", required=True)
    return parser.parse_args(argv)


class RefusedError(Exception):
    """The identity, the input or the state says no; nothing was changed."""


def _config(path: Path | None) -> GuardrailsConfig:
    return load_config(effective_context({}, path))


def _caller(session: Any) -> tuple[str, str]:
    """(account, the ARN the SCPs see) of the current credentials."""
    identity = session.client("sts").get_caller_identity()
    arn = str(identity["Arn"])
    path = None
    if ":assumed-role/" in arn:
        role = arn.split(":assumed-role/", 1)[1].split("/", 1)[0]
        try:
            path = session.client("iam").get_role(RoleName=role)["Role"]["Path"]
        except Exception:  # an admin without iam:GetRole: the path stays unknown
            path = None
    return str(identity["Account"]), principal_arn(arn, path)


def _check_identity(config: GuardrailsConfig, principal: str, out: TextIO) -> None:
    """Refuse, before any call, an identity the SCPs would stop half-way."""
    if not config.enforcing or config.topology.value != "organization":
        print(f"identity: {principal} (no SCP attached under this configuration: IAM "
              "permissions alone decide)", file=out)  # fmt: skip
        return
    patterns = config.exempt_admin_arns
    if not may_act(principal, patterns):
        raise RefusedError(
            f"{principal} is not an admin or break-glass principal of the configuration "
            f"({', '.join(patterns) or 'none configured'}): the SCPs deny removing another "
            "user's device to everyone else. Run it as one of them"
        )
    print(f"identity: {principal} (an admin of the configuration: the SCPs allow each step)",
          file=out)  # fmt: skip


def recovery_client(session: Any, record: Record, **credentials: Any) -> Any:
    """An IAM client whose calls carry the recovery's id in their user agent, which CloudTrail
    records: the alerts they cause say "expected: recovery <id> by <who>" (the notifier checks
    the caller is an admin of the configuration)."""
    from botocore.config import Config

    marked = Config(user_agent_extra=f"{RECOVERY_USER_AGENT}{record.id}")
    return session.client("iam", config=marked, **credentials)


def _print_plan(record: Record, principal: str, out: TextIO) -> None:
    for step in record.steps:
        mark = {"done": "[done]", "failed": "[failed]"}.get(step.status, "[ ]")
        params = {k: v for k, v in step.params.items() if k != "task"}
        print(f"  {mark} {step.action} in {step.account} as {principal}: "
              f"{json.dumps(params, sort_keys=True)} — {step.why}", file=out)  # fmt: skip


def _finish(record: Record, applied: bool, path: Path, out: TextIO, json_out: bool) -> int:
    if json_out:
        print(record.to_json(), file=out)
    if applied:
        print(f"record: {path} ({record.status})", file=out)
        return EXIT_DONE
    failed = [s for s in record.steps if s.status == "failed"]
    print(f"stopped at {failed[0].action}: {failed[0].error}. Fix the cause and run the same "
          f"command with --apply to resume (record {path})", file=out)  # fmt: skip
    return EXIT_REFUSED


def recover_user(args: argparse.Namespace, session: Any, out: TextIO) -> int:
    account, principal = _caller(session)
    if account != args.account_id:
        print(f"cannot run: the credentials are for {account}, not {args.account_id}. Fix: "
              f"sign in to {args.account_id} as an admin of the configuration", file=out)
        return EXIT_CANNOT_RUN
    _check_identity(_config(args.config), principal, out)
    iam = session.client("iam")
    store = RecordStore(args.records)
    record = store.open_record("user", account, args.user) if args.apply else None
    if record is not None:
        left = sum(s.status != "done" for s in record.steps)
        print(f"resuming {record.id}: {left} step(s) left", file=out)
    else:
        state = read_user(iam, args.user)
        devices = lost_devices(state, tuple(args.device))
        steps = plan_user(state, account, args.user, devices, stolen=args.stolen)
        record = Record(new_id("user", account, args.user), "user", account, args.user,
                        principal, now(), asdict(state), steps)  # fmt: skip
    print(f"{'recovering' if args.apply else 'dry run'}: {record.id}", file=out)
    _print_plan(record, principal, out)
    if not args.apply:
        if args.json:
            print(record.to_json(), file=out)
        print("dry run: nothing was changed; run again with --apply", file=out)
        return EXIT_DONE
    marked = recovery_client(session, record)
    applied = apply_steps(record, lambda step: user_call(marked, step, lambda line: print(
        line, file=out)), store.save)  # fmt: skip
    if applied:
        record.after = asdict(read_user(iam, args.user))
        store.save(record)
        alerts = sorted({USER_ALERTS[s.action] for s in record.steps if s.action in USER_ALERTS})
        print(f"next, {args.user}: sign in with the password, enrol two MFA devices (up to "
              "eight; Force-MFA allows nothing else until then), then an admin runs "
              f"'mfa-guardrails recover verify --account-id {account} --user {args.user}'. "
              f"The team will see these alerts: {', '.join(alerts) or 'none'}", file=out)
    return _finish(record, applied, store.path(record), out, args.json)


def verify_user(args: argparse.Namespace, session: Any, out: TextIO) -> int:
    iam = session.client("iam")
    state = read_user(iam, args.user)
    if len(state.devices) < RECOMMENDED_DEVICES:
        print(f"{args.user} has {len(state.devices)} MFA device(s): enrol {RECOMMENDED_DEVICES} "
              "so one lost device is not a lock-out", file=out)  # fmt: skip
        return EXIT_REFUSED
    store = RecordStore(args.records)
    record = store.latest("user", args.account_id, args.user)
    if record is not None and record.status == "applied":
        record.status, record.after = "verified", asdict(state)
        store.save(record)
        print(f"verified: {args.user} holds {len(state.devices)} devices; record {record.id} "
              "closed", file=out)  # fmt: skip
    else:
        print(f"{args.user} holds {len(state.devices)} devices (no applied recovery to close)",
              file=out)  # fmt: skip
    return EXIT_DONE


def _centralized(session: Any, account: str) -> tuple[bool, str | None]:
    """Whether centralized root access reaches ``account`` and, if not, why."""
    organizations = session.client("organizations")
    management = organizations.describe_organization()["Organization"]["MasterAccountId"]
    if account == management:
        return False, "the management account's root is recovered by its owner only"
    features = session.client("iam").list_organizations_features().get("EnabledFeatures", [])
    if ROOT_CREDENTIALS_FEATURE not in features:
        return False, "centralized root access (RootCredentialsManagement) is off"
    return True, None


def owner_checklist(session: Any, account: str, why: str, out: TextIO) -> int:
    """The alternative-factors sign-in, from the account's current contact state."""
    client = session.client("account")
    own = session.client("sts").get_caller_identity()["Account"] == account
    kwargs = {} if own else {"AccountId": account}
    phone = client.get_contact_information(**kwargs)["ContactInformation"].get("PhoneNumber", "")
    try:
        email = client.get_primary_email(AccountId=account)["PrimaryEmail"]
    except Exception:  # the management account cannot read its own through this API
        email = "(the root user's e-mail address; not readable here)"
    problem = phone_problem(phone) if phone else "no contact phone is set"
    print(f"root of {account}: only its owner can recover it ({why}).", file=out)
    print(f"  1. Sign in as root with 'Sign in using alternative factors': AWS e-mails {email}; "
          "open the link.", file=out)  # fmt: skip
    verdict = f"AWS cannot call it: {problem}" if problem else "AWS can call it"
    print(f"  2. AWS calls the primary contact phone {phone or '(none)'}: {verdict}.", file=out)
    print("  3. Signed in: remove the lost device, register two (up to eight), change the "
          "password, check the contact details.", file=out)  # fmt: skip
    print("  4. A factor out of reach (mailbox gone, phone wrong): AWS Support, 'Account and "
          "billing', from any account, with proof of ownership.", file=out)  # fmt: skip
    return EXIT_REFUSED if problem else EXIT_DONE


def recover_root(args: argparse.Namespace, session: Any, out: TextIO) -> int:
    centralized, why = _centralized(session, args.account_id)
    if not centralized:
        return owner_checklist(session, args.account_id, why or "", out)
    account, principal = _caller(session)
    config = _config(args.config)
    if account != config.management_account_id:
        _check_identity(config, principal, out)  # a delegated administrator is under the SCPs
    if not (args.delete_credentials or args.allow_password_recovery):
        raise RefusedError("say which end state: --delete-credentials (recommended) or "
                      "--allow-password-recovery")  # fmt: skip
    sts = session.client("sts", region_name=args.region)
    store = RecordStore(args.records)
    record = store.open_record("root", args.account_id, "root") if args.apply else None
    if record is None:
        state = read_root(session.client("iam", **root_session(sts, args.account_id,
                                                                AUDIT_ROOT)))
        steps = plan_root(args.account_id, state, delete=args.delete_credentials)
        record = Record(new_id("root", args.account_id, "root"), "root", args.account_id,
                        "root", principal, now(), asdict(state), steps)  # fmt: skip
    print(f"{'recovering' if args.apply else 'dry run'}: {record.id} (AssumeRoot sessions of "
          f"at most 900 s from {args.region})", file=out)  # fmt: skip
    _print_plan(record, principal, out)
    if not args.apply:
        print("dry run: nothing was changed; run again with --apply", file=out)
        return EXIT_DONE

    def call(step: Step) -> None:
        task = CREATE_ROOT_PASSWORD if step.action == "iam:CreateLoginProfile" else (
            DELETE_ROOT_CREDENTIALS)  # fmt: skip
        root_call(recovery_client(session, record, **root_session(sts, args.account_id, task)),
                  step)

    applied = apply_steps(record, call, store.save)
    if applied:
        print(f"The team will see: {', '.join(ROOT_ALERTS)}.", file=out)
    return _finish(record, applied, store.path(record), out, args.json)


def identity_center(args: argparse.Namespace, out: TextIO) -> int:
    print(f"Identity Center user {args.user}: no public AWS API removes a user's MFA device. "
          "In the IAM Identity Center console: Users > the user > the 'MFA devices' tab > "
          "select the lost device > Delete. The team will see the alert "
          "identity-center-mfa-deleted-by-admin; the user then registers two devices at the "
          "next sign-in (up to eight).", file=out)  # fmt: skip
    return EXIT_DONE


def main(
    argv: Sequence[str] | None = None, *, session: Any = None, out: TextIO | None = None
) -> int:
    out = out or sys.stdout
    args = parse_args(argv)
    if args.case == "identity-center":
        return identity_center(args, out)
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        if session is None:
            import boto3

            session = boto3.Session(region_name=args.region)
        handlers = {"user": recover_user, "verify": verify_user, "root": recover_root}
        return handlers[args.case](args, session, out)
    except (RefusedError, RecoveryError) as error:
        print(f"refused: {error}. Nothing was changed.", file=out)
        return EXIT_REFUSED
    except ConfigError as error:
        print(f"cannot run: {error}", file=out)
        return EXIT_CANNOT_RUN
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        print(f"cannot run: {code}: {error}. Fix: credentials of an admin of the configuration "
              "in the right account (see --help)", file=out)  # fmt: skip
        return EXIT_CANNOT_RUN
    except BotoCoreError as error:
        print(f"cannot run: {error}. Fix: sign in (no AWS credentials were found)", file=out)
        return EXIT_CANNOT_RUN


if __name__ == "__main__":
    sys.exit(main())
