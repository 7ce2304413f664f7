"""The watched-event catalog against a real EventBridge pattern matcher (moto's).

Every catalog entry has a real-shaped sample event in ``tests/samples/`` (named ``<entry id>.json``
or ``<entry id>--<variant>.json``) that must match its synthesized rule and no other; look-alikes
(``lookalike--*.json``) must match no rule. Patterns come from the synthesized template, not from
Python objects. The notifier's own classifier must agree with the matcher, on the samples and on
mutated samples, so the rules and the messages share one source of truth.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto.events.models import EventPattern

from constructs_lib import naming
from constructs_lib.alerting.runtime import catalog
from constructs_lib.alerting.runtime.handler import classify
from constructs_lib.detective.runtime import prerequisites
from mfa_guardrails.config import EMBEDDED_DEFAULT, aws_regions, load_config
from stacks.alerting import alerting_props
from tests import eventbridge
from tests.events import dict_paths
from tests.test_alerting_construct import synth_alerting

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = Path(__file__).resolve().parent / "samples"
RUNTIME = ROOT / "constructs_lib" / "alerting" / "runtime"
README_START = "<!-- catalog:start -->"
README_END = "<!-- catalog:end -->"


def _load(path: Path) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(path.read_text())
    return event


SAMPLE_FILES = sorted(SAMPLES.glob("*.json"))
WATCHED = [path for path in SAMPLE_FILES if not path.name.startswith("lookalike--")]
LOOKALIKES = [path for path in SAMPLE_FILES if path.name.startswith("lookalike--")]


def expected_entry(path: Path) -> str:
    return path.stem.split("--")[0]


@cache
def rule_matchers() -> dict[str, EventPattern]:
    """moto's EventBridge matcher for each synthesized rule, by catalog entry id."""
    return {
        entry_id: EventPattern.load(json.dumps(pattern))
        for entry_id, pattern in synth_alerting("default").rule_patterns().items()
    }


def matching_rules(event: Any) -> list[str]:
    return eventbridge.matching(rule_matchers(), event)


# --- samples ----------------------------------------------------------------------------------


def test_every_entry_has_a_sample() -> None:
    assert {expected_entry(path) for path in WATCHED} == set(catalog.BY_ID)


@pytest.mark.parametrize("path", WATCHED, ids=lambda path: path.stem)
def test_sample_matches_its_rule_and_no_other(path: Path) -> None:
    event = _load(path)
    assert matching_rules(event) == [expected_entry(path)]
    entry = classify(event)
    assert entry is not None
    assert entry.id == expected_entry(path)


@pytest.mark.parametrize("path", LOOKALIKES, ids=lambda path: path.stem)
def test_lookalike_matches_no_rule(path: Path) -> None:
    event = _load(path)
    assert matching_rules(event) == []
    assert classify(event) is None


def test_samples_are_real_shaped() -> None:
    """EventBridge envelope plus the CloudTrail record (or Config change) AWS documents."""
    envelope = {"version", "id", "detail-type", "source", "account", "time", "region", "resources"}
    for path in SAMPLE_FILES:
        event = _load(path)
        assert envelope <= set(event), path.name
        detail = event["detail"]
        if event["detail-type"] == catalog.SIGN_IN_ANOMALY:
            # AWS documents the envelope of this event, not its detail: the samples carry none.
            assert detail == {}, path.name
            continue
        if event["detail-type"] == catalog.CONFIG_COMPLIANCE_CHANGE:
            assert {"configRuleName", "newEvaluationResult", "messageType"} <= set(detail)
            continue
        # userIdentity is documented as always present; the "no identity" variants drop it to
        # prove an alert does not depend on it.
        required = {"eventVersion", "eventTime"} | (
            set() if "identity" in path.stem else {"userIdentity"}
        )
        assert required <= set(detail), path.name
        assert {
            "eventTime",
            "eventSource",
            "eventName",
            "awsRegion",
            "sourceIPAddress",
            "userAgent",
            "eventID",
            "eventType",
            "recipientAccountId",
        } <= set(detail), path.name
        identity = detail.get("userIdentity")
        if identity is not None:  # the absent-identity variants lack it on purpose
            assert {"type", "accountId"} <= set(identity), path.name
        assert event["region"] == detail["awsRegion"], path.name


@pytest.mark.parametrize("path", WATCHED, ids=lambda path: path.stem)
def test_sample_is_recorded_where_aws_records_it(path: Path) -> None:
    """IAM, account and root sign-in events in us-east-1 only; the others in the regions their
    entry is watched in (catalog.Lands), so the deployment must listen there."""
    entry = catalog.BY_ID[expected_entry(path)]
    region = _load(path)["region"]
    if entry.lands is catalog.Lands.US_EAST_1:
        assert region == "us-east-1", path.name
    else:
        assert region in aws_regions(), path.name


# --- one source of truth: classifier == EventBridge on mutated samples ------------------------

INTERESTING = st.sampled_from(
    [
        "Root",
        "IAMUser",
        "AssumedRole",
        "Yes",
        "No",
        "Success",
        "Failure",
        "NON_COMPLIANT",
        "COMPLIANT",
        "mfa-guardrails-",
        "mfa-guardrails-x",
        "aws.iam",
        "aws.signin",
        "DeactivateMFADevice",
        "ConsoleLogin",
        "",
    ]
)
VALUES = st.recursive(
    INTERESTING | st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(["type", "MFAUsed", "ConsoleLogin", "x"]), children)
    ),
    max_leaves=6,
)
DELETE = object()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_classifier_agrees_with_eventbridge_on_mutated_samples(data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(SAMPLE_FILES), label="sample")
    event = copy.deepcopy(_load(path))
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        paths = dict_paths(event)
        if not paths:
            break
        target = data.draw(st.sampled_from(paths), label="path")
        value = data.draw(st.just(DELETE) | VALUES, label="value")
        parent = event
        for key in target[:-1]:
            parent = parent[key]
        if value is DELETE:
            del parent[target[-1]]
        else:
            parent[target[-1]] = value
    rules = matching_rules(event)
    chosen = entry.id if (entry := classify(event)) else None
    if _list_on_a_matched_field(event):
        # EventBridge matches an array when any element matches, so MFAUsed ["Yes", "No"] fits
        # both root sign-in entries: real events carry scalars here. The classifier must still
        # pick one of the rules EventBridge would deliver to (or none when none would).
        assert chosen in rules if rules else chosen is None, (chosen, rules)
    else:
        assert len(rules) <= 1, f"entries are not disjoint: {rules}"
        assert chosen == (rules[0] if rules else None)


MATCHED_PATHS = {c.path for entry in catalog.ENTRIES for c in entry.conditions()}


def _list_on_a_matched_field(event: Any) -> bool:
    return any(isinstance(catalog.lookup(event, path), list) for path in MATCHED_PATHS)


# --- catalog hygiene --------------------------------------------------------------------------


def test_catalog_entries_are_complete() -> None:
    ids = [entry.id for entry in catalog.ENTRIES]
    assert len(ids) == len(set(ids))
    for entry in catalog.ENTRIES:
        assert entry.title.isascii(), entry.id  # SNS subjects must be ASCII
        assert len(entry.title) <= 70, entry.id  # leaves room for severity and account id
        assert entry.why
        assert entry.what_to_do
        assert entry.shows or entry.raw_detail, entry.id
        assert entry.severity in catalog.Severity


def test_config_rules_of_every_owner_are_matched_and_lookalikes_are_not() -> None:
    entry = catalog.BY_ID["config-rule-noncompliant"]
    (names,) = [c for c in entry.match if c.path == ("detail", "configRuleName")]
    owners = {
        "mfa-guardrails-recovery-readiness": "mfa-guardrails",
        "securityhub-root-account-mfa-enabled-4109eab4": "AWS Security Hub",
        "AWSControlTower_AWS-GR_IAM_USER_MFA_ENABLED": "AWS Control Tower",
        "mfa-enabled-for-iam-console-access-conformance-pack-szsm1uv0w": "a conformance pack",
        "OrgConfigRule-root-account-hardware-mfa-enabled-dbgzf8ba": "an organization Config rule",
        "iam-user-mfa-enabled": "a rule with the console's default name",
    }
    for name, owner in owners.items():
        assert names.test(name), name
        assert catalog.config_rule_owner(name) == owner
    for lookalike in ("root-account-mfa-enabled-report", "securityhub-root-account-mfa-enabled",
                      "my-iam-user-mfa-enabled", "securityhub-s3-bucket-mfa-delete-enabled-1"):
        assert not names.test(lookalike), lookalike


def test_every_pattern_fits_eventbridge() -> None:
    """PutRule accepts an EventPattern of at most 4,096 characters."""
    for entry in catalog.ENTRIES:
        assert len(json.dumps(entry.pattern(), separators=(",", ":"))) <= 4096, entry.id


def test_runtime_names_are_the_products() -> None:
    """The runtime repeats two names of constructs_lib/naming.py (it ships without it)."""
    assert catalog.PRODUCT_PREFIX == naming.PRODUCT_PREFIX
    assert prerequisites.PRODUCT_PREFIX == naming.PRODUCT_PREFIX
    assert catalog.MFA_REQUIRED_GROUP == naming.MFA_REQUIRED_GROUP


def test_markdown_table_is_in_readme() -> None:
    """README's table between the catalog markers is exactly ``markdown_table()``.

    To update it, paste the output of
    ``python -c "from constructs_lib.alerting.runtime.catalog import markdown_table as t;
    print(t(), end='')"`` between the markers.
    """
    readme = (ROOT / "README.md").read_text()
    missing = f"README.md needs the catalog table between {README_START} and {README_END}"
    assert README_START in readme, missing
    assert README_END in readme, missing
    section = readme.split(README_START, 1)[1].split(README_END, 1)[0]
    assert section.strip() == catalog.markdown_table().strip()


# --- the runtime ships alone --------------------------------------------------------------------


def test_runtime_imports_neither_cdk_nor_boto3() -> None:
    code = (
        "import sys, constructs_lib.alerting.runtime.handler as h; "
        "assert h.ENTRIES; "
        "print(sorted(m for m in ('aws_cdk', 'boto3', 'jsii') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_runtime_works_as_the_lambda_code_root() -> None:
    """In Lambda the runtime folder is the root and the handler is "handler.handler"."""
    code = (
        "import json, sys; sys.path.insert(0, '.'); import handler; "
        f"event = json.load(open({str(SAMPLES / 'root-signin-no-mfa.json')!r})); "
        "print(handler.classify(event).id)"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-B", "-c", code],
        cwd=RUNTIME,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "root-signin-no-mfa"


def test_config_findings_can_be_restricted_to_our_own_rules() -> None:
    """other-owners-config-rules = false: Security Hub's rule stays quiet, ours still alerts,
    in the deployed rules (alerting_props) as in the forwarded ones."""
    config = load_config({**EMBEDDED_DEFAULT, "mfa-guardrails:other-owners-config-rules": "false"})
    (narrowed,) = [e for e in alerting_props(config).entries if e.id == "config-rule-noncompliant"]
    ours: Any = _load(SAMPLES / "config-rule-noncompliant.json")
    theirs: Any = _load(SAMPLES / "config-rule-noncompliant--security-hub.json")
    assert narrowed.matches(ours)
    assert not narrowed.matches(theirs)
    assert EventPattern.load(json.dumps(narrowed.pattern())).matches_event(ours)
    assert not EventPattern.load(json.dumps(narrowed.pattern())).matches_event(theirs)
    assert catalog.BY_ID["config-rule-noncompliant"].matches(theirs)  # the default


def test_hardware_root_mfa_findings_alert_only_when_required() -> None:
    """Another owner's ROOT_ACCOUNT_HARDWARE_MFA_ENABLED turning NON_COMPLIANT (root uses a
    virtual device) is an alert only with require-hardware-root-mfa; the other MFA rules of
    every owner, and ours, alert either way."""
    theirs: Any = _load(SAMPLES / "config-rule-noncompliant--security-hub.json")
    hardware: Any = copy.deepcopy(theirs)
    hardware["detail"]["configRuleName"] = "securityhub-root-account-hardware-mfa-enabled-5d7e1c"
    console_default: Any = copy.deepcopy(theirs)
    console_default["detail"]["configRuleName"] = "root-account-hardware-mfa-enabled"
    ours: Any = _load(SAMPLES / "config-rule-noncompliant.json")
    ours["detail"]["configRuleName"] = "mfa-guardrails-root-account-hardware-mfa-enabled"
    for required in (False, True):
        config = load_config({**EMBEDDED_DEFAULT,
                              "mfa-guardrails:require-hardware-root-mfa": str(required).lower()})
        (entry,) = [e for e in alerting_props(config).entries if e.id == "config-rule-noncompliant"]
        matcher = EventPattern.load(json.dumps(entry.pattern()))
        for event, alerts in ((hardware, required), (console_default, required), (theirs, True),
                              (ours, True)):  # fmt: skip
            assert entry.matches(event) is alerts, (required, event["detail"]["configRuleName"])
            assert matcher.matches_event(event) is alerts
    # The notifier still words such an event right (its catalog is the superset).
    assert classify(hardware) is catalog.BY_ID["config-rule-noncompliant"]
