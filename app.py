#!/usr/bin/env python3
"""CDK entry point: read the configuration, instantiate the stacks, register cdk-nag."""

from __future__ import annotations

import sys

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks

from mfa_guardrails.config import ConfigError, load_config, unprefixed_keys
from stacks import add_topology


def main() -> int:
    # cfn-lint checks every template in the main job (`make synth`) with more rules than
    # aws-cdk-lib's built-in CloudFormation validation, which would cost ~2.7 s on every synth.
    app = App(builtin_cloud_formation_validation=False)
    for warning in unprefixed_keys(app.node.get_all_context()):
        print(warning, file=sys.stderr)
    try:
        config = load_config(app.node.get_all_context())
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 1
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
