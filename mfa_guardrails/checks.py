"""The main job: synthesize every stack, then report cdk-nag and cfn-lint findings in one summary.

Run as ``python -m mfa_guardrails.checks`` (``make synth`` does). It synthesizes through the pinned
CDK CLI, exactly as ``cdk deploy`` would, reads the validation report that cdk-nag writes into the
cloud assembly, lints every template with cfn-lint, and exits 1 when anything is unresolved.
No AWS credentials and no network are used.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mfa_guardrails.config import CONFIG_FILE_VARIABLE

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
# The embedded default's output folder: what `make deploy` deploys without CONFIG.
DEFAULT_CONFIGURATION = "single-account"


def configurations(config_file: Path | None = None) -> dict[str, Path | None]:
    """Configurations the main job proves, by output folder name: ``config_file`` alone when one
    is given (``make synth CONFIG=path.json``); otherwise the embedded default and every
    ``examples/*.json``, each handed to app.py as a configuration file."""
    if config_file is not None:
        return {config_file.stem: config_file}
    found: dict[str, Path | None] = {DEFAULT_CONFIGURATION: None}
    found.update({example.stem: example for example in sorted(EXAMPLES.glob("*.json"))})
    return found


# What the CLI prints after every successful synth; the summary below says it better.
_CLI_CHATTER = re.compile(
    r"^(?:Successfully synthesized to |Supply a stack id |Bundling asset .*\.\.\.$|\s*$)"
)


@dataclass(frozen=True)
class Synth:
    """How one ``cdk synth`` ended: its exit code and what to show of its output."""

    code: int
    output: tuple[str, ...]


# The pinned CDK CLI that `make setup` installs (package-lock.json), run directly: through
# `npx --no-install` the same CLI costs another 0.35 s of CPU a synth to resolve.
CDK_CLI = PROJECT_ROOT / "node_modules" / ".bin" / "cdk"


def synthesize(outdir: Path, config_file: Path | None) -> Synth:
    """Run ``cdk synth`` through the pinned CLI, as ``make deploy`` would. Prints nothing (several
    run at once): on success only what the app said (its warnings) is kept, on failure all."""
    if not CDK_CLI.exists():
        return Synth(2, (f"the pinned CDK CLI is not installed ({CDK_CLI}): run `make setup`",))
    command = [str(CDK_CLI), "synth", "--quiet", "--output", str(outdir)]
    env = dict(os.environ)
    env.pop(CONFIG_FILE_VARIABLE, None)
    if config_file is not None:
        env[CONFIG_FILE_VARIABLE] = str(config_file.resolve())
    # cdk.json runs app.py with the project's venv (.venv, made by `make setup`).
    result = subprocess.run(
        command, cwd=PROJECT_ROOT, env=env, check=False, capture_output=True, text=True
    )
    lines = (result.stdout + result.stderr).splitlines()
    shown = lines if result.returncode else [ln for ln in lines if not _CLI_CHATTER.match(ln)]
    return Synth(result.returncode, tuple(shown))


def synthesize_configurations(outdir: Path, config_file: Path | None = None) -> dict[str, Synth]:
    """Synthesize every configuration (``config_file`` alone when given) into
    ``outdir/<name>/`` at once, one CLI each, as the main job does; for the jobs that read the
    templates and need no lint (``make manifest``, ``make upgrade-check``)."""
    selected = configurations(config_file)
    with ThreadPoolExecutor(max_workers=max(1, min(len(selected), os.cpu_count() or 1))) as pool:
        running = {name: pool.submit(synthesize, outdir / name, file)
                   for name, file in selected.items()}  # fmt: skip
        return {name: future.result() for name, future in running.items()}


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
    """cfn-lint matches for every template, minus the explained ignores, template by template.

    One cfn-lint runner lints them all: it loads its rules once (about 0.4 s each time), not once
    per template as ``cfnlint.api.lint_file`` would."""
    from cfnlint.api import lint_file  # deferred: heavy import, only the main job needs it
    from cfnlint.config import ConfigMixIn, ManualArgs
    from cfnlint.runner import Runner

    args = ManualArgs(ignore_checks=sorted(CFN_LINT_IGNORED))
    present = list(dict.fromkeys(template for template in templates if template.exists()))
    by_file: dict[str, list[Any]] = {str(template): [] for template in present}
    if present:
        # Escaped: cfn-lint globs each name, and a folder name may hold [ ] or *.
        paths = [glob.escape(str(template)) for template in present]
        runner = Runner(ConfigMixIn(["--template", *paths], **args))
        for match in runner.run():
            by_file[match.filename].append(match)
    findings: list[Finding] = []
    for template in templates:
        # lint_file reports a missing template as a finding (a parse error).
        matches = by_file[str(template)] if template.exists() else lint_file(template, args)
        findings += [
            Finding(
                tool="cfn-lint",
                rule=match.rule.id,
                level=match.rule.severity,
                location=f"{template.name}:{match.linenumber}",
                message=match.message,
            )
            for match in matches
        ]
    return findings


EXIT_OK, EXIT_FINDINGS, EXIT_TOOL_ERROR = 0, 1, 2


@dataclass(frozen=True)
class Outcome:
    """What checking one configuration found; ``tool_error`` when synth itself failed."""

    findings: tuple[Finding, ...]
    tool_error: str | None = None


def check_configuration(
    outdir: Path, config_file: Path | None, synth: Synth | None = None
) -> Outcome:
    """Check one configuration synthesized into ``outdir`` (``synth``: how its synth ended;
    synthesized here when not given), print its findings and summary."""
    synth = synth or synthesize(outdir, config_file)
    for line in synth.output:
        print(line)
    synth_code = synth.code
    if not (outdir / "manifest.json").exists():
        return Outcome((), f"synth failed (exit {synth_code}) before writing a cloud assembly")
    stacks = stacks_in(outdir)
    nag, acknowledged = nag_findings(outdir)
    # StackSet templates (cdk-stacksets) are assets, not stacks of the assembly: lint them too.
    stack_set_templates = sorted(outdir.glob("*.stackset.template.json"))
    lint = lint_findings([s.template for s in stacks] + stack_set_templates)
    for finding in nag + lint:
        print(
            f"{finding.level.upper():8} {finding.tool} {finding.rule} {finding.location}: "
            f"{finding.message}"
        )
    print(
        f"stacks: {len(stacks)} ({', '.join(s.name for s in stacks)})"
        + (f" + {len(stack_set_templates)} StackSet template(s)" if stack_set_templates else "")
    )
    print(f"resources: {sum(s.resources for s in stacks)}")
    print(f"cdk-nag findings: {len(nag)} unresolved, {acknowledged} acknowledged with a reason")
    print(f"cfn-lint findings: {len(lint)}")
    # cdk-nag errors stop synth (non-zero exit) but still write the report: those are findings.
    if synth_code != 0 and not nag:
        return Outcome(tuple(lint), f"synth failed (exit {synth_code})")
    return Outcome(tuple(nag + lint))


_SARIF_LEVELS = {"error": "error", "fatal": "error", "warning": "warning"}


def sarif_log(findings: Sequence[Finding]) -> dict[str, object]:
    """SARIF 2.1.0, one run per tool, so code-scanning UIs show findings beside the code."""
    runs = []
    for tool in sorted({f.tool for f in findings} | {"cdk-nag", "cfn-lint"}):
        own = [f for f in findings if f.tool == tool]
        runs.append({
            "tool": {"driver": {
                "name": tool,
                "rules": [{"id": rule} for rule in sorted({f.rule for f in own})],
            }},
            "results": [
                {
                    "ruleId": f.rule,
                    "level": _SARIF_LEVELS.get(f.level.lower(), "note"),
                    "message": {"text": f.message or f.rule},
                    "locations": [{"logicalLocations": [{"fullyQualifiedName": f.location}]}],
                }
                for f in own
            ],
        })  # fmt: skip
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": runs,
    }


def write_findings(outdir: Path, findings: Sequence[Finding]) -> None:
    """``findings.json`` (plain) and ``findings.sarif`` beside the assemblies."""
    outdir.mkdir(parents=True, exist_ok=True)
    plain = [f.__dict__ for f in findings]
    (outdir / "findings.json").write_text(json.dumps(plain, indent=2) + "\n")
    (outdir / "findings.sarif").write_text(json.dumps(sarif_log(findings), indent=2) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Exit 0 when clean, 1 when there are findings, 2 when a tool failed (e.g. synth)."""
    parser = argparse.ArgumentParser(description="synthesize and check every configuration")
    parser.add_argument("--outdir", type=Path, default=Path("cdk.out"))
    parser.add_argument(
        "--only",
        choices=sorted(configurations()),
        action="append",
        help="check only these configurations (default: all)",
    )
    parser.add_argument(
        "--config",
        type=Path,
        help="check only this configuration file (make synth CONFIG=path.json)",
    )
    args = parser.parse_args(argv)
    findings: list[Finding] = []
    errors: list[str] = []
    selected = {
        name: config_file
        for name, config_file in configurations(args.config).items()
        if not args.only or name in args.only
    }
    # Every configuration is synthesized at once (one CLI, app and jsii process chain each, on
    # its own core), and each is linted (in this process) while the others still synthesize;
    # the summaries are printed in order.
    workers = max(1, min(len(selected), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        synths = {
            name: pool.submit(synthesize, args.outdir / name, config_file)
            for name, config_file in selected.items()
        }
        for name, config_file in selected.items():
            print(f"== {name} -> {args.outdir / name}", flush=True)
            outcome = check_configuration(
                args.outdir / name, config_file, synths[name].result()
            )
            findings += [
                Finding(f.tool, f.rule, f.level, f"{name}/{f.location}", f.message)
                for f in outcome.findings
            ]
            if outcome.tool_error:
                errors.append(f"{name}: {outcome.tool_error}")
    write_findings(args.outdir, findings)
    print(f"findings written to {args.outdir / 'findings.json'} and findings.sarif")
    if errors:
        print("result: TOOL ERROR (" + "; ".join(errors) + ")")
        return EXIT_TOOL_ERROR
    print(f"result: {len(findings)} FINDING(S)" if findings else "result: ok")
    return EXIT_FINDINGS if findings else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
