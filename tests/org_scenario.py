"""The organization readiness report run end to end on a simulated organization of 50+ accounts
in moto, as a background job (``python -m tests.org_scenario OUTDIR``): building the accounts
and checking them costs seconds of CPU, which overlap the rest of the suite on the second core.

It runs the real command (``mfa_guardrails.cli.org_readiness.main``) on the whole organization
with every output format, and again interrupted by Ctrl-C; lists one OU's accounts as ``--ou``
would; and writes what the tests in ``tests/test_org_readiness.py`` assert on to
``OUTDIR/scenario.json``.
"""

from __future__ import annotations

import io
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ACCOUNTS = 50  # every one of the 19 personas at least twice, over 3 OUs; and the report's own


def _run(argv: list[str], org: Any, base: Any, **kwargs: Any) -> dict[str, Any]:
    from mfa_guardrails.cli import org_readiness

    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    code = org_readiness.main(
        argv, session=base, session_for=org.session_for(org_readiness.retrying_session_factory(
            base)), out=out, err=err, **kwargs)  # fmt: skip
    return {"exit": code, "stdout": out.getvalue(), "stderr": err.getvalue(),
            "seconds": time.perf_counter() - started}  # fmt: skip


def main(outdir: Path) -> int:
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                      AWS_DEFAULT_REGION="us-east-1")  # fmt: skip
    import boto3
    from moto import mock_aws

    from tests import simulated_org

    outdir.mkdir(parents=True, exist_ok=True)
    config = outdir / "organization.json"
    config.write_text(json.dumps(simulated_org.CONFIG))
    with mock_aws(), simulated_org.no_real_waits():
        started = time.perf_counter()
        org = simulated_org.build(ACCOUNTS)
        built = time.perf_counter() - started
        base = boto3.Session(region_name="us-east-1")
        formats = [f"--{kind}={outdir / f'report.{kind}'}" for kind in ("json", "csv", "sarif",
                                                                        "html")]  # fmt: skip
        whole = _run(["--config", str(config), "--concurrency", "4", *formats], org, base)
        # One OU (its nested OU included): which accounts the command would check.
        from mfa_guardrails.cli.org_readiness import list_accounts

        organizations = boto3.client("organizations", region_name="us-east-1")
        ou = "Root/Workloads"
        ou_id = _ou_id(organizations, ou)
        one_ou = {"ou": ou, "ou_id": ou_id,
                  "accounts": [a.id for a in list_accounts(organizations, ou_ids=[ou_id])]}
        interrupted = _interrupted(org, base, config, outdir)
    (outdir / "scenario.json").write_text(json.dumps({
        "personas": org.personas, "ou_paths": org.ou_paths, "built_seconds": built,
        "whole": whole, "one_ou": one_ou,
        "interrupted": interrupted,
    }, indent=1))  # fmt: skip
    return 0


def _ou_id(organizations: Any, path: str) -> str:
    parent = organizations.list_roots()["Roots"][0]["Id"]
    for name in path.split("/")[1:]:
        children = organizations.list_organizational_units_for_parent(ParentId=parent)
        parent = next(ou["Id"] for ou in children["OrganizationalUnits"] if ou["Name"] == name)
    return str(parent)


def _interrupted(org: Any, base: Any, config: Path, outdir: Path) -> dict[str, Any]:
    """Ctrl-C after the fifth account: the report still comes out, marked partial."""
    from mfa_guardrails.cli import org_readiness

    original = org_readiness.check_account
    seen = 0

    def check(account: Any, **kwargs: Any) -> Any:
        nonlocal seen
        seen += 1
        if seen > 5:
            raise KeyboardInterrupt
        return original(account, **kwargs)

    org_readiness.check_account = check
    try:
        return _run(["--config", str(config), "--concurrency", "1",
                     f"--json={outdir / 'partial.json'}"], org, base)  # fmt: skip
    finally:
        org_readiness.check_account = original


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
