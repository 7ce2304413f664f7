"""Names every mfa-guardrails resource carries, so SCPs and alerts can match them by prefix."""

PRODUCT_PREFIX = "mfa-guardrails-"
MFA_REQUIRED_GROUP = "MfaRequired"
# Every CloudFormation stack of the product is named so (the StackSet's instances are named
# StackSet-<stack set name>-<id> by CloudFormation).
STACK_NAME_PREFIX = "MfaGuardrails"
# The read-only role the organization readiness report assumes in every account (a plain name:
# the report's CLI imports it without aws_cdk).
READINESS_READER_ROLE_NAME = f"{PRODUCT_PREFIX}readiness-reader"
# The scheduled organization readiness run: its state machine, and its bucket's name prefix
# (``<prefix>-<account>-<region>``), which the command line that starts a run on demand needs.
ORG_READINESS_RUN_NAME = f"{PRODUCT_PREFIX}org-readiness"
# Roles other accounts or systems name from outside their stack: the GitHub Actions deploy role
# (its ARN is a repository variable) and the regional-forwarding StackSet's administration and
# execution roles (CloudFormation's StackSet operations run through them by name).
GITHUB_DEPLOY_ROLE_NAME = f"{PRODUCT_PREFIX}github-deploy"
REGIONAL_FORWARDING_ROLE_PREFIX = f"{PRODUCT_PREFIX}regional-forwarding-"
# The scheduled organization readiness run's per-account function (and its role), which the
# reader role trusts when it trusts named principals only.
ORG_READINESS_ACCOUNT_ROLE_NAME = f"{PRODUCT_PREFIX}org-readiness-account"
# The CDK bootstrap qualifier our stacks are deployed with (CDK's default).
CDK_DEFAULT_QUALIFIER = "hnb659fds"
# The product's roles that write to protected resources in their own work (heartbeats, logs,
# alerts, forwarded events, the canary's tag, our Config rules' tags, the organization readiness
# run's bucket, functions and state machine): the guardrail SCPs let them act within their
# grants. The readiness reader (read-only, and assumable by the security account's admins) and
# the chat role are not among them: they need nothing an SCP denies.
# Those that run in every account the member StackSet reaches, and those of the security
# account alone, whose exemption is pinned to that account (a role of the same name made in a
# member before it joined a target OU must not carry it).
MEMBER_RUNTIME_ROLE_NAMES = tuple(
    f"{PRODUCT_PREFIX}{name}" for name in ("forward-*", "canary", "rule-tagger-managed-rules")
)
SECURITY_RUNTIME_ROLE_NAMES = tuple(
    f"{PRODUCT_PREFIX}{name}"
    for name in ("notifier", "heartbeat-monitor", "recovery-readiness",
                 "rule-tagger-readiness-rule", "org-readiness-*")
)
RUNTIME_ROLE_NAMES = MEMBER_RUNTIME_ROLE_NAMES + SECURITY_RUNTIME_ROLE_NAMES
# The release every taggable resource of ours carries (stacks/topology.py), StackSet instances'
# included: what is deployed where.
VERSION_TAG_KEY = f"{PRODUCT_PREFIX}version"
# The tag our Config rules carry (CloudFormation cannot tag a rule; a deploy-time custom resource
# does, constructs_lib/rule_tags): a rule's ARN holds an id, not its name, so the guardrail SCP
# protects the rules that carry it, and leaves a team's own rules to the team.
PROTECTED_TAG_KEY = f"{PRODUCT_PREFIX}protected"
PROTECTED_TAG_VALUE = "true"
