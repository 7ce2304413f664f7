"""The organization's central event bus, in the security account."""

from constructs_lib.central_bus.construct import CentralEventBus, CentralEventBusProps

__all__ = ["CentralEventBus", "CentralEventBusProps"]
