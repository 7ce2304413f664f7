"""Synthesize the app for a given context, the same way app.py does, once per configuration."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mfa_guardrails.config import EMBEDDED_DEFAULT, GuardrailsConfig, load_config
from mfa_guardrails.node_runtime import use_supported_node

use_supported_node()  # before aws_cdk is imported (the sweep imports this module first)

if TYPE_CHECKING:
    from aws_cdk.assertions import Template

# aws_cdk, cdk_nag and the stacks are imported where a synth or a Template needs them, not with
# this module: the test session imports it first thing (tests/conftest.py), and a second of
# CDK start-up there would hold back the background work it starts.

ROOT = Path(__file__).resolve().parent.parent
# The organization example `make synth` checks beside the default (context overrides).
ORGANIZATION_EXAMPLE: dict[str, Any] = json.loads(
    (ROOT / "examples" / "organization.json").read_text()
)


def default_context() -> dict[str, Any]:
    """The embedded default configuration (what app.py reads when no CONFIG file is given)."""
    return dict(EMBEDDED_DEFAULT)


@dataclass(frozen=True)
class DeployedStack:
    """Where CDK deploys one stack (what the tests read of CDK's Stack objects)."""

    stack_name: str
    account: str
    region: str


SUMMARY = "synth-summary.json"


class Synthesized:
    """One synthesized configuration: its config, templates by stack name, the stacks' accounts
    and regions, and the assembly dir.

    ``Synthesized(overrides, outdir)`` synthesizes in this process and writes a summary beside
    the assembly; :meth:`load` reads an assembly another process synthesized that way (the test
    session synthesizes its configurations in one background process: ``python -m tests.synth``).
    """

    def __init__(self, overrides: Mapping[str, Any], outdir: Path, *, synth: bool = True) -> None:
        context = {**default_context(), **overrides}
        self.config: GuardrailsConfig = load_config(context)
        self.outdir = outdir
        if not synth:
            summary = json.loads((outdir / SUMMARY).read_text())
            self.stacks = [DeployedStack(**stack) for stack in summary]
            self.templates: dict[str, dict[str, Any]] = {
                stack.stack_name: json.loads(
                    (outdir / f"{stack.stack_name}.template.json").read_text())
                for stack in self.stacks
            }  # fmt: skip
            return
        from aws_cdk import App, Validations
        from cdk_nag import AwsSolutionsChecks

        from stacks import add_topology

        app = App(context=context, outdir=str(outdir), builtin_cloud_formation_validation=False)
        stacks = add_topology(app, self.config)
        Validations.of(app).add_plugins(AwsSolutionsChecks(app))
        assembly = app.synth()
        self.stacks = [DeployedStack(s.stack_name, s.account, s.region) for s in stacks]
        self.templates = {
            stack.stack_name: assembly.get_stack_by_name(stack.stack_name).template
            for stack in stacks
        }
        # Written last, and atomically: its presence says the assembly is complete.
        partial = outdir / f"{SUMMARY}.partial"
        partial.write_text(json.dumps([asdict(stack) for stack in self.stacks]))
        partial.rename(outdir / SUMMARY)

    @classmethod
    def load(cls, overrides: Mapping[str, Any], outdir: Path) -> Synthesized:
        return cls(overrides, outdir, synth=False)

    def template(self, stack_name: str) -> Template:
        from aws_cdk.assertions import Template

        return Template.from_json(self.templates[stack_name])


if __name__ == "__main__":
    # python -m tests.synth PLAN_JSON: [[outdir, overrides], ...], synthesized in that order by
    # one CDK (jsii) runtime, each readable with Synthesized.load as soon as it is done.
    for directory, overrides in json.loads(sys.argv[1]):
        Synthesized(overrides, Path(directory))
