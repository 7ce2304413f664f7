"""The heartbeat table the notifier writes, and the monitor that reads it.

Bounds (README, "How you know it works"): a canary writes every ``interval``; an account is
silent when nothing arrived for two intervals plus the quarter hour CloudTrail may take to deliver
(``silence_after``); the monitor runs every quarter hour and names newly silent accounts on the
operations topic at once, so at most ``silence_after`` + 15 minutes pass between the last
heartbeat that got through and the message. The alarm on the monitor's one metric is the
backstop (it also fires when the monitor itself stops): two quarter-hour periods later at most.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Validations
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from constructs_lib.alerting.runtime.correlation import TTL_ATTRIBUTE
from constructs_lib.canary.construct import CANARY_INTERVAL
from constructs_lib.heartbeats.runtime.monitor import NAMESPACE, SILENT_METRIC
from constructs_lib.lambda_dependencies import depend_on_role_policy_only
from constructs_lib.naming import PRODUCT_PREFIX

RUNTIME_DIR = Path(__file__).resolve().parent / "runtime"
CHECK_EVERY = Duration.minutes(15)
DELIVERY_ALLOWANCE = Duration.minutes(15)
"""How late CloudTrail may deliver an event to EventBridge and still count as on time."""
HEARTBEAT_TABLE_NAME = f"{PRODUCT_PREFIX}heartbeats"


def silence_after(interval: Duration) -> Duration:
    """Two missed heartbeats and the delivery allowance: one late event never alarms."""
    return Duration.minutes(2 * interval.to_minutes() + DELIVERY_ALLOWANCE.to_minutes())


@dataclass(frozen=True, kw_only=True)
class HeartbeatMonitorProps:
    """``notifier`` records heartbeats in the table; ``operations_topic`` hears of silences.
    ``expected_account_ids`` always send heartbeats; in the organization topology every active
    account under ``target_ids`` (OUs or the root) does too, listed through Organizations."""

    notifier: lambda_.Function
    operations_topic: sns.ITopic
    expected_account_ids: tuple[str, ...]
    target_ids: tuple[str, ...] = ()
    interval: Duration = CANARY_INTERVAL
    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR

    def __post_init__(self) -> None:
        if not self.expected_account_ids and not self.target_ids:
            raise ValueError(
                "invalid HeartbeatMonitorProps: no account to expect heartbeats from; set "
                "expected_account_ids (this account) or target_ids (the target OUs)"
            )


class HeartbeatMonitor(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, props: HeartbeatMonitorProps
    ) -> None:
        super().__init__(scope, construct_id)
        self.silence_after = silence_after(props.interval)
        self.table = dynamodb.Table(
            self,
            "Table",
            table_name=HEARTBEAT_TABLE_NAME,
            partition_key=dynamodb.Attribute(name="account", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            # Last-seen times, rebuilt by the next heartbeats; but an emptied table makes every
            # account look silent until then (an alarm for each, and an account that stopped
            # before the upgrade looks like every other): kept on deletion and replacement.
            removal_policy=RemovalPolicy.RETAIN,
            # The notifier's sign-in correlation items expire (heartbeats carry no such field).
            time_to_live_attribute=TTL_ATTRIBUTE,
        )
        props.notifier.add_environment("HEARTBEAT_TABLE", self.table.table_name)
        # PutItem: heartbeats; UpdateItem and GetItem: the Identity Center sign-in state
        # (alerting/runtime/correlation.py), conditional writes on its own "#…" keys.
        self.table.grant(props.notifier, "dynamodb:PutItem", "dynamodb:UpdateItem",
                         "dynamodb:GetItem")  # fmt: skip
        self.function = self._monitor(props)
        self.rule = events.Rule(
            self,
            "Schedule",
            rule_name=f"{PRODUCT_PREFIX}heartbeat-check",
            description="mfa-guardrails: look for accounts whose heartbeats stopped",
            schedule=events.Schedule.rate(CHECK_EVERY),
            targets=[targets.LambdaFunction(self.function, retry_attempts=2)],
        )
        self.alarm = cloudwatch.Alarm(
            self,
            "SilenceAlarm",
            alarm_name=f"{PRODUCT_PREFIX}silent-accounts",
            alarm_description=(
                "mfa-guardrails alerting: an account's canary heartbeats stopped reaching the "
                "notifier (its alerts may be lost; the operations topic has a message naming "
                "it), or the heartbeat monitor itself stopped reporting."
            ),
            metric=cloudwatch.Metric(
                namespace=NAMESPACE,
                metric_name=SILENT_METRIC,
                period=CHECK_EVERY,
                statistic="Maximum",
            ),
            threshold=0,
            evaluation_periods=2,
            datapoints_to_alarm=2,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            # No data means the monitor is not running: that is a silence too.
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
        )
        self.alarm.add_alarm_action(cloudwatch_actions.SnsAction(props.operations_topic))
        # Anyone may write the silence metric's namespace through the embedded metric format of
        # a log group of their own (no PutMetricData call for an SCP to deny): zeros written so
        # would hide a monitor that stopped. AWS/Lambda is AWS's alone: this alarm cannot be fed.
        self.stopped_alarm = cloudwatch.Alarm(
            self,
            "MonitorStoppedAlarm",
            alarm_name=f"{PRODUCT_PREFIX}heartbeat-monitor-stopped",
            alarm_description=(
                "mfa-guardrails alerting: the heartbeat monitor was not invoked (AWS/Lambda "
                "Invocations): silent accounts would go unnoticed."
            ),
            metric=self.function.metric_invocations(period=CHECK_EVERY, statistic="Sum"),
            threshold=1,
            evaluation_periods=2,
            datapoints_to_alarm=2,
            comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
        )
        self.stopped_alarm.add_alarm_action(cloudwatch_actions.SnsAction(props.operations_topic))

    def _monitor(self, props: HeartbeatMonitorProps) -> lambda_.Function:
        log_group = logs.LogGroup(
            self, "Logs", retention=props.log_retention,
            # Named with the product prefix: the guardrail SCP protects it by that name (a
            # CloudFormation-made name would let any admin delete the function's logs).
            log_group_name=f"/aws/lambda/{PRODUCT_PREFIX}heartbeat-monitor",
        )
        role = iam.Role(
            self,
            "Role",
            role_name=f"{PRODUCT_PREFIX}heartbeat-monitor",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="mfa-guardrails heartbeat monitor: read heartbeats, list target "
            "accounts, report silences",
        )
        log_group.grant_write(role)
        self.table.grant(role, "dynamodb:Scan", "dynamodb:PutItem")
        props.operations_topic.grant_publish(role)
        if props.target_ids:
            role.add_to_policy(iam.PolicyStatement(
                actions=["organizations:ListAccountsForParent", "organizations:ListChildren"],
                resources=["*"],
            ))  # fmt: skip
            Validations.of(role).acknowledge(Acknowledgment(
                id="AwsSolutions::AwsSolutions-IAM5[Resource::*]",
                reason="Organizations' list calls on the target OUs and their nested OUs, "
                "whose ids are not known at synth; read-only.",
            ))  # fmt: skip
        Validations.of(role).acknowledge(Acknowledgment(
            id="AwsSolutions::AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
            reason="CDK's grant to publish to the encrypted operations topic, on the alerting "
            "key only; the wildcard covers GenerateDataKey and GenerateDataKeyWithoutPlaintext.",
        ))  # fmt: skip
        environment = {
            "HEARTBEAT_TABLE": self.table.table_name,
            "OPERATIONS_TOPIC_ARN": props.operations_topic.topic_arn,
            "SILENCE_AFTER_SECONDS": str(int(self.silence_after.to_seconds())),
            "EXPECTED_ACCOUNT_IDS": " ".join(props.expected_account_ids),
            "TARGET_IDS": " ".join(props.target_ids),
        }
        function = lambda_.Function(
            self,
            "Function",
            function_name=f"{PRODUCT_PREFIX}heartbeat-monitor",
            description="mfa-guardrails: names the accounts whose canary heartbeats stopped",
            runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64,
            handler="monitor.handler",
            code=lambda_.Code.from_asset(str(RUNTIME_DIR), exclude=["__pycache__", "*.pyc"]),
            role=role,
            log_group=log_group,
            memory_size=256,
            timeout=Duration.minutes(5),
            environment={key: value for key, value in environment.items() if value},
        )
        depend_on_role_policy_only(function, role)
        return function
