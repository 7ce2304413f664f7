"""Argument types, and the reading of ``--config``, that the commands share."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import TextIO

from mfa_guardrails.config import ConfigError, GuardrailsConfig, effective_context, load_config

_ACCOUNT_ID = re.compile(r"^\d{12}$")


def account_id(value: str) -> str:
    """An argparse type: a 12-digit AWS account id, or a usage error saying what is wrong."""
    if not _ACCOUNT_ID.match(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a 12-digit AWS account id")
    return value


def configuration(path: Path | None, report: TextIO) -> GuardrailsConfig | None:
    """The configuration ``--config`` names (None: the embedded default), or None once the reason
    it is refused (field, value and fix) is written to ``report``: the command then exits 2."""
    try:
        return load_config(effective_context({}, path))
    except ConfigError as error:
        print(error, file=report)
        return None
