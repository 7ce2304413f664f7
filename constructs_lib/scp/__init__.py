"""Organizations service control policies of mfa-guardrails."""

from constructs_lib.scp.construct import MfaServiceControlPolicies, MfaServiceControlPoliciesProps
from constructs_lib.scp.documents import Exemptions

__all__ = ["Exemptions", "MfaServiceControlPolicies", "MfaServiceControlPoliciesProps"]
