"""The ``mfa-guardrails`` command line: one entry point, one subcommand per job."""
