"""Responsive alerts: catalog-driven EventBridge rules, the notifier Lambda and its topics.

The construct is imported lazily, so importing ``constructs_lib.alerting.runtime`` (the Lambda
code, e.g. to time its cold start) does not load aws_cdk.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from constructs_lib.alerting.construct import Alerting, AlertingProps, check_region

__all__ = ["Alerting", "AlertingProps", "check_region"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from constructs_lib.alerting import construct

        return getattr(construct, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
