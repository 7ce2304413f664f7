"""The scheduled organization readiness run: one Step Functions state machine in the security
account, on a Distributed Map.

    list accounts (Lambda) -> Distributed Map over the list (items read from S3, at most
    ``max_concurrency`` Express child workflows at once, each one Lambda that checks one account
    through its reader role; results written by the map's result writer) -> aggregate (Lambda:
    the report's four formats, Security Hub, the Config rule's summary, one change alert)

Everything it writes is in one bucket of ours (SSE-S3, TLS only, no public access). A failure in
one account is a finding of that account: the account Lambda turns every error it meets into a
finding, and a child that fails anyway (a crash, a timeout) is tolerated by the map (100 %) and
made a finding by the aggregation. The run itself failing (listing, aggregation, Security Hub
refusing findings, most children failing) fails the execution, and the alarm on the state
machine's failed, timed-out and aborted executions tells the operations topic.

The Lambda code is ``constructs_lib/detective/runtime`` (``org_run.py``), the same folder as the
Config rule's, with the same checks the laptop command runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from aws_cdk import (
    Acknowledgment,
    Aws,
    CfnElement,
    CfnResource,
    Duration,
    RemovalPolicy,
    Stack,
    Validations,
)
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from constructs_lib.detective.construct import RUNTIME_DIR
from constructs_lib.detective.runtime import org_run
from constructs_lib.lambda_dependencies import depend_on_role_policy_only
from constructs_lib.naming import (
    ORG_READINESS_ACCOUNT_ROLE_NAME,
    ORG_READINESS_RUN_NAME,
    READINESS_READER_ROLE_NAME,
)
from constructs_lib.phone_bundling import code_with_phonenumbers

RUN_NAME = ORG_READINESS_RUN_NAME
ACCOUNT_FUNCTION_NAME = ORG_READINESS_ACCOUNT_ROLE_NAME
LIST_FUNCTION_NAME = f"{RUN_NAME}-list"
REPORT_FUNCTION_NAME = f"{RUN_NAME}-report"
STATE_MACHINE_ROLE_NAME = f"{RUN_NAME}-run"
SCHEDULE_ROLE_NAME = f"{RUN_NAME}-schedule"
# Express child workflows run at most 5 minutes: every attempt of the account Lambda, and the
# waits between them, must fit (a test checks the synthesized definition).
EXPRESS_CHILD_LIMIT = Duration.minutes(5)
ACCOUNT_TIMEOUT = Duration.seconds(90)
ACCOUNT_RETRIES = 2
# bench/org_run.py: 5,000 accounts aggregate in seconds and well under 512 MB.
REPORT_TIMEOUT = Duration.minutes(10)
REPORT_MEMORY_MB = 1024
RUN_TIMEOUT = Duration.hours(2)
# The map's transient errors worth another attempt (the function's own errors are findings).
LAMBDA_TRANSIENT_ERRORS = [
    "Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
]  # fmt: skip


def bucket_name() -> str:
    """``mfa-guardrails-org-readiness-<account>-<region>``: globally unique, and ours by prefix."""
    return f"{RUN_NAME}-{Aws.ACCOUNT_ID}-{Aws.REGION}"


@dataclass(frozen=True, kw_only=True)
class OrganizationReadinessRunProps:
    """``max_concurrency``: accounts checked at once (config ``org-readiness-concurrency``);
    ``schedule_expression``: an EventBridge Scheduler ``rate(...)``/``cron(...)`` expression, or
    None for runs on demand only; ``target_ou_ids``: the OUs to check, nested OUs included (empty:
    the whole organization); the checks' settings as in the configuration."""

    max_concurrency: int
    schedule_expression: str | None
    alert_topic: sns.ITopic
    operations_topic: sns.ITopic
    home_region: str
    target_ou_ids: tuple[str, ...] = ()
    lockout_group_names: tuple[str, ...] = ("MfaRequired",)
    lockout_role_names: tuple[str, ...] = ()
    require_operations_contact: bool = False
    require_hardware_root_mfa: bool = False
    recovery_email_domains: tuple[str, ...] = ()
    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR

    def __post_init__(self) -> None:
        if not 1 <= self.max_concurrency <= 10_000:
            raise ValueError(
                f"invalid OrganizationReadinessRunProps: max_concurrency {self.max_concurrency} "
                "must be 1 to 10,000 (Distributed Map's limit of child workflows at once)"
            )


class OrganizationReadinessRun(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, props: OrganizationReadinessRunProps
    ) -> None:
        super().__init__(scope, construct_id)
        # Distributed Map's ResultWriter v2 (the v1 API is deprecated, and deprecated APIs fail
        # the synth here); a feature flag, set on this construct only.
        self.node.set_context("@aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2", True)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=bucket_name(),
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            lifecycle_rules=[
                # Each run's files; latest/ keeps the newest report for good.
                s3.LifecycleRule(id="ExpireOldRuns", prefix=org_run.RUNS_PREFIX,
                                 expiration=Duration.days(400)),
                s3.LifecycleRule(id="ExpireMapResults", prefix=org_run.RESULTS_PREFIX,
                                 expiration=Duration.days(30)),
                s3.LifecycleRule(id="ExpireOldVersions",
                                 noncurrent_version_expiration=Duration.days(30)),
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )  # fmt: skip
        Validations.of(self.bucket).acknowledge(Acknowledgment(
            id="AwsSolutions::AwsSolutions-S1",
            reason="Reports regenerated by every run, written only by this construct's roles "
            "(the guardrail SCP protects the bucket by name); reads are audited by the "
            "organization trail's S3 data events where enabled. A log bucket would need the "
            "same acknowledgment in turn.",
        ))  # fmt: skip
        code = code_with_phonenumbers(RUNTIME_DIR)
        environment = {
            org_run.BUCKET_ENV: self.bucket.bucket_name,
            org_run.TARGET_OU_IDS_ENV: " ".join(props.target_ou_ids),
            org_run.LOCKOUT_GROUPS_ENV: " ".join(props.lockout_group_names),
            org_run.LOCKOUT_ROLES_ENV: " ".join(props.lockout_role_names),
            org_run.REQUIRE_OPERATIONS_ENV: str(props.require_operations_contact).lower(),
            org_run.REQUIRE_HARDWARE_ENV: str(props.require_hardware_root_mfa).lower(),
            org_run.RECOVERY_EMAIL_DOMAINS_ENV: " ".join(props.recovery_email_domains),
            org_run.HOME_REGION_ENV: props.home_region,
            org_run.ALERT_TOPIC_ENV: props.alert_topic.topic_arn,
        }
        self.list_function = self._function(
            name=LIST_FUNCTION_NAME, handler="org_run.list_handler",
            what="lists the accounts of one organization readiness run",
            timeout=Duration.minutes(5), memory=256, props=props, code=code,
            environment=environment,
        )  # fmt: skip
        self.account_function = self._function(
            name=ACCOUNT_FUNCTION_NAME, handler="org_run.account_handler",
            what="checks one account through its readiness-reader role",
            timeout=ACCOUNT_TIMEOUT, memory=256, props=props, code=code,
            environment=environment,
        )  # fmt: skip
        self.report_function = self._function(
            name=REPORT_FUNCTION_NAME, handler="org_run.aggregate_handler",
            what="renders the organization readiness report, Security Hub findings, alerts",
            timeout=REPORT_TIMEOUT, memory=REPORT_MEMORY_MB, props=props, code=code,
            environment=environment,
        )  # fmt: skip
        self._grant(props)
        self.state_machine = self._state_machine(props)
        self.alarm = self._alarm(props)
        self.schedule = self._schedule(props) if props.schedule_expression else None

    # --- functions ----------------------------------------------------------------------------

    def _function(self, *, props: OrganizationReadinessRunProps, name: str, handler: str,
                  code: lambda_.Code, environment: dict[str, str], what: str,
                  timeout: Duration, memory: int) -> lambda_.Function:  # fmt: skip
        log_group = logs.LogGroup(
            self, f"{name}-logs", log_group_name=f"/aws/lambda/{name}",
            retention=props.log_retention, removal_policy=RemovalPolicy.RETAIN,
        )  # fmt: skip
        role = iam.Role(self, f"{name}-role", role_name=name,
                        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                        description=f"mfa-guardrails: {what}")  # fmt: skip
        log_group.grant_write(role)
        function = lambda_.Function(
            self, name, function_name=name, description=f"mfa-guardrails: {what}",
            runtime=lambda_.Runtime.PYTHON_3_14, architecture=lambda_.Architecture.ARM_64,
            handler=handler, code=code, role=role, log_group=log_group, timeout=timeout,
            memory_size=memory, environment=environment,
        )  # fmt: skip
        depend_on_role_policy_only(function, role)
        return function

    def _grant(self, props: OrganizationReadinessRunProps) -> None:
        runs = self.bucket.arn_for_objects(f"{org_run.RUNS_PREFIX}*")
        latest = self.bucket.arn_for_objects(f"{org_run.LATEST_PREFIX}*")
        results = self.bucket.arn_for_objects(f"{org_run.RESULTS_PREFIX}/*")
        list_role, account_role, report_role = (
            f.role for f in (self.list_function, self.account_function, self.report_function))
        assert list_role is not None  # set in _function, as the two others
        assert account_role is not None
        assert report_role is not None
        list_role.add_to_principal_policy(iam.PolicyStatement(
            sid="ListOrganizationAccounts",
            actions=["organizations:ListRoots", "organizations:ListAccountsForParent",
                     "organizations:ListOrganizationalUnitsForParent"],
            resources=["*"],
        ))
        list_role.add_to_principal_policy(iam.PolicyStatement(
            sid="WriteRunAccounts", actions=["s3:PutObject"], resources=[runs]))
        account_role.add_to_principal_policy(iam.PolicyStatement(
            sid="ReadCentralizedRootAccess", actions=["iam:ListOrganizationsFeatures"],
            resources=["*"],  # names no resource
        ))
        account_role.add_to_principal_policy(iam.PolicyStatement(
            sid="ReadMembersRootEmail", actions=["account:GetPrimaryEmail"],
            # account::<management id>:account/o-<org id>/<member id>
            resources=[f"arn:{Aws.PARTITION}:account::*:account/o-*/*"],
        ))
        account_role.add_to_principal_policy(iam.PolicyStatement(
            sid="AssumeReadinessReader", actions=["sts:AssumeRole"],
            resources=[f"arn:{Aws.PARTITION}:iam::*:role/{READINESS_READER_ROLE_NAME}"],
        ))
        report_role.add_to_principal_policy(iam.PolicyStatement(
            sid="ReadRunAndResults", actions=["s3:GetObject"], resources=[runs, results, latest]))
        # Without ListBucket a missing previous report reads as AccessDenied, not NoSuchKey.
        report_role.add_to_principal_policy(iam.PolicyStatement(
            sid="TellMissingFromDenied", actions=["s3:ListBucket"],
            resources=[self.bucket.bucket_arn]))
        report_role.add_to_principal_policy(iam.PolicyStatement(
            sid="WriteReports", actions=["s3:PutObject"], resources=[runs, latest]))
        report_role.add_to_principal_policy(iam.PolicyStatement(
            sid="ImportFindings", actions=["securityhub:BatchImportFindings"],
            resources=[f"arn:{Aws.PARTITION}:securityhub:{Aws.REGION}:{Aws.ACCOUNT_ID}:product/"
                       f"{Aws.ACCOUNT_ID}/default"],
        ))
        props.alert_topic.grant_publish(report_role)  # fmt: skip
        bucket = f"<{self._logical_id(self.bucket)}.Arn>"
        writes = ((list_role, ("runs",)), (report_role, ("runs", "results", "latest")))
        for role, prefixes in writes:
            Validations.of(role).acknowledge(*(Acknowledgment(
                id=f"AwsSolutions::AwsSolutions-IAM5[Resource::{bucket}/{prefix}/*]",
                reason="Objects under one prefix of this run's own bucket; their keys carry the "
                "execution and map run ids, unknown at synth.",
            ) for prefix in prefixes))  # fmt: skip
        Validations.of(list_role).acknowledge(Acknowledgment(
            id="AwsSolutions::AwsSolutions-IAM5[Resource::*]",
            reason="Organizations' list calls accept no resource narrower than the "
            "organization's, whose ids are not known at synth; read-only.",
        ))  # fmt: skip
        Validations.of(account_role).acknowledge(Acknowledgment(
            id="AwsSolutions::AwsSolutions-IAM5[Resource::*]",
            reason="iam:ListOrganizationsFeatures accepts no resource ARN; read-only (is "
            "centralized root access on: each root's recovery path).",
        ))  # fmt: skip
        Validations.of(account_role).acknowledge(Acknowledgment(
            id="AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:account::*:"
            "account/o-*/*]",
            reason="Reads (only) the primary e-mail of each member account of the organization: "
            "member ARNs are account::<management id>:account/<org id>/<member id>, unknown here.",
        ))  # fmt: skip
        Validations.of(account_role).acknowledge(Acknowledgment(
            id="AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/"
            f"{READINESS_READER_ROLE_NAME}]",
            reason="The one read-only reader role of every account of the organization; the "
            "account ids are known only when the run lists them.",
        ))  # fmt: skip
        Validations.of(report_role).acknowledge(Acknowledgment(
            id="AwsSolutions::AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
            reason="CDK's grant to publish to the encrypted alert topic, on the alerting key "
            "only; the wildcard covers GenerateDataKey and GenerateDataKeyWithoutPlaintext.",
        ))  # fmt: skip

    def _logical_id(self, construct: Construct) -> str:
        child = construct.node.default_child
        assert isinstance(child, CfnElement)
        return Stack.of(self).get_logical_id(child)

    # --- state machine ------------------------------------------------------------------------

    def _state_machine(self, props: OrganizationReadinessRunProps) -> sfn.StateMachine:
        list_accounts = tasks.LambdaInvoke(
            self, "ListAccounts", lambda_function=self.list_function,
            payload=sfn.TaskInput.from_object({"runId": sfn.JsonPath.execution_name}),
            payload_response_only=True, result_path="$.accounts", retry_on_service_exceptions=True,
        )  # fmt: skip
        check = tasks.LambdaInvoke(
            self, "CheckAccount", lambda_function=self.account_function,
            payload_response_only=True, retry_on_service_exceptions=False,
        )  # fmt: skip
        check.add_retry(errors=LAMBDA_TRANSIENT_ERRORS, interval=Duration.seconds(2),
                        backoff_rate=2, max_attempts=ACCOUNT_RETRIES)  # fmt: skip
        accounts = sfn.DistributedMap(
            self, "CheckEveryAccount",
            item_reader=sfn.S3JsonItemReader(bucket=self.bucket,
                                             key=sfn.JsonPath.string_at("$.accounts.key")),
            item_selector={"account": sfn.JsonPath.string_at("$$.Map.Item.Value")},
            max_concurrency=props.max_concurrency,
            # Every account's failure is a finding of that account (aggregation): never the
            # end of the run. The run fails if the aggregation finds most children failed.
            tolerated_failure_percentage=100,
            map_execution_type=sfn.StateMachineType.EXPRESS,
            result_writer_v2=sfn.ResultWriterV2(bucket=self.bucket,
                                                prefix=org_run.RESULTS_PREFIX),
            result_path="$.map", label="Accounts",
        )  # fmt: skip
        accounts.item_processor(check)
        aggregate = tasks.LambdaInvoke(
            self, "Aggregate", lambda_function=self.report_function,
            payload=sfn.TaskInput.from_object({
                "runId": sfn.JsonPath.string_at("$.accounts.runId"),
                "map": sfn.JsonPath.object_at("$.map"),
            }),
            payload_response_only=True, retry_on_service_exceptions=True,
        )  # fmt: skip
        log_group = logs.LogGroup(
            self, "RunLogs", log_group_name=f"/aws/vendedlogs/states/{RUN_NAME}",
            retention=props.log_retention, removal_policy=RemovalPolicy.RETAIN,
        )  # fmt: skip
        role = iam.Role(self, "RunRole", role_name=STATE_MACHINE_ROLE_NAME,
                        assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
                        description="mfa-guardrails: the organization readiness run")  # fmt: skip
        machine = sfn.StateMachine(
            self, "StateMachine", state_machine_name=RUN_NAME, role=role,
            definition_body=sfn.DefinitionBody.from_chainable(
                list_accounts.next(accounts).next(aggregate)),
            timeout=RUN_TIMEOUT, tracing_enabled=True,
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL,
                                include_execution_data=False),
            comment="mfa-guardrails: readiness of every account of the organization",
        )  # fmt: skip
        Validations.of(role).acknowledge(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-IAM5[Resource::*]",
                reason="Step Functions' log delivery and X-Ray calls accept no resource ARN "
                "(CDK's grants for logging and tracing).",
            ),
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::<"
                f"{self._logical_id(self.bucket)}>/*]",
                reason="The map reads its item list and writes its result files in this run's "
                "own bucket; the keys carry execution and map run ids (CDK's grants).",
            ),
            *(Acknowledgment(
                id=f"AwsSolutions::AwsSolutions-IAM5[Resource::<{self._logical_id(f)}.Arn>:*]",
                reason="CDK's grant to invoke the function and its versions; one function of "
                "this run.",
            ) for f in (self.list_function, self.account_function, self.report_function)),
        )  # fmt: skip
        # The role's policies are what the machine needs before it starts; the role itself is
        # implied by the RoleArn GetAtt (cfn-lint W3005).
        machine_resource = machine.node.default_child
        assert isinstance(machine_resource, CfnResource)
        machine_resource.add_override("DependsOn", sorted(
            d.logical_id for d in machine_resource.obtain_dependencies()
            if isinstance(d, CfnResource) and d.cfn_resource_type == "AWS::IAM::Policy"))
        # CDK's grant for the map's child executions: of this state machine only.
        # The partition renders as a token or, with the app's feature flags, as "aws".
        executions = (f"PARTITION:states:{Stack.of(self).region}:"
                      f"{Stack.of(self).account}:execution:" + json.dumps(
                          {"Fn::Select": [6, {"Fn::Split": [":", {
                              "Ref": self._logical_id(machine)}]}]}, separators=(",", ":")))
        map_policy = machine.node.find_child("DistributedMapPolicy")
        Validations.of(map_policy).acknowledge(*(Acknowledgment(
            id=f"AwsSolutions::AwsSolutions-IAM5[Resource::arn:"
               f"{executions.replace('PARTITION', partition)}{suffix}:*]",
            reason="The Distributed Map's own child executions and map runs (CDK's grant), "
            "of this state machine only; their ids are made at run time.",
        ) for suffix in ("", "/Accounts")
          for partition in ("<AWS::Partition>", "aws")))  # fmt: skip
        return machine

    def _alarm(self, props: OrganizationReadinessRunProps) -> cloudwatch.Alarm:
        period = Duration.hours(1)
        alarm = cloudwatch.Alarm(
            self, "RunFailedAlarm", alarm_name=f"{RUN_NAME}-failed",
            alarm_description="mfa-guardrails: an organization readiness run failed, timed out "
            "or was aborted (listing, aggregation, Security Hub, or most accounts failing): the "
            "report, Security Hub findings and Config evaluations are not current. See the "
            f"{RUN_NAME} state machine's executions.",
            metric=cloudwatch.MathExpression(
                expression="failed + timedOut + aborted",
                using_metrics={
                    "failed": self.state_machine.metric_failed(period=period, statistic="Sum"),
                    "timedOut": self.state_machine.metric_timed_out(period=period,
                                                                    statistic="Sum"),
                    "aborted": self.state_machine.metric_aborted(period=period, statistic="Sum"),
                },
                period=period,
            ),
            threshold=0, evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )  # fmt: skip
        alarm.add_alarm_action(cloudwatch_actions.SnsAction(props.operations_topic))
        return alarm

    def _schedule(self, props: OrganizationReadinessRunProps) -> scheduler.Schedule:
        assert props.schedule_expression is not None
        role = iam.Role(
            self, "ScheduleRole", role_name=SCHEDULE_ROLE_NAME,
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}}),
            description="mfa-guardrails: starts the scheduled organization readiness run",
        )  # fmt: skip
        return scheduler.Schedule(
            self, "Schedule", schedule_name=RUN_NAME,
            description="mfa-guardrails: the organization readiness run",
            schedule=scheduler.ScheduleExpression.expression(props.schedule_expression),
            target=scheduler_targets.StepFunctionsStartExecution(
                self.state_machine, role=role, retry_attempts=2,
                max_event_age=Duration.hours(1)),
        )  # fmt: skip
