"""Argument types the commands share."""

from __future__ import annotations

import argparse
import re

_ACCOUNT_ID = re.compile(r"^\d{12}$")


def account_id(value: str) -> str:
    """An argparse type: a 12-digit AWS account id, or a usage error saying what is wrong."""
    if not _ACCOUNT_ID.match(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a 12-digit AWS account id")
    return value
