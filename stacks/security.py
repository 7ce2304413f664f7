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
        # The recovery-readiness check of every member, run here rather than in each account
        # (the member StackSet stays asset-free); managed rules come from the StackSet.
        self.readiness = DetectiveControls(
            self,
            "OrganizationReadiness",
            props=replace(
                detective_props(config, recovery_readiness=True),
                managed_rules=False,
                organization_wide=True,
                alert_rules_region=config.home_region,
                alert_rule_buses=(CENTRAL_BUS_NAME, "default"),
                alert_topic_arn=self.alerting.topic.topic_arn,
            ),
        )
