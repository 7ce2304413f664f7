"""EventBridge patterns written as JSON: the catalog's patterns use ``$or`` (an absent field must
still match), which the L2 ``EventPattern`` type cannot express."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import aws_events as events


def l2_pattern(pattern: Mapping[str, Any]) -> events.EventPattern:
    """The typed part of ``pattern``, for the L2 Rule (which needs one); see :func:`set_pattern`."""
    return events.EventPattern(source=list(pattern["source"]))


def set_pattern(rule: events.Rule, pattern: Mapping[str, Any]) -> None:
    """Write the whole pattern into the rule's template, ``$or`` included."""
    cfn_rule = rule.node.default_child
    assert isinstance(cfn_rule, events.CfnRule)
    cfn_rule.add_property_override("EventPattern", dict(pattern))
