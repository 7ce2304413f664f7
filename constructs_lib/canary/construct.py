"""A schedule that tags the canary role, as the canary role, once per interval.

The write is real: CloudTrail records the ``TagRole`` in us-east-1 like every IAM event, so the
heartbeat travels exactly where an MFA alert would (trail, default bus, forwarding rules, the
central bus, the alert rules, the notifier), and the notifier records it instead of publishing.

Asset-free (an EventBridge Scheduler universal target calls IAM directly, no Lambda), so the
member StackSet can carry it. The role may tag itself with the heartbeat tag and nothing else;
the guardrail SCP confines it to its own role as well.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Aws, Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from constructs import Construct

from constructs_lib.alerting.runtime.catalog import CANARY_ROLE_NAME, HEARTBEAT_TAG_KEY

CANARY_INTERVAL = Duration.hours(1)


@dataclass(frozen=True, kw_only=True)
class CanaryProps:
    """``interval``: how often the heartbeat is written; the heartbeat monitor's silence bound is
    derived from it (constructs_lib/heartbeats)."""

    interval: Duration = CANARY_INTERVAL

    def __post_init__(self) -> None:
        minutes = self.interval.to_minutes()
        if not 5 <= minutes <= 24 * 60:
            raise ValueError(
                f"invalid CanaryProps: interval {minutes} minutes must be 5..1440 "
                "(more often costs without telling more; less often hides a dead path for a day)"
            )


class Canary(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, props: CanaryProps) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            role_name=CANARY_ROLE_NAME,
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            ),
            description="mfa-guardrails canary: tags itself each interval, proving the alert "
            "path alive",
        )
        role_arn = f"arn:{Aws.PARTITION}:iam::{Aws.ACCOUNT_ID}:role/{CANARY_ROLE_NAME}"
        self.schedule = scheduler.Schedule(
            self,
            "Schedule",
            schedule_name=CANARY_ROLE_NAME,
            description="mfa-guardrails canary: the heartbeat's IAM write",
            schedule=scheduler.ScheduleExpression.rate(props.interval),
            target=scheduler_targets.Universal(
                service="iam",
                action="tagRole",
                role=self.role,
                input=scheduler.ScheduleTargetInput.from_object({
                    "RoleName": CANARY_ROLE_NAME,
                    "Tags": [{
                        "Key": HEARTBEAT_TAG_KEY,
                        "Value": scheduler.ContextAttribute.scheduled_time,
                    }],
                }),
                policy_statements=[iam.PolicyStatement(
                    actions=["iam:TagRole"],
                    resources=[role_arn],
                    conditions={"ForAllValues:StringEquals": {"aws:TagKeys": [HEARTBEAT_TAG_KEY]}},
                )],
                # A missed heartbeat is the signal; retrying for hours would only blur it.
                retry_attempts=2,
                max_event_age=Duration.minutes(15),
            ),
        )  # fmt: skip
