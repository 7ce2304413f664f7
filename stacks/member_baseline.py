"""The member-account baseline the StackSet deploys to every account and region of the targets.

Environment-agnostic and asset-free (the readiness check runs centrally; the one function, which
tags our Config rules, is inline code), so one template serves every account and region. Global
resources carry a region condition: the IAM policy and group, and the global Config rules with
their tagger, exist only in the home region.
"""

from __future__ import annotations

from cdk_stacksets import StackSetStack
from constructs import Construct

from constructs_lib.canary import Canary, CanaryProps
from constructs_lib.detective import DetectiveControls
from constructs_lib.force_mfa import ForceMfa
from constructs_lib.forwarding import EventForwarding, EventForwardingProps
from constructs_lib.readiness_reader import ReadinessReader
from constructs_lib.regional import deploy_only_in
from mfa_guardrails.config import GuardrailsConfig
from stacks.account_baseline import detective_props, force_mfa_props, readiness_reader_props
from stacks.alerting import forwarded_patterns

CENTRAL_BUS_NAME = "mfa-guardrails-central"


def central_bus_arn(config: GuardrailsConfig) -> str:
    return (
        f"arn:aws:events:{config.home_region}:{config.security_account_id}:"
        f"event-bus/{CENTRAL_BUS_NAME}"
    )


def forwarding_props(config: GuardrailsConfig) -> EventForwardingProps:
    """Forward the catalog's events to the central bus (members and management): all but those
    about the notifier, its topics and key, which live in the security account only."""
    return EventForwardingProps(
        central_bus_arn=central_bus_arn(config),
        patterns=forwarded_patterns(config),
    )


class MemberBaselineStack(StackSetStack):
    def __init__(self, scope: Construct, construct_id: str, *, config: GuardrailsConfig) -> None:
        super().__init__(scope, construct_id)
        self.template_options.description = "member baseline (StackSet instance)"
        # Global resources in the home region only: IAM names would collide in a second region,
        # and global Config rules would report every finding twice.
        force_mfa = ForceMfa(self, "ForceMfa", props=force_mfa_props(config))
        deploy_only_in(force_mfa, config.home_region)
        # No readiness Lambda here (a StackSet template must be asset-free): the check runs in
        # each account's own CLI report, and the managed rules cover root and user MFA.
        detective = DetectiveControls(
            self, "Detective", props=detective_props(config, recovery_readiness=False)
        )
        deploy_only_in(detective, config.home_region)
        # The heartbeat: an IAM write (recorded in us-east-1 whatever the caller's region), so
        # one schedule per account, next to the other global resources.
        deploy_only_in(Canary(self, "Canary", props=CanaryProps()), config.home_region)
        deploy_only_in(
            ReadinessReader(self, "ReadinessReader", props=readiness_reader_props(config)),
            config.home_region,
        )
        # In every watched region (the StackSet's regions): IAM, account and root sign-in events
        # arrive in us-east-1 only, but IAM users' console sign-ins, AssumeRoot calls and changes
        # to trails and recorders are recorded where they happen; a rule where nothing arrives
        # costs nothing.
        self.forwarding = EventForwarding(self, "Forwarding", props=forwarding_props(config))
