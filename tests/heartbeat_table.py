"""The heartbeat table in moto, as the notifier and the monitor use it (key ``account``): the
heartbeats and the sign-in correlation state share it (tests/test_heartbeats.py,
tests/test_signin_correlation.py)."""

from __future__ import annotations

from typing import Any

TABLE = "mfa-guardrails-heartbeats"


def create(dynamodb: Any) -> None:
    """The table, on demand, keyed by account (call inside ``mock_aws``)."""
    dynamodb.create_table(
        TableName=TABLE, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "account", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "account", "AttributeType": "S"}],
    )  # fmt: skip


def empty(dynamodb: Any) -> None:
    """Every item deleted: a module's shared table, as each test starts."""
    for item in dynamodb.scan(TableName=TABLE)["Items"]:
        dynamodb.delete_item(TableName=TABLE, Key={"account": item["account"]})
