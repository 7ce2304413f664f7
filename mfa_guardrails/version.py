"""The release of mfa-guardrails this code is: ``version`` in pyproject.toml, read from the
installed package's metadata (one source of truth; ``make setup`` reinstalls when pyproject.toml
changes). Every stack carries it in its description and every taggable resource as the tag
``mfa-guardrails-version`` (stacks/topology.py), so an operator sees what is deployed where."""

from importlib.metadata import version

VERSION = version("mfa-guardrails")
