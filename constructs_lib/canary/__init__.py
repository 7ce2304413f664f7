"""The end-to-end canary: a scheduled IAM write that travels the whole alert path."""

from constructs_lib.canary.construct import Canary, CanaryProps

__all__ = ["Canary", "CanaryProps"]
