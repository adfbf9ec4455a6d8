"""The landing tree: `<landing>/<source>/<batch_date>/<file>`. Names are never trusted."""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from datetime import date
from pathlib import Path

LINE_SUFFIXES = (".jsonl", ".ndjson")
DOCUMENT_SUFFIXES = (".json",)
CSV_SUFFIXES = (".csv",)


@dataclass(frozen=True)
class LandingFile:
    path: Path
    name: str  # the file name inside its batch folder
    size: int
    mtime_ns: int
    format: str | None  # "lines", "document", "csv"; None = a type the pipeline does not read
    gzip: bool
    regular: bool = True  # False: a folder, link or device, reported as a bad file and never read


def fingerprint(files: list[LandingFile]) -> str:
    """What a batch folder holds: its files' names, sizes and modification times ("" if none)."""
    listing = "\n".join(f"{f.name}\t{f.size}\t{f.mtime_ns}" for f in files)
    return hashlib.sha256(listing.encode()).hexdigest()[:16] if files else ""


def batch_dir(landing_dir: Path, source: str, batch_date: date) -> Path:
    return landing_dir / source / batch_date.isoformat()


def batch_files(
    landing_dir: Path, source: str, batch_date: date, *, csv: bool = False
) -> list[LandingFile]:
    """The entries of one batch folder, by name. A missing folder is an empty batch.

    Links are not followed: an entry that is not a regular file is listed with `regular=False`.
    """
    folder = batch_dir(landing_dir, source, batch_date)
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return []
    files = []
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            continue  # removed since the listing: nothing was read
        files.append(_describe(Path(entry.path), info, csv=csv))
    return sorted(files, key=lambda f: f.name)


def _describe(path: Path, info: os.stat_result, *, csv: bool) -> LandingFile:
    # A name that is not UTF-8 is kept as text with its bad bytes escaped (as the database needs).
    name = os.fsencode(path.name).decode("utf-8", "backslashreplace")
    lower = name.lower()
    is_gzip = lower.endswith(".gz")
    base = lower[:-3] if is_gzip else lower
    if base.endswith(LINE_SUFFIXES):
        fmt: str | None = "lines"
    elif base.endswith(DOCUMENT_SUFFIXES):
        fmt = "document"
    elif csv and base.endswith(CSV_SUFFIXES):
        fmt = "csv"
    else:
        fmt = None
    regular = stat.S_ISREG(info.st_mode)
    return LandingFile(path, name, info.st_size, info.st_mtime_ns, fmt, is_gzip, regular)
