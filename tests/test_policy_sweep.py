"""A fixed slice of the catalog sweep (``tests/policy/sweep.py``; the whole sweep is
``make sweep``): every invariant, every principal kind, MFA true/false/absent."""

from __future__ import annotations

import pytest

from constructs_lib.naming import PRODUCT_PREFIX as PREFIX
from constructs_lib.naming import STACK_NAME_PREFIX as STACK_PREFIX
from tests.policy.proofs import Proofs
from tests.policy.sweep import SweepCell, catalog, failures
from tests.synth import Synthesized


@pytest.fixture(scope="session")
def sweep_slice(proofs: Proofs) -> list[SweepCell]:
    """A fixed 2 % of the whole sweep (tests/policy/proofs.py: evaluated in the background)."""
    return proofs.sweep_slice.result()


def test_catalog_covers_the_services_that_matter() -> None:
    services = {a.service for a in catalog()}
    assert services >= {"iam", "sts", "account", "organizations", "cloudtrail", "config",
                        "events", "sns", "sqs", "lambda", "kms"}  # fmt: skip
    assert len(catalog()) >= 700


def test_slice_keeps_every_invariant(sweep_slice: list[SweepCell]) -> None:
    assert {c.invariant for c in sweep_slice} == {
        "a:force-mfa-bootstrap-only", "b:protected", "b:devices-and-contacts", "c:admins-can",
    }  # fmt: skip
    assert len(sweep_slice) >= 1000


def test_sweep_slice_holds(sweep_slice: list[SweepCell], proofs: Proofs) -> None:
    assert failures(sweep_slice, proofs.sweep_decisions.result()) == []


# Resource types whose loss silences an alert or lifts a guardrail, and their name property.
NAMED = {
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::Events::Rule": "Name",
    "AWS::Events::EventBus": "Name",
    "AWS::KMS::Alias": "AliasName",
    "AWS::CloudWatch::Alarm": "AlarmName",
}


@pytest.mark.parametrize("configuration", ["default", "organization"])
def test_every_product_resource_is_named_for_the_guardrail_scp(
    configuration: str, default_synth: Synthesized, org_synth: Synthesized
) -> None:
    """The guardrail SCP protects the product's resources by name (mfa-guardrails-*): a resource
    CDK would name, or a key without our alias, would be outside it."""
    synth = default_synth if configuration == "default" else org_synth
    unnamed = [f"stack {name}" for name in synth.templates if not name.startswith(STACK_PREFIX)]
    for stack, template in synth.templates.items():
        resources = template["Resources"]
        for logical_id, resource in resources.items():
            key = NAMED.get(resource["Type"])
            if key is None:
                continue
            name = resource["Properties"].get(key)
            if isinstance(name, dict) and "Fn::Join" in name:  # e.g. a per-region role name
                name = "".join(p for p in name["Fn::Join"][1] if isinstance(p, str))
            if not (isinstance(name, str) and name.removeprefix("alias/").startswith(PREFIX)):
                unnamed.append(f"{stack}/{logical_id}: {name!r}")
        keys = [i for i, r in resources.items() if r["Type"] == "AWS::KMS::Key"]
        aliased = {
            r["Properties"]["TargetKeyId"]["Fn::GetAtt"][0]
            for r in resources.values() if r["Type"] == "AWS::KMS::Alias"
        }  # fmt: skip
        unnamed += [f"{stack}/{k}: a key without an alias" for k in keys if k not in aliased]
    assert unnamed == []
