"""What an ingest of one (source, batch date) accounts for, per file and in all."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

STAGES = ("parse", "validate", "load")  # where ingest time goes, reported per batch


@dataclass
class FileReport:
    name: str
    size_bytes: int
    modified_at: datetime
    status: str = "loaded"
    records_read: int = 0
    records_rejected: int = 0
    observations: int = 0
    reasons: Counter[str] = field(default_factory=Counter)  # of the records rejected

    @property
    def records_accepted(self) -> int:
        return self.records_read - self.records_rejected


@dataclass
class BatchReport:
    source: str
    batch_date: date
    fingerprint: str = ""  # of the folder as read (landing.fingerprint)
    files: list[FileReport] = field(default_factory=list)
    files_gone: list[str] = field(default_factory=list)  # read last time, no longer landed
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))

    @property
    def records_read(self) -> int:
        return sum(f.records_read for f in self.files)

    @property
    def records_rejected(self) -> int:
        return sum(f.records_rejected for f in self.files)

    @property
    def records_accepted(self) -> int:
        return self.records_read - self.records_rejected

    @property
    def observations(self) -> int:
        return sum(f.observations for f in self.files)

    @property
    def reasons(self) -> Counter[str]:
        return sum((f.reasons for f in self.files), Counter())
