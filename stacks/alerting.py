"""The alerting stack of the single-account topology, pinned to us-east-1 where the events are."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from constructs import Construct

from constructs_lib.alerting import Alerting, AlertingProps
from constructs_lib.alerting.construct import EVENTS_REGION
from constructs_lib.alerting.runtime.catalog import Entry, entries
from constructs_lib.heartbeats import HeartbeatMonitor, HeartbeatMonitorProps
from constructs_lib.naming import PRODUCT_PREFIX
from constructs_lib.regional_forwarding import RegionalForwarding, RegionalForwardingProps
from mfa_guardrails.config import GuardrailsConfig


def deployed_entries(config: GuardrailsConfig) -> tuple[Entry, ...]:
    """The catalog entries a configuration deploys (one mapping for rules and forwarding)."""
    return entries(other_owners_config_rules=config.other_owners_config_rules,
                   exempt_names=config.exempt_names,
                   require_hardware_root_mfa=config.require_hardware_root_mfa)  # fmt: skip


def forwarded_patterns(config: GuardrailsConfig) -> dict[str, dict[str, Any]]:
    """The patterns other regions and accounts forward: every entry but those about the notifier,
    its topics and key, which are watched where they live."""
    return {
        entry.id: entry.pattern()
        for entry in deployed_entries(config)
        if not entry.alerting_account_only
    }


def alerting_props(config: GuardrailsConfig, **overrides: Any) -> AlertingProps:
    """The alerting settings of a configuration (one mapping for both topologies)."""
    return AlertingProps(
        notification_emails=config.notification_emails,
        operations_emails=config.operations_emails or None,
        slack_workspace_id=config.slack_workspace_id,
        slack_channel_id=config.slack_channel_id,
        entries=deployed_entries(config),
        recovery_admins=config.exempt_admin_arns,
        recovery_email_domains=config.recovery_email_domains,
        **overrides,
    )


class AlertingStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: GuardrailsConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.alerting = Alerting(self, "Alerting", props=alerting_props(config))
        # This account's canary (in the baseline stack) is the one heartbeat expected.
        self.heartbeats = HeartbeatMonitor(
            self,
            "Heartbeats",
            props=HeartbeatMonitorProps(
                notifier=self.alerting.function,
                operations_topic=self.alerting.operations_topic,
                expected_account_ids=(self.account,),
            ),
        )
        # Every other region where an alert's event can be recorded forwards to this region's
        # default bus, where the rules above listen.
        regions = [region for region in config.watched_regions if region != EVENTS_REGION]
        if regions:
            self.regional_forwarding = RegionalForwarding(
                self,
                "RegionalForwarding",
                props=RegionalForwardingProps(
                    stack_set_name=f"{PRODUCT_PREFIX}regional-forwarding",
                    target_bus_arn=f"arn:aws:events:{EVENTS_REGION}:{self.account}:"
                    "event-bus/default",
                    patterns=forwarded_patterns(config),
                    regions=regions,
                ),
            )
