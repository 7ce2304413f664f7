"""The read-only role the organization readiness report assumes: in every member (the StackSet,
home region only) and in the management account, trusted by the security account alone, allowed
the readiness checks' read calls and nothing else; absent from the single-account topology."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from constructs_lib.naming import READINESS_READER_ROLE_NAME
from constructs_lib.readiness_reader import ReadinessReaderProps
from constructs_lib.readiness_reader.construct import READER_ACTIONS
from mfa_guardrails.config import load_config
from tests.policy.policies import resources_of
from tests.synth import ORGANIZATION_EXAMPLE, Synthesized

SECURITY = ORGANIZATION_EXAMPLE["mfa-guardrails:security-account-id"]
READ_PREFIXES = ("Get", "List", "Describe")


def _reader(template: dict[str, Any]) -> dict[str, Any] | None:
    roles = [r for r in resources_of(template, "AWS::IAM::Role").values()
             if r.get("RoleName") == READINESS_READER_ROLE_NAME]  # fmt: skip
    return roles[0] if roles else None


def _check(role: dict[str, Any] | None) -> None:
    assert role is not None
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Action"] == "sts:AssumeRole"
    assert json.dumps(trust["Principal"]).count(f":iam::{SECURITY}:root") == 1
    # Not the whole security account: its break-glass and admin principals only (a permission-set
    # pattern in its two exact forms: mfa_guardrails/config.py), and the scheduled organization
    # run's account function.
    assert trust["Condition"] == {"ArnLike": {"aws:PrincipalArn": [
        *load_config(ORGANIZATION_EXAMPLE).exempt_admin_arns,
        f"arn:aws:iam::{SECURITY}:role/mfa-guardrails-org-readiness-account",
    ]}}  # fmt: skip
    (policy,) = role["Policies"]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert set(statement["Action"]) == set(READER_ACTIONS)
    for action in statement["Action"]:  # read-only, every one
        assert action.split(":", 1)[1].startswith(READ_PREFIXES), action


def test_members_and_the_management_account_have_the_reader(org_synth: Synthesized) -> None:
    (path,) = Path(org_synth.outdir).glob("*MemberBaseline*.stackset.template.json")
    member = json.loads(path.read_text())
    _check(_reader(member))
    (logical_id,) = [k for k, r in member["Resources"].items()
                     if r["Type"] == "AWS::IAM::Role"
                     and r["Properties"].get("RoleName") == READINESS_READER_ROLE_NAME]  # fmt: skip
    condition = member["Resources"][logical_id]["Condition"]
    assert member["Conditions"][condition] == {
        "Fn::Equals": [{"Ref": "AWS::Region"}, ORGANIZATION_EXAMPLE["mfa-guardrails:home-region"]]
    }
    _check(_reader(org_synth.templates["MfaGuardrailsManagementBaseline"]))


def test_one_account_has_no_reader(default_synth: Synthesized) -> None:
    assert all(_reader(t) is None for t in default_synth.templates.values())


@pytest.mark.parametrize("value", ["", "12345678901", "arn:aws:iam::222222222222:root"])
def test_the_trusted_account_must_be_an_account_id(value: str) -> None:
    with pytest.raises(ValueError, match="must be a 12-digit account id"):
        ReadinessReaderProps(trusted_account_id=value)
