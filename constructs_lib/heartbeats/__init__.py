"""Watch the canaries' heartbeats and name the accounts that went silent."""

from constructs_lib.heartbeats.construct import HeartbeatMonitor, HeartbeatMonitorProps

__all__ = ["HeartbeatMonitor", "HeartbeatMonitorProps"]
