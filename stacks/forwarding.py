"""Forwarding of the management account's own events to the central bus (us-east-1)."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from constructs import Construct

from constructs_lib.forwarding import EventForwarding, EventForwardingProps


class ForwardingStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, props: EventForwardingProps, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.forwarding = EventForwarding(self, "Forwarding", props=props)
