"""The alerting stack of the single-account topology, pinned to us-east-1 where the events are."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from constructs import Construct

from constructs_lib.alerting import Alerting, AlertingProps
from constructs_lib.alerting.runtime.catalog import entries
from mfa_guardrails.config import GuardrailsConfig


def alerting_props(config: GuardrailsConfig, **overrides: Any) -> AlertingProps:
    """The alerting settings of a configuration (one mapping for both topologies)."""
    return AlertingProps(
        notification_emails=config.notification_emails,
        operations_emails=config.operations_emails or None,
        slack_workspace_id=config.slack_workspace_id,
        slack_channel_id=config.slack_channel_id,
        entries=entries(other_owners_config_rules=config.other_owners_config_rules),
        **overrides,
    )


class AlertingStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: GuardrailsConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.alerting = Alerting(self, "Alerting", props=alerting_props(config))
