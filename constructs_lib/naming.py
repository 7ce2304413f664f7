"""Names every mfa-guardrails resource carries, so SCPs and alerts can match them by prefix."""

PRODUCT_PREFIX = "mfa-guardrails-"
MFA_REQUIRED_GROUP = "MfaRequired"
# Every CloudFormation stack of the product is named so (the StackSet's instances are named
# StackSet-<stack set name>-<id> by CloudFormation).
STACK_NAME_PREFIX = "MfaGuardrails"
# The read-only role the organization readiness report assumes in every account (a plain name:
# the report's CLI imports it without aws_cdk).
READINESS_READER_ROLE_NAME = f"{PRODUCT_PREFIX}readiness-reader"
# The CDK bootstrap qualifier our stacks are deployed with (CDK's default).
CDK_DEFAULT_QUALIFIER = "hnb659fds"
