"""Configuration: the default loads, every bad value stops synth naming the field, value and fix."""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest

from mfa_guardrails.config import (
    CONFIG_FILE_VARIABLE,
    CONTEXT_PREFIX,
    EMBEDDED_DEFAULT,
    ConfigError,
    Enforcement,
    Topology,
    config_keys,
    config_warnings,
    effective_context,
    load_config,
    read_config_file,
)
from tests.background import Job
from tests.synth import ROOT, default_context

P = CONTEXT_PREFIX
ORG = {
    P + "topology": "organization",
    P + "management-account-id": "111111111111",
    P + "security-account-id": "222222222222",
    P + "organization-id": "o-a1b2c3d4e5",
    P + "target-ou-ids": ["ou-ab12-cd34ef56"],
    P + "security-account-ou-id": "ou-ab12-cd34ef56",
    P + "target-regions": ["us-east-1"],
}


def problems_for(overrides: dict[str, Any]) -> tuple[str, ...]:
    with pytest.raises(ConfigError) as caught:
        load_config({**default_context(), **overrides})
    return caught.value.problems


def test_embedded_default_is_single_account_audit() -> None:
    config = load_config(default_context())
    assert config.topology is Topology.SINGLE_ACCOUNT
    assert config.enforcement is Enforcement.AUDIT
    assert config.home_region == "us-east-1"
    assert config.notification_emails == ("security-alerts@example.com",)


def test_every_default_key_is_known() -> None:
    assert set(default_context()) <= set(config_keys())


def test_string_overrides_from_dash_c_are_parsed() -> None:
    config = load_config(
        {
            **default_context(),
            P + "notification-emails": "a@example.com, b@example.org",
            P + "target-regions": '["us-east-1","eu-west-1"]',
            P + "management-account-id": 123456789012,
        }
    )
    assert config.notification_emails == ("a@example.com", "b@example.org")
    assert config.target_regions == ("us-east-1", "eu-west-1")
    assert config.management_account_id == "123456789012"


def test_security_in_management_with_opt_in_loads() -> None:
    config = load_config({**default_context(), **ORG, P + "security-account-id": "111111111111",
                          P + "allow-security-in-management": True})  # fmt: skip
    assert config.allow_security_in_management


def test_organization_config_loads() -> None:
    config = load_config(
        {**default_context(), **ORG, P + "target-ou-ids": ["ou-ab12-cd34ef56", "r-ab12"]}
    )
    assert config.topology is Topology.ORGANIZATION
    assert config.target_ou_ids == ("ou-ab12-cd34ef56", "r-ab12")


@pytest.mark.parametrize(
    ("overrides", "path", "fix"),
    [
        (
            {P + "notification-emails": ["ops@example.com", "not-an-email"]},
            P + "notification-emails[1] = 'not-an-email'",
            "security-alerts@example.com",
        ),
        (
            {P + "notification-emails": ["bob@"]},
            P + "notification-emails[0] = 'bob@'",
            "full address",
        ),
        (
            {P + "management-account-id": "12345"},
            P + "management-account-id = '12345'",
            "12 digits",
        ),
        ({P + "security-account-id": "12345678901a"}, P + "security-account-id", "12 digits"),
        (
            {P + "break-glass-principal-arns": ["arn:aws:s3:::bucket"]},
            P + "break-glass-principal-arns[0] = 'arn:aws:s3:::bucket'",
            ":role/<name>",
        ),
        (
            {P + "break-glass-principal-arns": ["BreakGlass"]},
            P + "break-glass-principal-arns[0]",
            "arn:aws:iam::",
        ),
        ({P + "home-region": "us-east-9"}, P + "home-region = 'us-east-9'", "region code"),
        ({P + "home-region": "eu-wset-1"}, P + "home-region", "did you mean 'eu-west-1'"),
        (
            {P + "target-regions": ["us-east-1", "mars-1"]},
            P + "target-regions[1] = 'mars-1'",
            "region code",
        ),
        ({P + "target-ou-ids": ["ou-12"]}, P + "target-ou-ids[0] = 'ou-12'", "ou-ab12-cd34ef56"),
        ({P + "target-ou-ids": ["root"]}, P + "target-ou-ids[0] = 'root'", "r-ab12"),
        ({P + "enforcement": "strict"}, P + "enforcement = 'strict'", "audit, enforce"),
        ({P + "topology": "multi"}, P + "topology = 'multi'", "single-account, organization"),
        ({P + "enforcment": "audit"}, P + "enforcment", "did you mean mfa-guardrails:enforcement?"),
        (
            {P + "notification-emails": ["a@example.com", "a@example.com"]},
            P + "notification-emails",
            "remove the duplicate",
        ),
        ({P + "notification-emails": "[not json"}, P + "notification-emails", "JSON list"),
        (
            {P + "notification-emails": ["Ops@Example.com", "ops@example.com"]},
            P + "notification-emails",
            "remove the duplicate",
        ),
        (
            {P + "notification-emails": []},
            P + "notification-emails = []: is empty and no Slack channel is set",
            "list at least one address",
        ),
        ({P + "home-region": "aws-global"}, P + "home-region = 'aws-global'", "region code"),
        ({P + "home-region": "cn-north-1"}, P + "home-region = 'cn-north-1'", "aws partition"),
        ({P + "sign-in-regions": ["us-east-2", "mars-1"]}, P + "sign-in-regions[1] = 'mars-1'",
         "region code"),
        ({P + "identity-center-region": "cn-north-1"}, P + "identity-center-region = 'cn-north-1'",
         "aws partition"),
        (
            {**ORG, P + "target-regions": ["us-east-1", "us-gov-west-1"]},
            P + "target-regions[1] = 'us-gov-west-1': is a region of the aws-us-gov partition",
            "regions of the aws partition",
        ),
        (
            {P + "break-glass-principal-arns": ["arn:aws-cn:iam::*:role/BreakGlassAdmin"]},
            P + "break-glass-principal-arns[0] = 'arn:aws-cn:iam::*:role/BreakGlassAdmin': is an "
            "ARN of the aws-cn partition",
            "arn:aws:iam::",
        ),
        (
            {P + "admin-principal-arns": ["arn:aws:iam::*:role/Sécurité"]},
            P + "admin-principal-arns[0] = 'arn:aws:iam::*:role/Sécurité': is not an IAM role",
            "ASCII",
        ),
        (
            {P + "attach-to-group-names": ["Entwickler", "Développeurs"]},
            P + "attach-to-group-names[1] = 'Développeurs'",
            "ASCII letters",
        ),
        (
            {**ORG, P + "target-ou-ids": [f"ou-ab12-{n:08d}" for n in range(51)]},
            P + "target-ou-ids = '51 OUs': lists more than the 50 OUs",
            "target parent OUs",
        ),
        (
            {**ORG, P + "attach-to-role-names": ["ConsoleUsers"]},
            P + "attach-to-group-names = ['ConsoleUsers']: would make the member StackSet fail",
            "attach-to-names-exist-in-members to true",
        ),
        (
            {P + "pipeline-oidc-provider-arn": "arn:aws-us-gov:iam::111111111111:oidc-provider/"
             "token.actions.githubusercontent.com"},
            P + "pipeline-oidc-provider-arn",
            "arn:aws:iam::<account>:oidc-provider",
        ),
        (
            {P + "target-regions": ["us-east-1", "eu-west-1", "us-east-1"]},
            P + "target-regions",
            "remove the duplicate",
        ),
        (
            {P + "topology": "organization"},
            P + "management-account-id = None",
            "is required for the organization topology",
        ),
        ({**ORG, P + "organization-id": None}, P + "organization-id = None", "topology single"),
        ({**ORG, P + "organization-id": "org-1"}, P + "organization-id = 'org-1'", "o-a1b2c3d4e5"),
        ({**ORG, P + "target-ou-ids": []}, P + "target-ou-ids = []", "list the OU ids"),
        (
            {**ORG, P + "target-ou-ids": ["ou-ab12-cd34ef56", "ou-x"]},
            P + "target-ou-ids[1]",
            "ou-ab12-cd34ef56",
        ),
        (
            {**ORG, P + "target-regions": ["eu-west-1"]},
            P + "target-regions = ['eu-west-1']",
            "add us-east-1",
        ),
        (
            {**ORG, P + "security-account-id": "111111111111"},
            P + "security-account-id",
            "allow-security-in-management to true",
        ),
        (
            {**ORG, P + "allow-security-in-management": "maybe"},
            P + "allow-security-in-management = 'maybe'",
            "true or false",
        ),
        (
            {P + "slack-workspace-id": "t-lower", P + "slack-channel-id": "C0123ABCD"},
            P + "slack-workspace-id = 't-lower'",
            "T0123ABCD",
        ),
        (
            {P + "slack-workspace-id": "T0123ABCD", P + "slack-channel-id": "C#general"},
            P + "slack-channel-id = 'C#general'",
            "C0123ABCD",
        ),
        (
            {P + "slack-workspace-id": "T0123ABCD"},
            P + "slack-channel-id = None",
            "set both Slack ids",
        ),
        (
            {P + "operations-emails": ["oncall"]},
            P + "operations-emails[0] = 'oncall'",
            "full address",
        ),
        (
            {P + "pipeline-github-repository": "not a repo"},
            P + "pipeline-github-repository",
            "owner/name",
        ),
        (
            {P + "pipeline-oidc-provider-arn": "arn:aws:iam::1:oidc-provider/x"},
            P + "pipeline-oidc-provider-arn",
            "token.actions.githubusercontent.com",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_value_names_field_value_and_fix(
    overrides: dict[str, Any], path: str, fix: str
) -> None:
    problems = problems_for(overrides)
    assert any(p.startswith(path) and fix in p for p in problems), problems


def test_a_bad_address_is_one_problem_not_also_an_empty_list() -> None:
    problems = problems_for({P + "notification-emails": ["not-an-email"]})
    assert len(problems) == 1, problems


def test_all_problems_are_reported_at_once() -> None:
    problems = problems_for({P + "enforcement": "x", P + "home-region": "y", P + "typo": 1})
    assert len(problems) == 3


def test_app_stops_synth_with_the_message(bad_config_app: Job) -> None:
    """The real entry point (run in the background since collection, tests/conftest.py): a bad
    value in the CONFIG file, and one from -c on top of it, end synth with exit 1 and each field
    in the message."""
    code, _, err = bad_config_app.wait()
    assert code == 1
    assert "mfa-guardrails:enforcement = 'enforced'" in err
    assert "mfa-guardrails:target-regions[1] = 'mars-1'" in err
    assert "Fix: set it to one of audit, enforce" in err
    # An unprefixed key (`-c topology=…`) is named, not silently ignored.
    unprefixed = "warning: context key 'topology' is ignored; did you mean mfa-guardrails:topology?"
    assert unprefixed in err


def test_the_embedded_default_exempts_nobody_and_cdk_json_holds_no_setting() -> None:
    """cdk.json context would silently win over cdk.context.json: it holds CDK flags only, and the
    default invents no exemption (the old placeholder break-glass ARN)."""
    assert load_config(default_context()).exempt_admin_arns == ()
    cdk_context = json.loads((ROOT / "cdk.json").read_text())["context"]
    assert not [key for key in cdk_context if key.startswith(P)]


def test_a_config_file_replaces_the_default_and_context_overrides_it(tmp_path: Path) -> None:
    team = tmp_path / "team.json"
    team.write_text(json.dumps({**ORG, P + "slack-workspace-id": "T0123ABCD",
                                P + "slack-channel-id": "C0123ABCD"}))  # fmt: skip
    context = effective_context({P + "target-regions": "us-east-1,eu-west-1", "other": 1}, team)
    config = load_config(context)
    assert config.topology is Topology.ORGANIZATION
    assert config.target_regions == ("us-east-1", "eu-west-1")  # -c / cdk.context.json win
    assert config.notification_emails == ()  # the default's address does not leak in
    assert effective_context({}, None) == dict(EMBEDDED_DEFAULT)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file. Fix: give the path of a JSON file"),
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "holds a list, not a JSON object"),
        ('{"enforcement": "enforce"}', "enforcement = 'enforce': is not an mfa-guardrails setting. "
         "Fix: name it mfa-guardrails:enforcement"),
    ],
    ids=["missing", "invalid", "not-an-object", "unprefixed"],
)
def test_a_bad_config_file_is_named_with_the_fix(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "team.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError) as caught:
        read_config_file(path)
    (problem,) = caught.value.problems
    assert problem.startswith(f"{CONFIG_FILE_VARIABLE}={path}")
    assert message in problem


def test_an_example_address_is_warned_about() -> None:
    config = load_config({**default_context(), P + "operations-emails": ["oncall@corp.io"]})
    (warning,) = config_warnings(config)
    assert "'security-alerts@example.com', a domain reserved for examples" in warning
    assert not config_warnings(load_config({P + "notification-emails": ["sec@corp.io"]}))


def test_attach_to_names_in_members_need_the_opt_in() -> None:
    config = load_config({**default_context(), **ORG, P + "attach-to-group-names": ["Developers"],
                          P + "attach-to-names-exist-in-members": True})  # fmt: skip
    assert config.attach_to_group_names == ("Developers",)


def test_watched_regions_cover_sign_ins_identity_center_home_and_targets() -> None:
    config = load_config({**default_context(), **ORG, P + "home-region": "eu-west-1",
                          P + "target-regions": ["us-east-1", "eu-west-1", "me-south-1"],
                          P + "sign-in-regions": ["us-east-2", "eu-north-1"],
                          P + "identity-center-region": "eu-central-1"})  # fmt: skip
    assert config.watched_regions == (
        "us-east-1", "us-east-2", "eu-north-1", "eu-central-1", "eu-west-1", "me-south-1"
    )
    default = load_config(default_context())
    assert {"us-east-2", "eu-north-1", "ap-southeast-2"} <= set(default.watched_regions)


def test_the_security_account_must_sit_in_a_target_ou() -> None:
    """Outside the target OUs the member StackSet never reaches the security account: no
    Force-MFA there, none of its own root sign-ins forwarded, no heartbeat."""
    missing = {k: v for k, v in ORG.items() if k != P + "security-account-ou-id"}
    (problem,) = problems_for(missing)
    assert problem.startswith(P + "security-account-ou-id = None: is required")
    assert "list-parents --child-id 222222222222" in problem
    (problem,) = problems_for({**ORG, P + "security-account-ou-id": "ou-ab12-other001"})
    assert "is not in target-ou-ids: the member StackSet would never reach" in problem
    assert "Fix: add ou-ab12-other001 to target-ou-ids" in problem
    same = {**missing, P + "security-account-id": "111111111111",
            P + "allow-security-in-management": True}  # fmt: skip
    assert load_config({**default_context(), **same}).security_account_ou_id is None


def test_lifeline_resources_must_be_buckets_keys_or_roles() -> None:
    good = ["arn:aws:s3:::org-trail-logs", "arn:aws:s3:::org-trail-logs/*",
            "arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab", "arn:aws:iam::*:role/Recorder"]
    config = load_config({**default_context(), **ORG, P + "lifeline-resource-arns": good})
    assert config.lifeline_resource_arns == tuple(good)
    (problem,) = problems_for({**ORG, P + "lifeline-resource-arns": ["arn:aws:s3:::*"]})
    assert problem.startswith(P + "lifeline-resource-arns[0] = 'arn:aws:s3:::*'")
    assert "is not an S3 bucket, KMS key or IAM role ARN" in problem



def test_a_permission_set_pattern_becomes_its_two_exact_forms() -> None:
    """``…/sso.amazonaws.com/*AWSReservedSSO_X_<16 ?>``: the leading ``*`` would also match the
    role of a permission set *named* AWSReservedSSO_X (a look-alike an Identity Center admin
    can create); the configuration keeps the two forms it means, with and without a region."""
    pattern = ("arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_Admin_"
               "????????????????")  # fmt: skip
    config = load_config({**EMBEDDED_DEFAULT, "mfa-guardrails:admin-principal-arns": [pattern]})
    base = "arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/"
    assert config.admin_principal_arns == (
        f"{base}AWSReservedSSO_Admin_????????????????",
        f"{base}*/AWSReservedSSO_Admin_????????????????",
    )
    lookalike = f"{base[:-1].replace('*', '123456789012')}/eu-west-1/AWSReservedSSO_" \
                "AWSReservedSSO_Admin_0a1b2c3d4e5f6a7b"  # fmt: skip
    real = [f"{base.replace('*', '123456789012')}{region}AWSReservedSSO_Admin_0a1b2c3d4e5f6a7b"
            for region in ("", "eu-west-1/")]  # fmt: skip
    assert not any(fnmatchcase(lookalike, p) for p in config.admin_principal_arns)
    assert all(any(fnmatchcase(arn, p) for p in config.admin_principal_arns) for arn in real)
