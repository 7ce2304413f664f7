"""The main job: synthesize every stack, then report cdk-nag and cfn-lint findings in one summary.

Run as ``python -m mfa_guardrails.checks`` (``make synth`` does). It synthesizes through the pinned
CDK CLI, exactly as ``cdk deploy`` would, reads the validation report that cdk-nag writes into the
cloud assembly, lints every template with cfn-lint, and exits 1 when anything is unresolved.
No AWS credentials and no network are used.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# cfn-lint rules we ignore, each with the reason. Keep this list short and explained.
CFN_LINT_IGNORED: dict[str, str] = {}


@dataclass(frozen=True)
class Finding:
    """One unresolved problem found by a check tool."""

    tool: str
    rule: str
    level: str
    location: str
    message: str


@dataclass(frozen=True)
class StackSummary:
    name: str
    template: Path
    resources: int


EXAMPLES = PROJECT_ROOT / "examples"


def configurations() -> dict[str, dict[str, str]]:
    """Configurations the main job proves: cdk.json's default, and each ``examples/*.json``
    (context overrides, as ``-c key=value`` pairs), by output folder name."""
    found: dict[str, dict[str, str]] = {"single-account": {}}
    for example in sorted(EXAMPLES.glob("*.json")):
        overrides = json.loads(example.read_text())
        found[example.stem] = {
            key: value if isinstance(value, str) else json.dumps(value)
            for key, value in overrides.items()
        }
    return found


def synthesize(outdir: Path, context: Mapping[str, str]) -> int:
    """Run ``cdk synth`` through the pinned CLI; return its exit code."""
    command = ["npx", "--no-install", "cdk", "synth", "--quiet", "--output", str(outdir)]
    for key, value in context.items():
        command += ["--context", f"{key}={value}"]
    # cdk.json runs "python3 app.py": make that the interpreter running this module (the venv's).
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    env = {**os.environ, "PATH": path}
    return subprocess.run(command, cwd=PROJECT_ROOT, env=env, check=False).returncode


def stacks_in(outdir: Path) -> list[StackSummary]:
    """Every CloudFormation stack of the cloud assembly, nested assemblies included."""
    manifest = json.loads((outdir / "manifest.json").read_text())
    found: list[StackSummary] = []
    for name, artifact in manifest.get("artifacts", {}).items():
        kind = artifact.get("type")
        if kind == "aws:cloudformation:stack":
            template = outdir / artifact["properties"]["templateFile"]
            resources = len(json.loads(template.read_text()).get("Resources", {}))
            found.append(StackSummary(name, template, resources))
        elif kind == "cdk:cloud-assembly":
            found += stacks_in(outdir / artifact["properties"]["directoryName"])
    return found


def nag_findings(outdir: Path) -> tuple[list[Finding], int]:
    """Unsuppressed cdk-nag violations and the count of acknowledged ones."""
    report_file = outdir / "validation-report.json"
    if not report_file.exists():
        return [], 0
    report = json.loads(report_file.read_text())
    findings: list[Finding] = []
    acknowledged = 0
    for plugin in report.get("pluginReports", []):
        acknowledged += len(plugin.get("suppressedViolations", []))
        for violation in plugin.get("violations", []):
            for construct in violation.get("violatingConstructs", []) or [{}]:
                findings.append(
                    Finding(
                        tool=plugin.get("pluginName", "cdk-nag"),
                        rule=violation.get("ruleName", "?"),
                        level=violation.get("severity", "error"),
                        location=construct.get("constructPath", "?"),
                        message=violation.get("description", ""),
                    )
                )
    return findings, acknowledged


def lint_findings(templates: Sequence[Path]) -> list[Finding]:
    """cfn-lint matches for every template, minus the explained ignores."""
    from cfnlint.api import (
        ManualArgs,
        lint_file,
    )  # deferred: heavy import, only the main job needs it

    args = ManualArgs(ignore_checks=sorted(CFN_LINT_IGNORED))
    findings: list[Finding] = []
    for template in templates:
        for match in lint_file(template, config=args):
            findings.append(
                Finding(
                    tool="cfn-lint",
                    rule=match.rule.id,
                    level=match.rule.severity,
                    location=f"{template.name}:{match.linenumber}",
                    message=match.message,
                )
            )
    return findings


def check_configuration(outdir: Path, context: Mapping[str, str]) -> bool:
    """Synthesize one configuration into ``outdir``, print its findings and summary; True if ok."""
    synth_code = synthesize(outdir, context)
    if not (outdir / "manifest.json").exists():
        print(f"synth failed (exit {synth_code}) before writing a cloud assembly", file=sys.stderr)
        return False
    stacks = stacks_in(outdir)
    nag, acknowledged = nag_findings(outdir)
    lint = lint_findings([s.template for s in stacks])
    for finding in nag + lint:
        print(
            f"{finding.level.upper():8} {finding.tool} {finding.rule} {finding.location}: "
            f"{finding.message}"
        )
    print(f"stacks: {len(stacks)} ({', '.join(s.name for s in stacks)})")
    print(f"resources: {sum(s.resources for s in stacks)}")
    print(f"cdk-nag findings: {len(nag)} unresolved, {acknowledged} acknowledged with a reason")
    print(f"cfn-lint findings: {len(lint)}")
    return synth_code == 0 and not nag and not lint


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="synthesize and check every configuration")
    parser.add_argument("--outdir", type=Path, default=Path("cdk.out"))
    parser.add_argument(
        "--only",
        choices=sorted(configurations()),
        action="append",
        help="check only these configurations (default: all)",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    failed = []
    for name, context in configurations().items():
        if args.only and name not in args.only:
            continue
        print(f"== {name} -> {args.outdir / name}")
        if not check_configuration(args.outdir / name, context):
            failed.append(name)
    print("result: " + (f"FAILED ({', '.join(failed)})" if failed else "ok"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
