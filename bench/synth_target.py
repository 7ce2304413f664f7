"""One synth, as a fresh process, for bench/run.py: ``synth_target.py VARIANT OUTDIR``.

Variants: ``empty-default`` (an empty App with aws-cdk-lib defaults), ``empty`` (an empty App
with app.py's settings), ``full`` (every stack of the embedded default configuration),
``full-nag`` (the same with cdk-nag, as app.py synthesizes it), ``organization-nag`` (the
organization example, examples/organization.json, with cdk-nag).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mfa_guardrails.node_runtime import use_supported_node  # noqa: E402

use_supported_node()  # as app.py does, before aws_cdk starts its Node.js process

from aws_cdk import App, Validations  # noqa: E402


def main(variant: str, outdir: str) -> None:
    if variant == "empty-default":
        App(outdir=outdir).synth()
        return
    from mfa_guardrails.config import EMBEDDED_DEFAULT

    # cdk.json's feature flags, then the configuration app.py would read.
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    context.update(EMBEDDED_DEFAULT)
    if variant == "organization-nag":
        context.update(json.loads((ROOT / "examples" / "organization.json").read_text()))
    app = App(outdir=outdir, context=context, builtin_cloud_formation_validation=False)
    if variant in {"full", "full-nag", "organization-nag"}:
        from mfa_guardrails.config import load_config
        from stacks import add_topology

        add_topology(app, load_config(app.node.get_all_context()))
    if variant in {"full-nag", "organization-nag"}:
        from cdk_nag import AwsSolutionsChecks

        Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
