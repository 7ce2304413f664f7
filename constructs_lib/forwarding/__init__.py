"""Forward watched events from a member account to the organization's central event bus."""

from constructs_lib.forwarding.construct import EventForwarding, EventForwardingProps

__all__ = ["EventForwarding", "EventForwardingProps"]
