"""The result taxonomy and the provider status mapping, read from the dbt seeds (the single source).

`channel_statuses.csv` lists the statuses each channel may count; `status_mapping.csv` maps every
raw provider value onto them. A mapping row whose `raw_value` and `status` are `*` admits any status
of its channel as-is (the platform's own activity log). An empty `status` is a known value that
counts nothing.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from orchestration.settings import PROJECT_ROOT

SEEDS_DIR = PROJECT_ROOT / "dbt_project" / "seeds"
WILDCARD = "*"


def normalize(value: str) -> str:
    """Status values compare case-insensitively after trimming, and nothing else."""
    return value.strip().lower()


@dataclass(frozen=True)
class Taxonomy:
    statuses: dict[str, tuple[str, ...]]  # channel -> its statuses, in seed order
    mapping: tuple[dict[str, str], ...]  # status_mapping rows

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(self.statuses)

    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(row["source"] for row in self.mapping))

    def source_channels(self, source: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r["channel"] for r in self.mapping if r["source"] == source))

    def known_values(self, source: str) -> set[tuple[str, str]]:
        """(raw_field, normalized raw value) pairs the source may send, on any of its channels."""
        return {(field, value) for _, field, value, _ in self._expanded(source)}

    def allowed_values(self, source: str) -> set[tuple[str, str, str]]:
        """(channel, raw_field, normalized raw value) triples allowed for the source."""
        return {(channel, field, value) for channel, field, value, _ in self._expanded(source)}

    def status_for(self, source: str, channel: str, field: str, value: str) -> str | None:
        """The canonical status of a raw value ('' = known, counts nothing; None = not allowed)."""
        for row_channel, row_field, row_value, status in self._expanded(source):
            if (row_channel, row_field, row_value) == (channel, field, normalize(value)):
                return status
        return None

    def _expanded(self, source: str) -> list[tuple[str, str, str, str]]:
        rows = []
        for row in self.mapping:
            if row["source"] != source:
                continue
            if row["raw_value"] == WILDCARD:
                rows += [
                    (row["channel"], row["raw_field"], status, status)
                    for status in self.statuses[row["channel"]]
                ]
            else:
                rows.append(
                    (row["channel"], row["raw_field"], normalize(row["raw_value"]), row["status"])
                )
        return rows


@cache
def load(seeds_dir: Path = SEEDS_DIR) -> Taxonomy:
    statuses: dict[str, list[str]] = {}
    for row in _read(seeds_dir / "channel_statuses.csv"):
        statuses.setdefault(row["channel"], []).append(row["status"])
    return Taxonomy(
        statuses={channel: tuple(values) for channel, values in statuses.items()},
        mapping=tuple(_read(seeds_dir / "status_mapping.csv")),
    )


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]
