"""The security (delegated-admin) account stack of the organization topology."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from aws_cdk import Stack
from constructs import Construct

from constructs_lib.alerting import Alerting
from constructs_lib.central_bus import CentralEventBus, CentralEventBusProps
from constructs_lib.detective import DetectiveControls
from constructs_lib.heartbeats import HeartbeatMonitor, HeartbeatMonitorProps
from constructs_lib.naming import MFA_REQUIRED_GROUP
from constructs_lib.org_readiness_run import OrganizationReadinessRun, OrganizationReadinessRunProps
from constructs_lib.org_readiness_run.construct import bucket_name
from mfa_guardrails.config import GuardrailsConfig
from stacks.account_baseline import detective_props
from stacks.alerting import alerting_props
from stacks.member_baseline import CENTRAL_BUS_NAME


class SecurityStack(Stack):
    """The central bus every account forwards to, the alerting that listens on it, and the
    organization-wide recovery-readiness check."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: GuardrailsConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        assert config.organization_id is not None  # config refuses an organization without it
        self.central_bus = CentralEventBus(
            self,
            "CentralBus",
            props=CentralEventBusProps(
                event_bus_name=CENTRAL_BUS_NAME, organization_id=config.organization_id
            ),
        )
        self.alerting = Alerting(
            self, "Alerting", props=alerting_props(config, event_bus=self.central_bus.bus)
        )
        # Heartbeats from the management account's canary (its baseline stack) and from every
        # member's (the StackSet), under the target OUs listed through Organizations.
        self.heartbeats = HeartbeatMonitor(
            self,
            "Heartbeats",
            props=HeartbeatMonitorProps(
                notifier=self.alerting.function,
                operations_topic=self.alerting.operations_topic,
                expected_account_ids=tuple(filter(None, (config.management_account_id,))),
                target_ids=config.target_ou_ids,
            ),
        )
        # Every account's readiness, checked through its reader role on a schedule (or on
        # demand: make org-readiness IN_AWS=1).
        self.org_readiness = OrganizationReadinessRun(
            self,
            "OrganizationReadinessRun",
            props=OrganizationReadinessRunProps(
                max_concurrency=config.org_readiness_concurrency,
                schedule_expression=config.org_readiness_schedule,
                alert_topic=self.alerting.topic,
                operations_topic=self.alerting.operations_topic,
                home_region=config.home_region,
                target_ou_ids=config.target_ou_ids,
                lockout_group_names=(MFA_REQUIRED_GROUP, *config.attach_to_group_names),
                lockout_role_names=config.attach_to_role_names,
                require_operations_contact=config.require_operations_contact,
                require_hardware_root_mfa=config.require_hardware_root_mfa,
                recovery_email_domains=config.recovery_email_domains,
            ),
        )
        # The security account's own readiness rule; one evaluation per member from the
        # latest run's results (the member StackSet stays asset-free; managed rules come from
        # it). A scheduled run older than two of its days is a finding here.
        self.readiness = DetectiveControls(
            self,
            "OrganizationReadiness",
            props=replace(
                detective_props(config, recovery_readiness=True),
                managed_rules=False,
                organization_run_bucket=bucket_name(),
                organization_run_max_age_hours=48 if config.org_readiness_schedule else None,
                alert_rules_region=config.home_region,
                alert_rule_buses=(CENTRAL_BUS_NAME, "default"),
                alert_topic_arn=self.alerting.topic.topic_arn,
            ),
        )
