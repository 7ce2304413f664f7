"""botocore's model files are parsed once per test process, not once per boto3 Session.

botocore caches what its Loader parses per Session, and the code under test builds a Session
where production builds one (a readiness run, a preflight, a recovery, each org-run invocation):
one test process builds hundreds, and parses ``endpoints.json`` and the same service models again
for each (about 0.09 s a Session, several seconds a suite, with OrderedDict pairs). Within one
Session botocore already hands the same parsed model to all its clients; this shares it between
Sessions the same way. Only the parse is shared: what botocore builds from it stays per Session.
"""

from __future__ import annotations

import functools
from typing import Any

from botocore.loaders import JSONFileLoader


def share_parsed_models() -> None:
    """Replace ``JSONFileLoader.load_file`` by a per-process cache of its answers (by path)."""
    if getattr(JSONFileLoader.load_file, "shared", False):
        return
    parse = JSONFileLoader.load_file

    @functools.cache
    def parsed(file_path: str) -> Any:
        return parse(JSONFileLoader(), file_path)

    def load_file(_loader: JSONFileLoader, file_path: str) -> Any:
        return parsed(file_path)

    load_file.shared = True  # type: ignore[attr-defined]
    JSONFileLoader.load_file = load_file  # type: ignore[method-assign,assignment]
