"""Lambda code that checks phone numbers: a runtime folder, the shared ``phone.py`` and the
pure-Python ``phonenumbers`` package (phonenumberslite, a pinned dependency) copied from the
installed one. Local bundling, so synth needs neither Docker nor a network."""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
from pathlib import Path
from typing import cast

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

PHONE_MODULE = Path(__file__).resolve().parent / "alerting" / "runtime" / "phone.py"
"""The one phone diagnosis, shared by the notifier and the readiness checks."""
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache")


@jsii.implements(ILocalBundling)
class RuntimeWithPhonenumbers:
    def __init__(self, runtime_dir: Path) -> None:
        self.runtime_dir = runtime_dir

    def try_bundle(self, output_dir: str, options: BundlingOptions) -> bool:
        shutil.copytree(self.runtime_dir, output_dir, dirs_exist_ok=True, ignore=_IGNORE)
        shutil.copy2(PHONE_MODULE, Path(output_dir) / PHONE_MODULE.name)
        spec = importlib.util.find_spec("phonenumbers")
        if spec is None or spec.origin is None:
            raise RuntimeError("phonenumbers is not installed: run `make setup`")
        shutil.copytree(Path(spec.origin).parent, Path(output_dir) / "phonenumbers",
                        dirs_exist_ok=True, ignore=_IGNORE)  # fmt: skip
        return True


def inputs_hash(runtime_dir: Path) -> str:
    """The asset's hash from what goes into it: the runtime's and phone.py's bytes and the
    installed phonenumbers' version. Known before bundling, so an asset used by several stacks
    is bundled once, and CDK need not hash the 1,100 files of phonenumbers it copied."""
    import phonenumbers

    digest = hashlib.sha256(f"phonenumbers {phonenumbers.__version__}\n".encode())
    sources = [p for p in sorted(runtime_dir.rglob("*.py")) if "__pycache__" not in p.parts]
    for path in [*sources, PHONE_MODULE]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def code_with_phonenumbers(runtime_dir: Path) -> lambda_.Code:
    """The asset of ``runtime_dir`` with phone.py and phonenumbers beside its modules."""
    return lambda_.Code.from_asset(
        str(runtime_dir),
        exclude=["__pycache__", "*.pyc", ".mypy_cache"],
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=inputs_hash(runtime_dir),
        bundling=BundlingOptions(
            image=DockerImage.from_registry("none"),
            # jsii calls try_bundle(output_dir, options); the typed stub spells the options out
            # as keywords, hence the cast.
            local=cast(ILocalBundling, RuntimeWithPhonenumbers(runtime_dir)),
        ),
    )
