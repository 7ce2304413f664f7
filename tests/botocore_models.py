"""botocore's model files are parsed once per test process, not once per boto3 Session.

botocore caches what its Loader reads per Session, and the code under test builds a Session where
production builds one (a readiness run, a preflight, a recovery, each org-run invocation): one
test process builds hundreds, and for each it parses ``endpoints.json`` and the same service
models again (OrderedDict pairs) and lists the data folder's 400 services to validate a service
name: about 0.1 s a Session, several seconds a suite. Within one Session botocore already hands
the same parsed model to all its clients; this shares it between Sessions the same way. Only the
reading is shared: what botocore builds from it stays per Session.
"""

from __future__ import annotations

import functools
from typing import Any

from botocore.loaders import JSONFileLoader, Loader


def share_parsed_models() -> None:
    """Replace ``JSONFileLoader.load_file`` and ``Loader.list_available_services`` by
    per-process caches of their answers (by path; by search paths and type)."""
    if getattr(JSONFileLoader.load_file, "shared", False):
        return
    parse = JSONFileLoader.load_file
    list_services = Loader.list_available_services

    @functools.cache
    def parsed(file_path: str) -> Any:
        return parse(JSONFileLoader(), file_path)

    @functools.cache
    def services(search_paths: tuple[str, ...], type_name: str) -> tuple[str, ...]:
        return tuple(list_services(Loader(extra_search_paths=search_paths,
                                          include_default_search_paths=False), type_name))

    def load_file(_loader: JSONFileLoader, file_path: str) -> Any:
        return parsed(file_path)

    def list_available_services(loader: Loader, type_name: str) -> list[str]:
        return list(services(tuple(loader.search_paths), type_name))

    load_file.shared = True  # type: ignore[attr-defined]
    JSONFileLoader.load_file = load_file  # type: ignore[method-assign,assignment]
    Loader.list_available_services = list_available_services  # type: ignore[method-assign,assignment]
