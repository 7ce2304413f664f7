"""Synthesize the app for a given context, the same way app.py does, once per configuration."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mfa_guardrails.node_runtime import use_supported_node

use_supported_node()  # before aws_cdk is imported (the sweep imports this module first)

from aws_cdk import App, Validations  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402
from cdk_nag import AwsSolutionsChecks  # noqa: E402

from mfa_guardrails.config import EMBEDDED_DEFAULT, GuardrailsConfig, load_config  # noqa: E402
from stacks import add_topology  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# The organization example `make synth` checks beside the default (context overrides).
ORGANIZATION_EXAMPLE: dict[str, Any] = json.loads(
    (ROOT / "examples" / "organization.json").read_text()
)


def default_context() -> dict[str, Any]:
    """The embedded default configuration (what app.py reads when no CONFIG file is given)."""
    return dict(EMBEDDED_DEFAULT)


class Synthesized:
    """One synthesized configuration: its config, templates by stack name, and the assembly dir."""

    def __init__(self, overrides: Mapping[str, Any], outdir: Path) -> None:
        context = {**default_context(), **overrides}
        self.config: GuardrailsConfig = load_config(context)
        app = App(context=context, outdir=str(outdir), builtin_cloud_formation_validation=False)
        self.stacks = stacks = add_topology(app, self.config)
        Validations.of(app).add_plugins(AwsSolutionsChecks(app))
        assembly = app.synth()
        self.outdir = outdir
        self.templates: dict[str, dict[str, Any]] = {
            stack.stack_name: assembly.get_stack_by_name(stack.stack_name).template
            for stack in stacks
        }

    def template(self, stack_name: str) -> Template:
        return Template.from_json(self.templates[stack_name])
