"""Names every mfa-guardrails resource carries, so SCPs and alerts can match them by prefix."""

PRODUCT_PREFIX = "mfa-guardrails-"
MFA_REQUIRED_GROUP = "MfaRequired"
# Every CloudFormation stack of the product is named so (the StackSet's instances are named
# StackSet-<stack set name>-<id> by CloudFormation).
STACK_NAME_PREFIX = "MfaGuardrails"
