"""Detective controls: AWS Config rules that find accounts and users that could not recover from a
lost MFA device, or never had one.

* AWS managed rules: ROOT_ACCOUNT_MFA_ENABLED, IAM_USER_MFA_ENABLED,
  MFA_ENABLED_FOR_IAM_CONSOLE_ACCESS, SECURITY_ACCOUNT_INFORMATION_PROVIDED, and
  ROOT_ACCOUNT_HARDWARE_MFA_ENABLED when hardware root MFA is required;
* ``mfa-guardrails-recovery-readiness``: a periodic custom rule whose small Lambda checks what the
  managed rules do not (``runtime/readiness.py``): a contact phone the recovery call can reach,
  alternate contacts, and a second MFA device for every console user.

Every rule here evaluates IAM or the Account, which are global: deployed in two regions, each
finding would be reported twice. The construct does not guess the region; the stack passes
``include_global_rules`` (True in the home region only), and :func:`global_rule_placement`
raises when a set of regions would hold them more than once, or nowhere.

Every rule is named ``mfa-guardrails-…`` so alerts match them by prefix, and tagged (constructs_lib/
rule_tags) so the guardrail SCP protects them: a rule's ARN carries an id, not its name.
AWS Config itself (a configuration recorder) must already be on in the region: Config rules cannot
be created without one, and most organizations already run it through Control Tower or their own
baseline, so this construct does not create a second one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Acknowledgment, Aws, Duration, RemovalPolicy, Validations
from aws_cdk import aws_config as config
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from constructs_lib.detective.runtime.handler import (
    ALERT_RULE_BUSES_ENV,
    ALERT_RULES_REGION_ENV,
    ALERT_TOPIC_ARN_ENV,
    ORG_READINESS_BUCKET_ENV,
    ORG_READINESS_MAX_AGE_ENV,
    RUN_SUMMARY_KEY,
)
from constructs_lib.naming import PRODUCT_PREFIX
from constructs_lib.phone_bundling import code_with_phonenumbers
from constructs_lib.rule_tags import ConfigRuleTags, ConfigRuleTagsProps

RUNTIME_DIR = Path(__file__).resolve().parent / "runtime"
READINESS_RULE_NAME = f"{PRODUCT_PREFIX}recovery-readiness"
READINESS_FUNCTION_NAME = f"{PRODUCT_PREFIX}recovery-readiness"
# Not in aws_config.ManagedRuleIdentifiers (aws-cdk-lib 2.275); a documented managed rule.
SECURITY_ACCOUNT_INFORMATION_PROVIDED = "SECURITY_ACCOUNT_INFORMATION_PROVIDED"
# Read-only calls of runtime/readiness.py; config:PutEvaluations writes the result.
READINESS_ACCOUNT_ACTIONS = ("account:GetContactInformation", "account:GetAlternateContact")
READINESS_IAM_USER_ACTIONS = ("iam:GetLoginProfile", "iam:ListMFADevices")
READINESS_UNSCOPED_ACTIONS = ("iam:GetAccountSummary", "iam:ListUsers", "config:PutEvaluations")
# Who would be locked out under enforce (readiness reports: runtime/readiness.py LockoutScope).
READINESS_LOCKOUT_ACTIONS = ("iam:ListGroupsForUser", "iam:ListAccessKeys",
                             "iam:GetAccessKeyLastUsed", "iam:GetRole",
                             "iam:ListVirtualMFADevices")  # fmt: skip
# Read-only calls of runtime/prerequisites.py (the alert path: trail, recorder, rules).
PREREQUISITE_ACTIONS = (
    "cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors",
    "config:DescribeConfigurationRecorderStatus", "events:ListRules",
)  # fmt: skip


def _organization_statements(props: DetectiveControlsProps) -> list[iam.PolicyStatement]:
    """Read the members' results of the latest organization readiness run (one object)."""
    return [
        iam.PolicyStatement(
            sid="ReadOrganizationRunSummary",
            actions=["s3:GetObject"],
            resources=[f"arn:{Aws.PARTITION}:s3:::{props.organization_run_bucket}/"
                       f"{RUN_SUMMARY_KEY}"],
        ),
    ]  # fmt: skip


def _prerequisite_statements(props: DetectiveControlsProps) -> list[iam.PolicyStatement]:
    """Read-only calls of runtime/prerequisites.py: is the alert path alive?"""
    statements = [
        iam.PolicyStatement(
            sid="ReadAlertPathPrerequisites",
            actions=list(PREREQUISITE_ACTIONS),
            resources=["*"],
        ),
    ]  # fmt: skip
    if props.alert_topic_arn:
        statements.append(iam.PolicyStatement(
            sid="ReadAlertSubscriptions",
            actions=["sns:ListSubscriptionsByTopic"],
            resources=[props.alert_topic_arn],
        ))  # fmt: skip
    return statements


def _environment(props: DetectiveControlsProps) -> dict[str, str]:
    environment: dict[str, str] = {}
    if props.organization_run_bucket:
        environment[ORG_READINESS_BUCKET_ENV] = props.organization_run_bucket
        if props.organization_run_max_age_hours:
            environment[ORG_READINESS_MAX_AGE_ENV] = str(props.organization_run_max_age_hours)
    if props.alert_rules_region:
        environment[ALERT_RULES_REGION_ENV] = props.alert_rules_region
        environment[ALERT_RULE_BUSES_ENV] = ",".join(props.alert_rule_buses)
        if props.alert_topic_arn:
            environment[ALERT_TOPIC_ARN_ENV] = props.alert_topic_arn
    return environment


def rule_name(identifier: str) -> str:
    """``ROOT_ACCOUNT_MFA_ENABLED`` -> ``mfa-guardrails-root-account-mfa-enabled``."""
    return PRODUCT_PREFIX + identifier.lower().replace("_", "-")


def global_rule_placement(*, home_region: str, regions: Sequence[str]) -> dict[str, bool]:
    """Which of ``regions`` gets ``include_global_rules=True``: the home region, and only it.

    ``regions`` are every region a detective-controls stack is deployed to (an empty list means
    the home region alone). Raises ValueError when the global rules would be deployed in no
    region or in several (duplicate findings for the same IAM users and root).
    """
    placement = {region: region == home_region for region in regions or (home_region,)}
    validate_global_rule_placement(placement)
    return placement


def validate_global_rule_placement(placement: Mapping[str, bool]) -> str:
    """Return the single region holding the global-IAM rules, or raise ValueError."""
    holders = sorted(region for region, include in placement.items() if include)
    if len(holders) == 1:
        return holders[0]
    if not holders:
        raise ValueError(
            "mfa-guardrails detective controls: the global IAM/account Config rules would be "
            f"deployed in no region (regions: {', '.join(sorted(placement)) or 'none'}). Fix: "
            "include the home region among the deployed regions, so exactly one region holds them"
        )
    raise ValueError(
        "mfa-guardrails detective controls: the global IAM/account Config rules would be "
        f"deployed in {len(holders)} regions ({', '.join(holders)}), reporting every finding "
        f"{len(holders)} times. Fix: set include_global_rules only in the home region"
    )


@dataclass(frozen=True, kw_only=True)
class DetectiveControlsProps:
    """What the detective controls deploy.

    ``include_global_rules`` is decided by the stack from its region (True in the home region
    only; see :func:`global_rule_placement`). All current rules are global, so False deploys
    nothing: the flag keeps region placement in one place as regional rules are added.
    ``require_operations_contact`` makes a missing OPERATIONS alternate contact a finding too.
    ``recovery_readiness=False`` deploys the managed rules only, with no Lambda and no asset: a
    StackSet template must be asset-free (there, place the rules with
    ``constructs_lib.regional.deploy_only_in(construct, home_region)``, and run the readiness
    check centrally or with ``mfa-guardrails readiness``).
    """

    include_global_rules: bool
    recovery_readiness: bool = True
    maximum_execution_frequency: config.MaximumExecutionFrequency = (
        config.MaximumExecutionFrequency.TWENTY_FOUR_HOURS
    )
    require_hardware_root_mfa: bool = False
    require_operations_contact: bool = False
    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR
    managed_rules: bool = True
    # The security account of an organization: the bucket of the scheduled organization
    # readiness run (constructs_lib/org_readiness_run), whose latest results become one
    # evaluation per member; a run older than the max age (hours; None: a run on demand only)
    # is a finding of this account.
    organization_run_bucket: str | None = None
    organization_run_max_age_hours: int | None = None
    # The alert path this account holds, checked by the readiness rule (trail, recorder, the
    # rules on these buses in that region, confirmed subscriptions of that topic); None: not
    # checked.
    alert_rules_region: str | None = None
    alert_rule_buses: tuple[str, ...] = ("default",)
    alert_topic_arn: str | None = None

    def __post_init__(self) -> None:
        if self.organization_run_bucket and not self.recovery_readiness:
            raise ValueError(
                "DetectiveControlsProps: the members' evaluations are written by the "
                "recovery-readiness Lambda; set recovery_readiness=True, or no "
                "organization_run_bucket"
            )


class DetectiveControls(Construct):
    """The MFA Config rules and the recovery-readiness custom rule with its Lambda."""

    def __init__(
        self, scope: Construct, construct_id: str, *, props: DetectiveControlsProps
    ) -> None:
        super().__init__(scope, construct_id)
        self.rules: dict[str, config.IRule] = {}
        self.function: lambda_.Function | None = None
        if not props.include_global_rules:
            return
        identifiers = [
            config.ManagedRuleIdentifiers.ROOT_ACCOUNT_MFA_ENABLED,
            config.ManagedRuleIdentifiers.IAM_USER_MFA_ENABLED,
            config.ManagedRuleIdentifiers.MFA_ENABLED_FOR_IAM_CONSOLE_ACCESS,
            SECURITY_ACCOUNT_INFORMATION_PROVIDED,
        ]
        if props.require_hardware_root_mfa:
            identifiers.append(config.ManagedRuleIdentifiers.ROOT_ACCOUNT_HARDWARE_MFA_ENABLED)
        # The security account of an organization gets the managed rules from the member
        # StackSet already; the same names twice in one account would collide.
        for identifier in identifiers if props.managed_rules else []:
            self.rules[identifier] = config.ManagedRule(
                self,
                identifier,
                identifier=identifier,
                config_rule_name=rule_name(identifier),
                description=f"mfa-guardrails: AWS managed rule {identifier}",
                maximum_execution_frequency=props.maximum_execution_frequency,
            )
        if props.recovery_readiness:
            self._readiness_rule(props)
        self._tag_rules(props)

    def _readiness_rule(self, props: DetectiveControlsProps) -> None:
        self.function = self._readiness_function(props)
        self.rules["RECOVERY_READINESS"] = config.CustomRule(
            self,
            "RecoveryReadiness",
            # By reference: the rule then depends on the invoke permission only; a dependency on
            # the function itself would repeat the GetAtt in SourceIdentifier (cfn-lint W3005).
            lambda_function=lambda_.Function.from_function_attributes(
                self,
                "ReadinessFunctionRef",
                function_arn=self.function.function_arn,
                same_environment=True,
            ),
            periodic=True,
            configuration_changes=False,
            config_rule_name=READINESS_RULE_NAME,
            description="mfa-guardrails: can the account and its console users recover from a "
            "lost MFA device? The annotation says what to fix.",
            maximum_execution_frequency=props.maximum_execution_frequency,
            input_parameters={
                "requireOperationsContact": "true" if props.require_operations_contact else "false"
            },
        )

    def _tag_rules(self, props: DetectiveControlsProps) -> None:
        """Mark every rule here as ours: the guardrail SCP protects the rules that carry the tag
        (their ARNs hold an id, not the name), and leaves a team's own rules to the team."""
        if not self.rules:
            return
        ConfigRuleTags(
            self,
            "RuleTags",
            props=ConfigRuleTagsProps(
                # The security account holds the member StackSet's managed rules and its own
                # readiness rule: one tagger each, named apart.
                name="managed-rules" if props.managed_rules else "readiness-rule",
                rules=list(self.rules.values()),
                log_retention=props.log_retention,
            ),
        )

    def _readiness_function(self, props: DetectiveControlsProps) -> lambda_.Function:
        log_group = logs.LogGroup(
            self,
            "ReadinessLogs",
            log_group_name=f"/aws/lambda/{READINESS_FUNCTION_NAME}",
            retention=props.log_retention,
            removal_policy=RemovalPolicy.RETAIN,
        )
        role = iam.Role(
            self,
            "ReadinessRole",
            role_name=f"{PRODUCT_PREFIX}recovery-readiness",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="mfa-guardrails: read-only recovery-readiness checks, PutEvaluations",
        )
        own_user_arns = f"arn:{Aws.PARTITION}:iam::{Aws.ACCOUNT_ID}:user/*"
        policy = iam.Policy(
            self,
            "ReadinessPolicy",
            statements=[
                iam.PolicyStatement(
                    sid="ReadAccountContacts",
                    actions=list(READINESS_ACCOUNT_ACTIONS),
                    resources=[f"arn:{Aws.PARTITION}:account::{Aws.ACCOUNT_ID}:account"],
                ),
                iam.PolicyStatement(
                    sid="ReadUserConsoleAndMfa",
                    actions=list(READINESS_IAM_USER_ACTIONS),
                    resources=[own_user_arns],
                ),
                iam.PolicyStatement(
                    sid="SummaryListAndEvaluations",
                    actions=list(READINESS_UNSCOPED_ACTIONS),
                    resources=["*"],
                ),
                *(_organization_statements(props) if props.organization_run_bucket else []),
                *(_prerequisite_statements(props) if props.alert_rules_region else []),
                iam.PolicyStatement(
                    sid="WriteOwnLogs",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[log_group.log_group_arn],
                ),
            ],
        )
        role.attach_inline_policy(policy)
        function = lambda_.Function(
            self,
            "ReadinessFunction",
            function_name=READINESS_FUNCTION_NAME,
            description="mfa-guardrails: recovery-readiness Config rule",
            runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64,
            handler="handler.handler",
            # The contact-phone check shares the notifier's phone.py and phonenumbers.
            code=code_with_phonenumbers(RUNTIME_DIR),
            # An immutable reference, not the Role construct: CustomRule would attach
            # AWSConfigRulesExecutionRole (config:Put*, config:Get*, s3:GetObject on every
            # Config bucket) to a mutable role, and Function's dependency on the Role construct
            # would repeat the GetAtt's (cfn-lint W3005). The inline policy is all it needs.
            role=iam.Role.from_role_arn(self, "ReadinessRoleRef", role.role_arn, mutable=False),
            log_group=log_group,
            memory_size=256,
            # One call per user for the login profile and one for devices: ~1,000 users fit,
            # or two calls per member account organization-wide.
            timeout=Duration.minutes(5),
            environment=_environment(props) or None,
        )
        # The policy must exist before Config first invokes the function.
        function.node.add_dependency(policy)
        Validations.of(policy).acknowledge(
                Acknowledgment(
                    id="AwsSolutions::AwsSolutions-IAM5"
                    "[Resource::arn:<AWS::Partition>:account::*:account/o-*/*]",
                    reason="Reads (only) the contacts of every member account of the "
                    "organization this account administers: member ARNs are "
                    "account::<management id>:account/<org id>/<member id>, all unknown here.",
                )
            )
        Validations.of(policy).acknowledge(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-IAM5[Resource::*]",
                reason="iam:GetAccountSummary, iam:ListUsers and config:PutEvaluations accept no "
                "resource ARN; all three are read-only or write only this rule's evaluations.",
            ),
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-IAM5"
                "[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:user/*]",
                reason="The check reads the login profile and MFA devices of every IAM user of "
                "this account (read-only); user/* is exactly that set.",
            ),
        )
        return function
