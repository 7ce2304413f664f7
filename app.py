#!/usr/bin/env python3
"""CDK entry point: read the configuration, instantiate the stacks, register cdk-nag."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from mfa_guardrails.node_runtime import use_supported_node

use_supported_node()  # before aws_cdk is imported: its Node.js process starts on import

from aws_cdk import App, Validations  # noqa: E402
from cdk_nag import AwsSolutionsChecks  # noqa: E402

from mfa_guardrails.config import (  # noqa: E402
    CONFIG_FILE_VARIABLE,
    ConfigError,
    config_warnings,
    effective_context,
    load_config,
    unprefixed_keys,
)
from stacks import add_topology  # noqa: E402


def main() -> int:
    # cfn-lint checks every template in the main job (`make synth`) with more rules than
    # aws-cdk-lib's built-in CloudFormation validation, which would cost ~2.7 s on every synth.
    app = App(builtin_cloud_formation_validation=False)
    context = app.node.get_all_context()
    config_file = os.environ.get(CONFIG_FILE_VARIABLE)
    for warning in unprefixed_keys(context):
        print(warning, file=sys.stderr)
    try:
        config = load_config(effective_context(context, Path(config_file) if config_file else None))
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 1
    for warning in config_warnings(config):
        print(warning, file=sys.stderr)
    add_topology(app, config)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    print(
        f"mfa-guardrails: topology={config.topology.value} enforcement={config.enforcement.value}"
        + (
            ": policies attached"
            if config.enforcing
            else ": policies synthesized, nothing attached"
        ),
        file=sys.stderr,
    )
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
