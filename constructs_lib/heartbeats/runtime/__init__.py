"""Lambda code of the heartbeat monitor (standard library and boto3 only)."""
