"""The hash of the assets that carry phonenumbers is computed from their inputs (so an asset two
stacks share is bundled once): it must change with any runtime source, with the shared phone.py
and with the phonenumbers version, or a deploy would keep stale code."""

from __future__ import annotations

import shutil
from pathlib import Path

import phonenumbers
import pytest

from constructs_lib import phone_bundling
from constructs_lib.detective.construct import RUNTIME_DIR


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy = tmp_path / "runtime"
    shutil.copytree(RUNTIME_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    phone = tmp_path / "phone.py"
    shutil.copy2(phone_bundling.PHONE_MODULE, phone)
    monkeypatch.setattr(phone_bundling, "PHONE_MODULE", phone)
    return copy


def test_same_inputs_same_hash(runtime: Path) -> None:
    assert phone_bundling.inputs_hash(runtime) == phone_bundling.inputs_hash(runtime)


def test_any_input_changes_the_hash(runtime: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = phone_bundling.inputs_hash(runtime)
    handler = runtime / "readiness.py"
    handler.write_text(handler.read_text() + "\n# changed\n")
    after_source = phone_bundling.inputs_hash(runtime)
    phone = phone_bundling.PHONE_MODULE
    phone.write_text(phone.read_text() + "\n# changed\n")
    after_phone = phone_bundling.inputs_hash(runtime)
    monkeypatch.setattr(phonenumbers, "__version__", "0.0.0")
    after_version = phone_bundling.inputs_hash(runtime)
    assert len({before, after_source, after_phone, after_version}) == 4
