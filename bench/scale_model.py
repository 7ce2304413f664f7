"""What rolling out costs, in time and money, by organization size.

``python bench/scale_model.py [--minutes-per-instance 3] [--regions 2]`` prints how long the
member-baseline StackSet operation takes for 10, 100, 500 and 2,000 accounts (docs/scale.md).
``python bench/scale_model.py --cost [--update-readme]`` prints the monthly cost for 1, 50 and
500 accounts (README, "Before you deploy"), counted from the templates `make synth` wrote to
cdk.out/ (rules, alarms, keys, memory sizes), so the figures follow the code.

Rollout time model:

Model (CloudFormation's documented semantics):
- regions run in parallel (RegionConcurrencyType PARALLEL), so the operation takes as long as one
  region;
- in a region, the default STRICT_FAILURE_TOLERANCE concurrency mode runs
  min(MaxConcurrentPercentage of N, FailureTolerancePercentage of N + 1) accounts at once, both
  percentages rounded down, at least 1;
- each wave takes one stack-instance time (create or update of the baseline in one account).
Automatic deployment to accounts that join later ignores the operation preferences.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mfa_guardrails.node_runtime import use_supported_node

use_supported_node()  # before stacks (aws_cdk) is imported

from constructs_lib.naming import ORG_READINESS_RUN_NAME  # noqa: E402
from stacks.management import OPERATION_PREFERENCES  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

MAX_CONCURRENT_PERCENTAGE = int(OPERATION_PREFERENCES.max_concurrent_percentage or 100)
FAILURE_TOLERANCE_PERCENTAGE = int(OPERATION_PREFERENCES.failure_tolerance_percentage or 0)


def concurrency(accounts: int) -> int:
    by_concurrency = accounts * MAX_CONCURRENT_PERCENTAGE // 100
    by_tolerance = accounts * FAILURE_TOLERANCE_PERCENTAGE // 100 + 1
    return max(1, min(by_concurrency, by_tolerance))


def rollout(accounts: int, regions: int, minutes_per_instance: float) -> dict[str, float]:
    per_region = concurrency(accounts)
    waves = math.ceil(accounts / per_region)
    return {
        "accounts": accounts,
        "stack instances": accounts * regions,
        "accounts at once per region": per_region,
        "waves": waves,
        "minutes": waves * minutes_per_instance,
        "tolerated failures per region": accounts * FAILURE_TOLERANCE_PERCENTAGE // 100,
    }


# ---------------------------------------------------------------------------------------------
# Monthly cost
# ---------------------------------------------------------------------------------------------

# Published list prices, us-east-1, USD, read on the AWS pricing pages in November 2026. Free
# tiers are ignored (the figures are an upper bound for a busy account, not a quote).
CONFIG_EVALUATION = 0.001  # per rule evaluation (first 100,000 per account and region)
LAMBDA_REQUEST = 0.20 / 1_000_000
LAMBDA_GB_SECOND = 0.0000166667  # x86
SNS_PUBLISH = 0.50 / 1_000_000
SNS_EMAIL = 2.00 / 100_000
EVENTBRIDGE_CROSS_ACCOUNT_EVENT = 1.00 / 1_000_000  # events sent to another account or region
KMS_KEY_MONTH = 1.00
KMS_REQUEST = 0.03 / 10_000
CLOUDWATCH_ALARM_MONTH = 0.10  # standard resolution
CLOUDWATCH_CUSTOM_METRIC_MONTH = 0.30  # first 10,000 metrics
LOGS_INGESTED_GB = 0.50
SCHEDULER_INVOCATION = 1.00 / 1_000_000  # EventBridge Scheduler (first 14 million free)
DYNAMODB_WRITE = 0.625 / 1_000_000  # on-demand write request unit (1 KB)
DYNAMODB_READ = 0.125 / 1_000_000  # on-demand read request unit (4 KB strong, 8 KB eventual)
HEARTBEAT_ITEM_BYTES = 200
# The organization readiness run (Step Functions: a Standard parent, Express children).
SFN_STANDARD_TRANSITION = 0.025 / 1_000
SFN_EXPRESS_REQUEST = 1.00 / 1_000_000
SFN_EXPRESS_GB_SECOND = 0.00001667
SFN_EXPRESS_MEMORY_GB = 0.064  # billed in 64 MB steps; a child passes one small item
SECURITY_HUB_FINDING_INGESTION = 0.00003  # per finding ingestion event (after the free 10,000)
S3_PUT = 0.005 / 1_000
SILENCE_ALARM = "mfa-guardrails-silent-accounts"
# Managed rules that evaluate each IAM user; the others evaluate the account once.
PER_USER_RULES = frozenset({"IAM_USER_MFA_ENABLED", "MFA_ENABLED_FOR_IAM_CONSOLE_ACCESS"})
RUNS_PER_MONTH = {"One_Hour": 720, "Three_Hours": 240, "Six_Hours": 120, "Twelve_Hours": 60,
                  "TwentyFour_Hours": 30}  # fmt: skip
COST_SIZES = (1, 50, 500, 5_000)
README_MARKERS = ("<!-- cost-model: start -->", "<!-- cost-model: end -->")


@dataclass(frozen=True, kw_only=True)
class Usage:
    """What an account does in a month (the assumptions; state them next to the figures)."""

    iam_users_per_account: int = 10
    alerts_per_account: int = 20  # MFA, contact, root and tampering events that reach the bus
    email_recipients: int = 2
    notifier_seconds: float = 0.3
    readiness_seconds_per_account: float = 1.0
    log_kb_per_invocation: float = 2.0
    heartbeat_monitor_seconds: float = 2.0  # a table scan and the Organizations listing
    org_check_seconds: float = 2.0  # one account's checks through its reader role
    org_child_seconds: float = 2.5  # the Express child around it
    org_report_seconds_per_1000: float = 8.0  # aggregation (bench/org_run.py: 38.5 s for 5,000)
    findings_per_account: int = 12  # every check of an account is one Security Hub finding
    org_run_transitions: int = 12  # the parent's states (list, map, report, and their retries)
    org_run_puts: int = 12  # accounts list, result manifest, four reports twice, summary


def templates_in(outdir: Path) -> dict[str, dict[str, Any]]:
    """Every template `make synth` wrote for one configuration, StackSet template included."""
    found = {path.name: json.loads(path.read_text()) for path in sorted(outdir.glob("*.json"))
             if path.name.endswith(".template.json")}  # fmt: skip
    if not found:
        raise SystemExit(f"no templates in {outdir}: run `make synth` first")
    return found


def _resources(template: Mapping[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r.get("Properties", {}) for r in template.get("Resources", {}).values()
            if r["Type"] == kind]  # fmt: skip


@dataclass(frozen=True)
class Counted:
    """What one configuration deploys, as counted in its templates."""

    account_evaluations: int  # per run, per account covered: rules of the account itself
    user_evaluations: int  # per run and IAM user
    readiness_rules: int  # custom (Lambda) rules
    frequency: str
    alarms: int
    keys: int
    notifier_memory_gb: float
    readiness_memory_gb: float
    heartbeats_per_month: int  # per account: the canary schedule's rate
    monitor_runs_per_month: int  # the heartbeat monitor's schedule
    monitor_memory_gb: float
    org_runs_per_month: int = 0  # the scheduled organization readiness run (0: none deployed)
    org_check_memory_gb: float = 0.25  # its per-account function
    org_report_memory_gb: float = 1.0  # its aggregation function
    org_concurrency: int = 50  # the map's MaxConcurrency


_RATE = re.compile(r"rate\((\d+) (minute|hour|day)s?\)")
_MINUTES = {"minute": 1, "hour": 60, "day": 1440}


def runs_per_month(expression: str) -> int:
    """How often a ``rate(...)`` schedule fires in a 30-day month."""
    found = _RATE.fullmatch(expression)
    if found is None:
        raise ValueError(f"not a rate expression: {expression!r}")
    return 30 * 1440 // (int(found[1]) * _MINUTES[found[2]])


def count(templates: Mapping[str, Mapping[str, Any]], member_template: str | None) -> Counted:
    """Managed rules are counted in the member template (organization) or the account baseline
    (single account); alarms, keys and functions across every template."""
    rules_from = [t for name, t in templates.items()
                  if member_template is None or name == member_template]  # fmt: skip
    managed = [r for t in rules_from for r in _resources(t, "AWS::Config::ConfigRule")
               if r["Source"]["Owner"] == "AWS"]  # fmt: skip
    every_rule = [r for t in templates.values() for r in _resources(t, "AWS::Config::ConfigRule")]
    functions = [f for t in templates.values() for f in _resources(t, "AWS::Lambda::Function")]
    memory = {_function_kind(str(f.get("FunctionName", ""))): f.get("MemorySize", 128) / 1024
              for f in functions}  # fmt: skip
    (canary,) = {s["ScheduleExpression"] for t in rules_from
                 for s in _resources(t, "AWS::Scheduler::Schedule")}  # fmt: skip
    (check,) = [r["ScheduleExpression"] for t in templates.values()
                for r in _resources(t, "AWS::Events::Rule") if "ScheduleExpression" in r]
    alarms = [a for t in templates.values() for a in _resources(t, "AWS::CloudWatch::Alarm")]
    org_schedules = [s["ScheduleExpression"] for t in templates.values()
                     for s in _resources(t, "AWS::Scheduler::Schedule")
                     if s.get("Name") == ORG_READINESS_RUN_NAME]  # fmt: skip
    sizes = {str(f.get("FunctionName")): f.get("MemorySize", 128) / 1024 for f in functions}
    concurrency = [int(found) for t in templates.values()
                   for m in _resources(t, "AWS::StepFunctions::StateMachine")
                   for found in re.findall(r"MaxConcurrency\D*(\d+)", json.dumps(m))]
    return Counted(
        account_evaluations=sum(r["Source"]["SourceIdentifier"] not in PER_USER_RULES
                                for r in managed),
        user_evaluations=sum(r["Source"]["SourceIdentifier"] in PER_USER_RULES for r in managed),
        readiness_rules=sum(r["Source"]["Owner"] == "CUSTOM_LAMBDA" for r in every_rule),
        frequency=str(every_rule[0].get("MaximumExecutionFrequency", "TwentyFour_Hours")),
        # The silence alarm is counted with the canary it watches.
        alarms=sum(a.get("AlarmName") != SILENCE_ALARM for a in alarms),
        keys=sum(len(_resources(t, "AWS::KMS::Key")) for t in templates.values()),
        notifier_memory_gb=memory.get("notifier", 0.25),
        readiness_memory_gb=memory.get("readiness", 0.25),
        heartbeats_per_month=runs_per_month(canary),
        monitor_runs_per_month=runs_per_month(check),
        monitor_memory_gb=memory.get("heartbeat-monitor", 0.25),
        org_runs_per_month=sum(runs_per_month(e) for e in org_schedules),
        org_check_memory_gb=sizes.get(f"{ORG_READINESS_RUN_NAME}-account", 0.25),
        org_report_memory_gb=sizes.get(f"{ORG_READINESS_RUN_NAME}-report", 1.0),
        org_concurrency=concurrency[0] if concurrency else 50,
    )  # fmt: skip


def _function_kind(name: str) -> str:
    for kind in ("notifier", "heartbeat-monitor"):
        if kind in name:
            return kind
    return "readiness"


def canary_cost(counted: Counted, accounts: int, *, organization: bool,
                usage: Usage = Usage()) -> float:  # fmt: skip
    """USD per month of the heartbeats: a schedule and an IAM write per account and interval
    (IAM and the first copy of management events in CloudTrail are free), the notifier's
    DynamoDB write, the monitor's scans, one metric without dimensions and its alarm."""
    beats = accounts * counted.heartbeats_per_month
    per_beat = (
        SCHEDULER_INVOCATION + DYNAMODB_WRITE + LAMBDA_REQUEST
        + usage.notifier_seconds * counted.notifier_memory_gb * LAMBDA_GB_SECOND
        + usage.log_kb_per_invocation / 1_000_000 * LOGS_INGESTED_GB
        # Members forward it to the security account's bus; one account's stays in us-east-1.
        + (EVENTBRIDGE_CROSS_ACCOUNT_EVENT if organization else 0)
    )  # fmt: skip
    scan_units = max(1, accounts * HEARTBEAT_ITEM_BYTES // 8192)
    per_check = (
        LAMBDA_REQUEST + scan_units * DYNAMODB_READ
        + usage.heartbeat_monitor_seconds * counted.monitor_memory_gb * LAMBDA_GB_SECOND
        + usage.log_kb_per_invocation / 1_000_000 * LOGS_INGESTED_GB
    )  # fmt: skip
    return (beats * per_beat + counted.monitor_runs_per_month * per_check
            + CLOUDWATCH_CUSTOM_METRIC_MONTH + CLOUDWATCH_ALARM_MONTH)  # fmt: skip


def org_run_cost(counted: Counted, accounts: int, usage: Usage = Usage()) -> float:
    """USD per month of the scheduled organization readiness run: per run, the parent's state
    transitions, one Express child workflow and one Lambda invocation per account, the
    aggregation, the bucket's writes, and Security Hub's ingestion of each finding."""
    per_account = (
        SFN_EXPRESS_REQUEST
        + usage.org_child_seconds * SFN_EXPRESS_GB_SECOND * SFN_EXPRESS_MEMORY_GB
        + LAMBDA_REQUEST + usage.org_check_seconds * counted.org_check_memory_gb * LAMBDA_GB_SECOND
        + usage.log_kb_per_invocation / 1_000_000 * LOGS_INGESTED_GB
        + usage.findings_per_account * SECURITY_HUB_FINDING_INGESTION
    )  # fmt: skip
    per_run = (
        usage.org_run_transitions * SFN_STANDARD_TRANSITION
        + usage.org_report_seconds_per_1000 * max(1, accounts / 1000)
        * counted.org_report_memory_gb * LAMBDA_GB_SECOND
        + usage.org_run_puts * S3_PUT
    )  # fmt: skip
    return counted.org_runs_per_month * (per_run + accounts * per_account)


def org_run_minutes(counted: Counted, accounts: int, usage: Usage = Usage()) -> float:
    """Wall time of one run: the children in waves of the map's concurrency, then the
    aggregation (its seconds per 1,000 accounts measured by bench/org_run.py)."""
    waves = math.ceil(accounts / counted.org_concurrency)
    aggregation = usage.org_report_seconds_per_1000 * max(1, accounts / 1000)
    return (waves * usage.org_child_seconds + aggregation) / 60


def monthly_cost(counted: Counted, accounts: int, *, organization: bool,
                 usage: Usage = Usage()) -> dict[str, float]:  # fmt: skip
    """USD per month by service for ``accounts`` accounts (all of them covered)."""
    runs = RUNS_PER_MONTH[counted.frequency]
    # One readiness evaluation per account checked: the organization-wide rule checks every
    # account; any other readiness rule (the management account's baseline) checks its own.
    readiness_checked = (accounts + counted.readiness_rules - 1) if organization else (
        counted.readiness_rules)  # fmt: skip
    evaluations = runs * accounts * (
        counted.account_evaluations + counted.user_evaluations * usage.iam_users_per_account
    ) + runs * readiness_checked
    alerts = accounts * usage.alerts_per_account
    readiness_invocations = runs * counted.readiness_rules
    readiness_seconds = readiness_invocations * usage.readiness_seconds_per_account * (
        accounts if organization else 1)  # fmt: skip
    invocations = alerts + readiness_invocations
    return {
        "AWS Config": evaluations * CONFIG_EVALUATION,
        "Lambda": invocations * LAMBDA_REQUEST
        + alerts * usage.notifier_seconds * counted.notifier_memory_gb * LAMBDA_GB_SECOND
        + readiness_seconds * counted.readiness_memory_gb * LAMBDA_GB_SECOND,
        "SNS": alerts * (SNS_PUBLISH + usage.email_recipients * SNS_EMAIL),
        # Forwarded to another account's bus, or from another region (an upper bound: events
        # recorded in us-east-1 of a single account are not forwarded).
        "EventBridge": alerts * EVENTBRIDGE_CROSS_ACCOUNT_EVENT,
        "KMS": counted.keys * KMS_KEY_MONTH + alerts * 2 * KMS_REQUEST,
        "CloudWatch": counted.alarms * CLOUDWATCH_ALARM_MONTH
        + invocations * usage.log_kb_per_invocation / 1_000_000 * LOGS_INGESTED_GB,
        "Canary": canary_cost(counted, accounts, organization=organization, usage=usage),
        "Org readiness run": org_run_cost(counted, accounts, usage) if organization else 0.0,
    }


def cost_table(single: Counted, organization: Counted, usage: Usage = Usage()) -> str:
    """The Markdown table README shows between its cost-model markers."""
    rows = []
    for accounts in COST_SIZES:
        org = accounts > 1
        cost = monthly_cost(organization if org else single, accounts, organization=org,
                            usage=usage)  # fmt: skip
        rows.append((f"{accounts:,}", "organization" if org else "single-account", cost))
    columns = list(rows[0][2])
    lines = ["| accounts | topology | " + " | ".join(columns) + " | total per month |",
             "|---:|---|" + "---:|" * (len(columns) + 1)]  # fmt: skip
    for accounts_text, topology, cost in rows:
        cells = " | ".join(f"${cost[c]:,.2f}" for c in columns)
        lines.append(f"| {accounts_text} | {topology} | {cells} | **${sum(cost.values()):,.2f}** |")
    lines.append("")
    runs = organization.org_runs_per_month or 1
    per_run = ", ".join(
        f"{n:,} accounts ${org_run_cost(organization, n, usage) / runs:,.2f} and "
        f"{org_run_minutes(organization, n, usage):.0f} min"
        for n in COST_SIZES if n > 1)  # fmt: skip
    lines.append(f"One organization readiness run (concurrency {organization.org_concurrency}): "
                 f"{per_run}.")
    lines.append("")
    lines.append(
        f"Assumptions (`Usage` in `bench/scale_model.py`): {usage.iam_users_per_account} IAM "
        f"users and {usage.alerts_per_account} alerts per account a month, "
        f"{usage.email_recipients} e-mail recipients, rules run {RUNS_PER_MONTH[single.frequency]} "
        "times a month (config-rule-frequency); list prices in us-east-1, free tiers "
        "ignored. Canary: a heartbeat per account every hour (schedule, forwarding, notifier, "
        "DynamoDB write), the monitor every 15 minutes, one metric and its alarm. Org readiness "
        "run: daily (org-readiness-schedule), an Express child and a 2-second check per account, "
        f"{usage.findings_per_account} Security Hub findings per account and run (ingestion "
        "priced beyond the free tier). Not included: the CloudTrail trail and the Config "
        "recorder you already run (see above)."
    )
    return "\n".join(lines)


def readme_cost_table(single_outdir: Path, organization_outdir: Path) -> str:
    organization_templates = templates_in(organization_outdir)
    (member,) = [name for name in organization_templates if "MemberBaseline" in name]
    return cost_table(count(templates_in(single_outdir), None),
                      count(organization_templates, member))  # fmt: skip


def update_readme(table: str, readme: Path = ROOT / "README.md") -> None:
    start, end = README_MARKERS
    text = readme.read_text()
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.DOTALL)
    readme.write_text(pattern.sub(lambda _: f"{start}\n{table}\n{end}", text))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--minutes-per-instance", type=float, default=3.0)
    parser.add_argument("--regions", type=int, default=2)
    parser.add_argument("--cost", action="store_true", help="print the monthly cost table")
    parser.add_argument("--update-readme", action="store_true",
                        help="with --cost: write the table into README.md")  # fmt: skip
    parser.add_argument("--outdir", type=Path, default=ROOT / "cdk.out")
    args = parser.parse_args(argv)
    if args.cost:
        table = readme_cost_table(args.outdir / "single-account", args.outdir / "organization")
        print(table)
        if args.update_readme:
            update_readme(table)
        return 0
    rows = [rollout(n, args.regions, args.minutes_per_instance) for n in (10, 100, 500, 2000)]
    columns = list(rows[0])
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        print("| " + " | ".join(f"{row[c]:g}" for c in columns) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
