"""Names every mfa-guardrails resource carries, so SCPs and alerts can match them by prefix."""

PRODUCT_PREFIX = "mfa-guardrails-"
MFA_REQUIRED_GROUP = "MfaRequired"
