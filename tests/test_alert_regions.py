"""Every sample event, recorded in the region where AWS records it, reaches exactly one alert
rule through the deployed topology: directly (us-east-1 of one account; the alerting account's
own changes) or through the forwarding rules that a StackSet puts in every watched region.

The rules and regions come from the synthesized templates (the StackSets' regions, the
forwarding template's patterns, the alerting rules and their buses); moto's EventBridge matcher
decides each hop.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from moto.events.models import EventPattern

from constructs_lib.alerting.runtime import catalog
from tests import eventbridge
from tests.policy.policies import resources_of
from tests.synth import Synthesized

# Both topologies' templates (asked for by name inside the tests): declared here, so these tests
# run once those synths are done (tests/conftest.py orders tests by the synths they need).
pytestmark = pytest.mark.usefixtures("default_synth", "org_synth")
SAMPLES = Path(__file__).resolve().parent / "samples"
WATCHED = sorted(p for p in SAMPLES.glob("*.json") if not p.name.startswith("lookalike--"))
SIGN_IN_ENDPOINT_REGIONS = {"us-east-2", "eu-north-1", "ap-southeast-2"}


@dataclass(frozen=True)
class Rule:
    name: str
    matcher: EventPattern
    central_bus: bool  # listens on the central (or us-east-1 default) bus, not where recorded


def _matching(rules: tuple[Rule, ...], event: dict[str, Any]) -> list[str]:
    return eventbridge.matching({rule.name: rule.matcher for rule in rules}, event)


@dataclass(frozen=True)
class Deployment:
    """What one topology deploys: the alerting region, alert rules, and forwarding."""

    alerting_region: str
    alert_rules: tuple[Rule, ...]
    forward_regions: frozenset[str]
    forward_rules: tuple[Rule, ...]

    def alerts(self, event: dict[str, Any]) -> list[str]:
        """The catalog entries that alert on ``event``, recorded in its own region."""
        region = event["region"]
        fired: list[str] = []
        # Recorded in the alerting account and region: its default-bus rules see it directly.
        if region == self.alerting_region:
            fired += _matching(tuple(r for r in self.alert_rules if not r.central_bus), event)
        # Forwarded from any watched region to the bus the other alert rules listen on.
        if region in self.forward_regions and _matching(self.forward_rules, event):
            fired += _matching(tuple(r for r in self.alert_rules if r.central_bus), event)
        return [name.removeprefix("mfa-guardrails-") for name in fired]


def _rules(template: dict[str, Any], *, central: bool | None) -> tuple[Rule, ...]:
    return tuple(
        Rule(
            name=rule["Name"],
            matcher=eventbridge.load(rule["EventPattern"]),
            central_bus=central if central is not None else "EventBusName" in rule,
        )
        for rule in resources_of(template, "AWS::Events::Rule").values()
        if "EventPattern" in rule  # not the heartbeat monitor's schedule
    )


def _stack_set_regions(template: dict[str, Any], name: str) -> frozenset[str]:
    (stack_set,) = [s for s in resources_of(template, "AWS::CloudFormation::StackSet").values()
                    if s["StackSetName"] == name]  # fmt: skip
    (group,) = stack_set["StackInstancesGroup"]
    return frozenset(group["Regions"])


def _stack_set_template(synth: Synthesized, fragment: str) -> dict[str, Any]:
    (path,) = Path(synth.outdir).glob(f"*{fragment}*.stackset.template.json")
    template: dict[str, Any] = json.loads(path.read_text())
    return template


@pytest.fixture(scope="module")
def single(default_synth: Synthesized) -> Deployment:
    alerting = default_synth.templates["MfaGuardrailsAlerting"]
    return Deployment(
        alerting_region="us-east-1",
        # Forwarded events arrive on the same default bus: every rule listens to both.
        alert_rules=tuple(
            Rule(r.name, r.matcher, central)
            for r in _rules(alerting, central=False) for central in (False, True)
        ),
        forward_regions=_stack_set_regions(alerting, "mfa-guardrails-regional-forwarding"),
        forward_rules=_rules(_stack_set_template(default_synth, "RegionalForwarding"),
                             central=True),
    )  # fmt: skip


@pytest.fixture(scope="module")
def organization(org_synth: Synthesized) -> Deployment:
    management = org_synth.templates["MfaGuardrailsManagement"]
    member_regions = _stack_set_regions(management, "mfa-guardrails-member-baseline")
    # The management account forwards through its own StackSet, with the same template rules.
    assert _stack_set_regions(management, "mfa-guardrails-management-forwarding") == (
        frozenset(org_synth.config.watched_regions))
    return Deployment(
        alerting_region=org_synth.config.home_region,
        alert_rules=_rules(org_synth.templates["MfaGuardrailsSecurity"], central=None),
        forward_regions=member_regions,
        forward_rules=_rules(_stack_set_template(org_synth, "MemberBaseline"), central=True),
    )  # fmt: skip


def _recorded(path: Path, deployment: Deployment) -> dict[str, Any]:
    """The sample; changes to the notifier, its topics and key are recorded where the alerting
    runs, whichever region the sample was written for."""
    event: dict[str, Any] = json.loads(path.read_text())
    if catalog.BY_ID[path.stem.split("--")[0]].alerting_account_only:
        event["region"] = event["detail"]["awsRegion"] = deployment.alerting_region
    return event


@pytest.mark.parametrize("path", WATCHED, ids=lambda path: path.stem)
@pytest.mark.parametrize("topology", ["single", "organization"])
def test_sample_alerts_once_from_where_it_is_recorded(
    path: Path, topology: str, request: pytest.FixtureRequest
) -> None:
    deployment: Deployment = request.getfixturevalue(topology)
    assert deployment.alerts(_recorded(path, deployment)) == [path.stem.split("--")[0]]


@pytest.mark.parametrize("topology", ["single", "organization"])
def test_iam_user_sign_ins_are_caught_in_every_sign_in_endpoint_region(
    topology: str, request: pytest.FixtureRequest
) -> None:
    """The global sign-in endpoint records IAM users in us-east-2, eu-north-1 or ap-southeast-2;
    a regional endpoint in its own region: every region enabled by default is watched."""
    deployment: Deployment = request.getfixturevalue(topology)
    event = json.loads((SAMPLES / "iam-user-signin-no-mfa.json").read_text())
    for region in sorted(SIGN_IN_ENDPOINT_REGIONS | set(deployment.forward_regions)):
        event["region"] = event["detail"]["awsRegion"] = region
        assert deployment.alerts(event) == ["iam-user-signin-no-mfa"], region


@pytest.mark.parametrize("topology", ["single", "organization"])
def test_another_owners_hardware_root_finding_is_quiet_unless_required(
    topology: str, request: pytest.FixtureRequest
) -> None:
    """Neither example requires hardware root MFA: Security Hub's hardware rule finding root on
    a virtual device reaches no rule; its root-MFA rule still alerts (synthesized topology)."""
    deployment: Deployment = request.getfixturevalue(topology)
    config = request.getfixturevalue(f"{'default' if topology == 'single' else 'org'}_synth").config
    assert not config.require_hardware_root_mfa
    event = json.loads((SAMPLES / "config-rule-noncompliant--security-hub.json").read_text())
    assert deployment.alerts(event) == ["config-rule-noncompliant"]
    event["detail"]["configRuleName"] = "securityhub-root-account-hardware-mfa-enabled-5d7e1c"
    assert deployment.alerts(event) == []
