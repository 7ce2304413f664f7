"""mypy reads only the aws_cdk modules listed in pyproject.toml (the rest of aws-cdk-lib is
skipped to keep a cold run in seconds): every aws_cdk module the code imports must be listed, or
its calls would silently go unchecked."""

from __future__ import annotations

import ast
import tomllib
from functools import cache
from pathlib import Path

from tests.synth import ROOT

CHECKED = ["app.py", "stacks", "constructs_lib", "mfa_guardrails", "bench", "tests"]


@cache
def imported_cdk_modules() -> frozenset[str]:
    files = [ROOT / "app.py"] + [
        path for folder in CHECKED[1:] for path in sorted((ROOT / folder).rglob("*.py"))
    ]
    found: set[str] = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names if alias.name.startswith("aws_cdk")}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("aws_cdk"):
                module = node.module or ""
                found.add(module)
                if module == "aws_cdk":  # from aws_cdk import aws_iam as iam
                    found |= {f"aws_cdk.{a.name}" for a in node.names if a.name.startswith("aws_")}
    return frozenset(found)


def followed_cdk_modules() -> tuple[set[str], list[str]]:
    mypy = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    followed: set[str] = set()
    skipped: list[str] = []
    for override in mypy["overrides"]:
        modules = override["module"]
        modules = [modules] if isinstance(modules, str) else modules
        if override.get("follow_imports") == "normal":
            followed |= set(modules)
        elif override.get("follow_imports") == "skip":
            skipped += modules
    return followed, skipped


def test_mypy_reads_every_cdk_module_the_code_imports() -> None:
    followed, skipped = followed_cdk_modules()
    assert "aws_cdk.*" in skipped
    imported = imported_cdk_modules()
    assert {"aws_cdk", "aws_cdk.aws_iam", "aws_cdk.assertions"} <= imported  # the scan works
    missing = imported - followed
    assert not missing, f"add to pyproject.toml's follow_imports = 'normal' list: {missing}"


def test_mypy_lists_no_cdk_module_the_code_does_not_import() -> None:
    """A module left in the list after its last import only costs time."""
    followed, _ = followed_cdk_modules()
    assert {m for m in followed if m.startswith("aws_cdk")} - imported_cdk_modules() == set()


def test_the_checked_folders_are_mypys() -> None:
    mypy = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert mypy["files"] == CHECKED
    assert all(Path(ROOT / entry).exists() for entry in CHECKED)
