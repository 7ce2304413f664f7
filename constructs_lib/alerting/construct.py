"""Responsive alerts: EventBridge rules built from the watched-event catalog, a notifier Lambda
that writes one human message per event, and encrypted SNS topics that deliver it.

Nothing is silently lost: EventBridge retries delivery to the notifier, then parks the event in a
dead-letter queue; the notifier's own asynchronous invocations retry, then land in an on-failure
queue; and CloudWatch alarms on both queues and on the notifier's errors publish to a separate
operations topic. Topics and queues share one customer-managed KMS key (rotated yearly), whose
policy lets EventBridge and CloudWatch use it: the AWS-managed SNS/SQS keys would refuse them.

The IAM, sign-in and account-contact events this watches reach EventBridge only in us-east-1, so
the construct refuses any other concrete region (:func:`check_region`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import (
    Acknowledgment,
    Duration,
    RemovalPolicy,
    Stack,
    Token,
    Validations,
)
from aws_cdk import aws_chatbot as chatbot
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from constructs_lib.alerting.runtime.catalog import (
    ENTRIES,
    EXEMPT_NAMES_VARIABLE,
    RECOVERY_ADMINS_VARIABLE,
    RECOVERY_EMAIL_DOMAINS_VARIABLE,
    Entry,
    exempt_names_of,
)
from constructs_lib.event_patterns import l2_pattern, set_pattern
from constructs_lib.lambda_dependencies import depend_on_role_policy_only
from constructs_lib.naming import PRODUCT_PREFIX
from constructs_lib.phone_bundling import code_with_phonenumbers

RUNTIME_DIR = Path(__file__).resolve().parent / "runtime"
ALERT_TOPIC_NAME = f"{PRODUCT_PREFIX}alerts"
EVENTS_REGION = "us-east-1"
RULE_MAX_EVENT_AGE = Duration.hours(4)
NOTIFIER_MAX_EVENT_AGE = Duration.hours(1)


def check_region(region: str) -> None:
    """Refuse a concrete region other than us-east-1, where the watched events never arrive.

    IAM, AWS sign-in and Account Management are global services whose CloudTrail events are
    delivered to EventBridge in us-east-1 only; rules anywhere else would stay silent forever.
    An unresolved region (an environment-agnostic stack) cannot be checked here.
    """
    if Token.is_unresolved(region) or region == EVENTS_REGION:
        return
    raise ValueError(
        f"mfa-guardrails alerting cannot work in region {region!r}: IAM, console sign-in and "
        f"account-contact events reach EventBridge only in {EVENTS_REGION}. "
        f"Fix: deploy the alerting stack to {EVENTS_REGION} (mfa-guardrails:home-region)."
    )


@dataclass(frozen=True, kw_only=True)
class AlertingProps:
    """Who is told, and how hard delivery is retried.

    ``operations_emails`` receive the alarms about the alerting itself (dead letters, notifier
    errors); None means the same addresses as ``notification_emails``. Slack delivery through AWS
    Chatbot needs both Slack ids (the workspace must first be authorized in the Chatbot console).
    ``event_bus`` is the bus the rules listen on: None for the account's default bus, or the
    central bus that member accounts forward to in the organization topology.
    """

    notification_emails: tuple[str, ...] = ()
    operations_emails: tuple[str, ...] | None = None
    slack_workspace_id: str | None = None
    slack_channel_id: str | None = None
    event_bus: events.IEventBus | None = None
    entries: tuple[Entry, ...] = ENTRIES
    # Who may run `mfa-guardrails recover` under the SCPs (the configuration's admins and
    # break-glass): an alert their recovery caused says "expected", anyone else's does not.
    recovery_admins: tuple[str, ...] = ()
    # The organization's mail domains: the root e-mail change alert says if the new one is ours.
    recovery_email_domains: tuple[str, ...] = ()
    reserved_concurrency: int | None = None
    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR
    rule_retry_attempts: int = 10
    rule_max_event_age: Duration = RULE_MAX_EVENT_AGE
    notifier_retry_attempts: int = 2
    notifier_max_event_age: Duration = NOTIFIER_MAX_EVENT_AGE

    def __post_init__(self) -> None:
        problems = []
        if (self.slack_workspace_id is None) != (self.slack_channel_id is None):
            problems.append("set both slack_workspace_id and slack_channel_id, or neither")
        if not 0 <= self.rule_retry_attempts <= 185:
            problems.append("rule_retry_attempts must be 0..185 (EventBridge's limit)")
        if not 0 <= self.notifier_retry_attempts <= 2:
            problems.append("notifier_retry_attempts must be 0..2 (Lambda's asynchronous limit)")
        if self.reserved_concurrency is not None and self.reserved_concurrency < 1:
            problems.append("reserved_concurrency must be at least 1 (0 would drop every alert)")
        if not self.entries:
            problems.append("entries must not be empty")
        if problems:
            raise ValueError("invalid AlertingProps: " + "; ".join(problems))


class Alerting(Construct):
    """Alert topic, operations topic, notifier Lambda, one rule per catalog entry, DLQs, alarms."""

    check_region = staticmethod(check_region)

    def __init__(self, scope: Construct, construct_id: str, *, props: AlertingProps) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        if props.event_bus is None:  # the default bus: the events must arrive in this region
            check_region(stack.region)

        self.key = kms.Key(
            self,
            "Key",
            # The guardrail SCP finds the key by this alias (key ARNs carry an id, not a name).
            alias=f"alias/{PRODUCT_PREFIX}alerting",
            enable_key_rotation=True,
            description="mfa-guardrails alerting: encrypts the alert and operations topics and "
            "the dead-letter queues",
        )
        # EventBridge writes undeliverable events to the (encrypted) rule dead-letter queue;
        # CloudWatch alarms publish to the (encrypted) operations topic.
        for sid, service in (
            ("EventBridgeUsesKey", "events.amazonaws.com"),
            ("CloudWatchUsesKey", "cloudwatch.amazonaws.com"),
        ):
            self.key.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=sid,
                    principals=[iam.ServicePrincipal(service)],
                    actions=["kms:Decrypt", "kms:GenerateDataKey"],
                    resources=["*"],
                    conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
                )
            )

        self.topic = sns.Topic(
            self,
            "AlertTopic",
            topic_name=ALERT_TOPIC_NAME,
            display_name="mfa-guardrails alerts",
            master_key=self.key,
            enforce_ssl=True,
        )
        self.operations_topic = sns.Topic(
            self,
            "OperationsTopic",
            topic_name=f"{PRODUCT_PREFIX}operations",
            display_name="mfa-guardrails alerting operations",
            master_key=self.key,
            enforce_ssl=True,
        )
        operations_emails = (
            props.notification_emails
            if props.operations_emails is None
            else props.operations_emails
        )
        for topic, emails in (
            (self.topic, props.notification_emails),
            (self.operations_topic, operations_emails),
        ):
            for email in emails:
                topic.add_subscription(subscriptions.EmailSubscription(email))

        self.rule_dead_letter_queue = self._queue("RuleDeadLetterQueue", "rule-dead-letters")
        self.notifier_failure_queue = self._queue("NotifierFailureQueue", "notifier-failures")
        self.function = self._notifier(props)
        self.rules = [self._rule(entry, props) for entry in props.entries]
        self.alarms = self._alarms()
        self.slack: chatbot.SlackChannelConfiguration | None = None
        if props.slack_workspace_id and props.slack_channel_id:
            self.slack = chatbot.SlackChannelConfiguration(
                self,
                "Slack",
                slack_channel_configuration_name=f"mfa-guardrails-{stack.stack_name}"[:128],
                slack_workspace_id=props.slack_workspace_id,
                slack_channel_id=props.slack_channel_id,
                notification_topics=[self.topic, self.operations_topic],
                # Notifications only: nobody may run AWS commands from the channel.
                guardrail_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("AWSDenyAll")],
                logging_level=chatbot.LoggingLevel.ERROR,
                # Named with the product prefix, so the guardrail SCP protects it.
                role=iam.Role(
                    self,
                    "SlackRole",
                    role_name=f"{PRODUCT_PREFIX}chatbot-{stack.region}",
                    assumed_by=iam.ServicePrincipal("chatbot.amazonaws.com"),
                    description="mfa-guardrails: AWS Chatbot delivers alerts to Slack",
                ),
            )

    def _queue(self, construct_id: str, name: str) -> sqs.Queue:
        queue = sqs.Queue(
            self,
            construct_id,
            queue_name=f"{PRODUCT_PREFIX}{name}",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.key,
            enforce_ssl=True,
            retention_period=Duration.days(14),
            # It holds alerts that were not delivered: kept when its stack is deleted or an
            # upgrade would replace it, so they can still be read and replayed.
            removal_policy=RemovalPolicy.RETAIN,
        )
        Validations.of(queue).acknowledge(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-SQS3",
                reason="This queue is itself a dead-letter queue (of undeliverable alert events); "
                "its depth is alarmed to the operations topic instead.",
            )
        )
        return queue

    def _notifier(self, props: AlertingProps) -> lambda_.Function:
        names = exempt_names_of(props.entries)
        log_group = logs.LogGroup(
            self, "NotifierLogs", retention=props.log_retention,
            # Named with the product prefix: the guardrail SCP protects it by that name (a
            # CloudFormation-made name would let any admin delete the function's logs).
            log_group_name=f"/aws/lambda/{PRODUCT_PREFIX}notifier",
        )
        # An explicit role and log group instead of AWSLambdaBasicExecutionRole: the function may
        # write to its own log group only, and the managed policy's logs:* on every group is gone.
        role = iam.Role(
            self,
            "NotifierRole",
            role_name=f"{PRODUCT_PREFIX}notifier",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="mfa-guardrails alert notifier: write its logs, publish alerts",
        )
        log_group.grant_write(role)
        function = lambda_.Function(
            self,
            "Notifier",
            function_name=f"{PRODUCT_PREFIX}notifier",
            description="mfa-guardrails: turns a watched event into one alert message",
            runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64,
            handler="handler.handler",
            # phonenumbers comes with the runtime, copied from this venv: no Docker, no pip.
            code=code_with_phonenumbers(RUNTIME_DIR),
            role=role,
            log_group=log_group,
            memory_size=256,
            timeout=Duration.seconds(30),
            environment={
                "TOPIC_ARN": self.topic.topic_arn,
                # The notifier classifies what the rules deliver: the exempt names they watch.
                **({EXEMPT_NAMES_VARIABLE: " ".join(names)} if names else {}),
                **({RECOVERY_ADMINS_VARIABLE: " ".join(props.recovery_admins)}
                   if props.recovery_admins else {}),
                **({RECOVERY_EMAIL_DOMAINS_VARIABLE: " ".join(props.recovery_email_domains)}
                   if props.recovery_email_domains else {}),
            },
            reserved_concurrent_executions=props.reserved_concurrency,
            retry_attempts=props.notifier_retry_attempts,
            max_event_age=props.notifier_max_event_age,
            on_failure=destinations.SqsDestination(self.notifier_failure_queue),
        )
        self.topic.grant_publish(role)
        depend_on_role_policy_only(function, role)
        Validations.of(role).acknowledge(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
                reason="CDK's grants to publish to the encrypted topic and to send to the "
                "encrypted on-failure queue, on this construct's one key only; the wildcard "
                "covers GenerateDataKey and GenerateDataKeyWithoutPlaintext.",
            ),
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-IAM5[Action::kms:ReEncrypt*]",
                reason="CDK's grant to send to the encrypted on-failure queue (the Lambda "
                "destination), on this construct's one key only; the wildcard covers "
                "ReEncryptFrom and ReEncryptTo.",
            ),
        )
        return function

    def _rule(self, entry: Entry, props: AlertingProps) -> events.Rule:
        pattern = entry.pattern()
        rule = events.Rule(
            self,
            f"Rule-{entry.id}",
            rule_name=f"{PRODUCT_PREFIX}{entry.id}",
            # Changes to the notifier, its topics and key are recorded in this account, so
            # they reach its own default bus, never the central one.
            event_bus=None if entry.alerting_account_only else props.event_bus,
            description=f"mfa-guardrails alert {entry.id} ({entry.severity.value}): {entry.title}"[
                :512
            ],
            event_pattern=l2_pattern(pattern),
            targets=[
                targets.LambdaFunction(
                    self.function,
                    dead_letter_queue=self.rule_dead_letter_queue,
                    retry_attempts=props.rule_retry_attempts,
                    max_event_age=props.rule_max_event_age,
                )
            ],
        )
        set_pattern(rule, pattern)
        return rule

    def _alarms(self) -> list[cloudwatch.Alarm]:
        five_minutes = Duration.minutes(5)
        watched = [
            (
                "RuleDeadLettersAlarm",
                "Alert events EventBridge could not deliver to the notifier are waiting in the "
                "rule dead-letter queue: read them, they are unreported security events.",
                self.rule_dead_letter_queue.metric_approximate_number_of_messages_visible(
                    period=five_minutes, statistic="Maximum"
                ),
            ),
            (
                "NotifierFailuresAlarm",
                "The notifier failed to publish alerts after its retries; the events are waiting "
                "in its on-failure queue: read them, they are unreported security events.",
                self.notifier_failure_queue.metric_approximate_number_of_messages_visible(
                    period=five_minutes, statistic="Maximum"
                ),
            ),
            (
                "NotifierErrorsAlarm",
                "The alert notifier raised errors (it retries; check its log group).",
                self.function.metric_errors(period=five_minutes, statistic="Sum"),
            ),
        ]
        alarms = []
        for construct_id, description, metric in watched:
            alarm = cloudwatch.Alarm(
                self,
                construct_id,
                # Named with the product prefix, so the guardrail SCP protects it.
                alarm_name=PRODUCT_PREFIX
                + re.sub(r"(?<!^)(?=[A-Z])", "-", construct_id.removesuffix("Alarm")).lower(),
                alarm_description=f"mfa-guardrails alerting: {description}",
                metric=metric,
                threshold=0,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(cloudwatch_actions.SnsAction(self.operations_topic))
            alarms.append(alarm)
        return alarms
