"""Organizations service control policies of mfa-guardrails."""

from constructs_lib.scp.construct import MfaServiceControlPolicies, MfaServiceControlPoliciesProps

__all__ = ["MfaServiceControlPolicies", "MfaServiceControlPoliciesProps"]
