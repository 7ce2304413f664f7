"""Small L3 constructs of mfa-guardrails, each with frozen-dataclass props."""
