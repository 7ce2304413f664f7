"""Forward the catalog's events from every region an account records them in to one bus."""

from constructs_lib.regional_forwarding.construct import (
    RegionalForwarding,
    RegionalForwardingProps,
)

__all__ = ["RegionalForwarding", "RegionalForwardingProps"]
