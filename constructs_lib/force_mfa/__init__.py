"""Force-MFA managed policy and the MfaRequired group."""

from constructs_lib.force_mfa.construct import ForceMfa, ForceMfaProps

__all__ = ["ForceMfa", "ForceMfaProps"]
