"""``mfa-guardrails <command>``: the package's one command line.

Every command keeps one exit-code convention: 0 nothing to do (or done), 1 findings or refused,
2 cannot run (credentials, permissions, bad input), 130 interrupted. ``make`` targets are thin
wrappers over these commands.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from importlib import import_module

EXIT_INTERRUPTED = 130
# name -> (module whose main(argv) runs it, one line of help)
COMMANDS: dict[str, tuple[str, str]] = {
    "readiness": ("mfa_guardrails.cli.readiness", "can this account recover from a lost device?"),
    "org-readiness": ("mfa_guardrails.cli.org_readiness",
                      "the readiness report for every account of the organization"),
    "preflight": ("mfa_guardrails.cli.preflight",
                  "is the organization ready to deploy and enforce?"),
    "replay": ("mfa_guardrails.cli.replay", "deliver the alerts waiting in the dead-letter queues"),
    "recover": ("mfa_guardrails.cli.recover",
                "a lost or stolen MFA device: the recovery, dry run first"),
    "upgrade-check": ("mfa_guardrails.cli.upgrade_check",
                      "what an upgrade would replace or broaden, before make deploy"),
}  # fmt: skip


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="mfa-guardrails", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    commands = root.add_subparsers(dest="command", metavar="<command>", required=True)
    for name, (_, summary) in COMMANDS.items():
        # Each command parses its own arguments (and its own --help).
        commands.add_parser(name, help=summary, add_help=False)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in COMMANDS:
        parser().parse_args(args)  # prints usage or help, exits 2 (or 0 for --help)
        return 2
    module, _ = COMMANDS[args[0]]
    run: Callable[[Sequence[str]], int] = import_module(module).main
    try:
        return run(args[1:])
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
