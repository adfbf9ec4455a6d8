"""Provider parsers: one module per landing source, each defining `PARSER`.

Adding a provider is adding a module here, its rows in `status_mapping.csv` and a fixture.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from orchestration.ingest.parser import SourceParser


@cache
def all_parsers() -> dict[str, SourceParser]:
    parsers = {}
    for module in pkgutil.iter_modules(__path__):
        parser = importlib.import_module(f"{__name__}.{module.name}").PARSER
        parsers[parser.name] = parser
    return dict(sorted(parsers.items()))


def get(source: str) -> SourceParser:
    try:
        return all_parsers()[source]
    except KeyError:
        raise KeyError(f"no parser for source {source!r}; known: {sorted(all_parsers())}") from None
