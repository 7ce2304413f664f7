"""Detective controls: the MFA Config rules and the recovery-readiness custom rule.

The construct is imported lazily (PEP 562): the readiness CLI imports ``.runtime.readiness``
through this package, and must not start aws_cdk's Node.js process (~1.5 s) to do so.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from constructs_lib.detective.construct import (
        DetectiveControls,
        DetectiveControlsProps,
        global_rule_placement,
        rule_name,
        validate_global_rule_placement,
    )

__all__ = [
    "DetectiveControls",
    "DetectiveControlsProps",
    "global_rule_placement",
    "rule_name",
    "validate_global_rule_placement",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("constructs_lib.detective.construct"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
