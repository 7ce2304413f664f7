"""Readiness report: ``mfa-guardrails readiness [--json]``.

Runs the recovery-readiness checks of the Config rule (``constructs_lib.detective.runtime``: one
implementation, so the report and the rule cannot disagree), and the prerequisites of the alert
path (a logging multi-region trail, a recording Config recorder, enabled mfa-guardrails rules,
and with ``--alert-topic-arn`` a confirmed subscription) against the account of the current
credentials, read-only, before anything is enforced. Prints a table of findings, or JSON with
``--json``. Exit code: 0 when every finding is COMPLIANT (or NOT_APPLICABLE), 1 when anything is
NON_COMPLIANT or INSUFFICIENT_DATA, 2 when the checks could not run at all (no credentials).

``--account-id`` checks a member account's contacts from the management or delegated-admin
account (``account:GetContactInformation --account-id``); the IAM checks then do not run. For
every account of an organization at once, use ``mfa-guardrails org-readiness``.

It also says who would be locked out if ``enforce`` were on today (``MfaRequired`` and, with
``--config``, the configured groups and roles): the same checks as the organization report.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

from constructs_lib.detective.runtime.prerequisites import (
    EVENTS_REGION,
    AlertPath,
    PrerequisiteClients,
    evaluate_prerequisites,
)
from constructs_lib.detective.runtime.readiness import (
    MFA_REQUIRED_GROUP,
    Clients,
    Finding,
    LockoutScope,
    evaluate_account,
    worst,
)
from mfa_guardrails.cli.arguments import account_id, configuration

EXIT_READY = 0
EXIT_NOT_READY = 1
EXIT_CANNOT_RUN = 2
_COLUMNS = ("status", "check", "subject", "fix")



def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="mfa-guardrails readiness",
        description="Check, read-only, whether this AWS account and its console users could "
        "recover from a lost MFA device (the recovery-readiness Config rule, run locally).",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--config", type=Path, help="the configuration file (make CONFIG=…): "
                        "its attach-to-group-names and attach-to-role-names are checked for "
                        "lock-outs too")  # fmt: skip
    parser.add_argument(
        "--require-operations-contact",
        action="store_true",
        help="also require an OPERATIONS alternate contact",
    )
    parser.add_argument(
        "--alert-topic-arn",
        help="also check that this alert topic has a confirmed subscription (the trail, the "
        "Config recorder and the mfa-guardrails rules in us-east-1 are always checked)",
    )
    parser.add_argument(
        "--account-id",
        type=account_id,
        help="a member account to check from the management/delegated-admin account "
        "(contact checks only)",
    )
    return parser.parse_args(argv)


def render_table(findings: Sequence[Finding]) -> str:
    """A plain-text table, one finding per row, columns as wide as their widest cell."""
    rows = [_COLUMNS, *((f.status.value, f.check, f.subject, f.fix) for f in findings)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS) - 1)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    lines.insert(1, "  ".join("-" * width for width in [*widths, len(_COLUMNS[-1])]))
    return "\n".join(lines)


def render_json(findings: Sequence[Finding], account: str | None) -> str:
    document: dict[str, Any] = {
        "account": account,
        "status": worst(f.status for f in findings).value,
        "findings": [
            {key: str(value) if value is not None else None for key, value in asdict(f).items()}
            for f in findings
        ],
    }
    return json.dumps(document, indent=2)


def main(
    argv: Sequence[str] | None = None,
    *,
    session: Any = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run the report; ``session`` is a boto3 Session (or a double with ``.client(name)``)."""
    out = out or sys.stdout
    err = err or sys.stderr
    args = parse_args(argv)
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    config = configuration(args.config, err)
    if config is None:
        return EXIT_CANNOT_RUN
    lockout = LockoutScope(group_names=(MFA_REQUIRED_GROUP, *config.attach_to_group_names),
                           role_names=config.attach_to_role_names)  # fmt: skip

    try:
        if session is None:
            import boto3

            session = boto3.Session()
        region = getattr(session, "region_name", None) or "us-east-1"
        caller = str(session.client("sts", region_name=region).get_caller_identity()["Account"])
        # The Account API rejects the caller's own id from the management account: own = None.
        member = args.account_id if args.account_id != caller else None
        findings = evaluate_account(
            Clients.from_session(session, region),
            member,
            require_operations_contact=args.require_operations_contact,
            require_hardware_root_mfa=config.require_hardware_root_mfa,
            lockout=lockout,
            recovery_email_domains=config.recovery_email_domains,
        )
        if member is None:  # the alert path of the account these credentials are in
            path = AlertPath(alert_topic_arn=args.alert_topic_arn)
            findings += evaluate_prerequisites(
                PrerequisiteClients.from_session(
                    session, home_region=region, rules_region=EVENTS_REGION,
                    topic_region=path.topic_region,
                ),
                path,
            )  # fmt: skip
    except NoCredentialsError:
        print(
            "mfa-guardrails readiness: no AWS credentials found. Sign in first (e.g. "
            "`aws sso login --profile NAME` then AWS_PROFILE=NAME), then run this again; "
            "it only reads.",
            file=err,
        )
        return EXIT_CANNOT_RUN
    except ClientError as error:  # the checks turn theirs into findings: this is STS
        print(f"mfa-guardrails readiness: AWS rejected the credentials: {error}", file=err)
        return EXIT_CANNOT_RUN
    except BotoCoreError as error:
        print(f"mfa-guardrails readiness: could not reach AWS: {error}", file=err)
        return EXIT_CANNOT_RUN
    account = member or caller
    if args.json:
        print(render_json(findings, account), file=out)
    else:
        print(f"Recovery readiness of account {account} (read-only)\n", file=out)
        print(render_table(findings), file=out)
        failed = sum(f.failed for f in findings)
        verdict = f"{failed} finding(s) to fix" if failed else "recovery-ready"
        print(f"\n{worst(f.status for f in findings).value}: {verdict}", file=out)
    return EXIT_NOT_READY if any(f.failed for f in findings) else EXIT_READY


if __name__ == "__main__":
    sys.exit(main())
