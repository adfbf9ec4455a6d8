"""Environment → typed, validated settings: a bad value fails before anything is written."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_MAX_RECORD_BYTES = 1 << 20
ENGINES = ("duckdb", "spark")  # what dbt builds the marts on (the dbt target)
T = TypeVar("T")


class ConfigError(ValueError):
    """A setting from the environment is missing or invalid."""


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse: Path
    serving_dir: Path
    lake_dir: Path  # the validated records as Parquet, the input of a Spark build
    engine: str
    timezone: str
    dedupe_window_days: int
    partitions_start: date
    quarantine_alert_rate: float
    max_record_bytes: int  # a longer line is one malformed record
    retention_days: int | None  # raw and quarantined records older than this are purged

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        _production_key(env)
        _dbt_profile(env)
        window = _int(env, "ENGAGEMENT_DEDUPE_WINDOW_DAYS", 7, minimum=7)
        return cls(
            landing_dir=_path(env, "ENGAGEMENT_LANDING_DIR", DATA_DIR / "landing"),
            warehouse=_warehouse(env),
            serving_dir=_path(env, "ENGAGEMENT_SERVING_DIR", DATA_DIR / "serving"),
            lake_dir=_path(env, "ENGAGEMENT_LAKE_DIR", DATA_DIR / "lake"),
            engine=_engine(env),
            timezone=_timezone(env),
            dedupe_window_days=window,
            partitions_start=_date(env, "ENGAGEMENT_PARTITIONS_START", date(2024, 1, 1)),
            quarantine_alert_rate=_rate(env, "ENGAGEMENT_QUARANTINE_ALERT_RATE", 0.05),
            max_record_bytes=_int(
                env,
                "ENGAGEMENT_MAX_RECORD_BYTES",
                DEFAULT_MAX_RECORD_BYTES,
                minimum=1024,
                maximum=256 << 20,  # the size of a whole .json document
            ),
            retention_days=_retention(env, window),
        )

    def require_landing_dir(self) -> Path:
        if not self.landing_dir.is_dir():
            raise ConfigError(
                f"ENGAGEMENT_LANDING_DIR={self.landing_dir} is not a directory; "
                "create it or point the variable at the landing tree"
            )
        return self.landing_dir


def _retention(env: dict[str, str], window: int) -> int | None:
    """Off unless set; at least two dedupe windows, which every run still reads."""
    if not env.get("ENGAGEMENT_RETENTION_DAYS", "").strip():
        return None
    return _int(env, "ENGAGEMENT_RETENTION_DAYS", 0, minimum=2 * window)


def _dbt_profile(env: dict[str, str]) -> None:
    """The variables only dbt's profile reads, checked here: a bad one would fail the run at
    its dbt step, after ingest wrote the warehouse."""
    _int(env, "ENGAGEMENT_DBT_THREADS", 1, minimum=1)
    limit = env.get("ENGAGEMENT_DBT_MEMORY_LIMIT", "").strip()
    if limit and not re.fullmatch(r"\d+(\.\d+)?\s*([KMGT]i?B|B)", limit, re.IGNORECASE):
        raise ConfigError(
            f"ENGAGEMENT_DBT_MEMORY_LIMIT={limit!r} is not a size such as 768MB or 8GB"
        )


def _production_key(env: dict[str, str]) -> None:
    if (
        env.get("ENGAGEMENT_ENV", "").strip().lower() == "production"
        and not env.get("ENGAGEMENT_HMAC_KEY", "").strip()
    ):
        raise ConfigError(
            "ENGAGEMENT_HMAC_KEY is required when ENGAGEMENT_ENV=production: recipients are "
            "stored as keyed hashes, and the key must stay the same from run to run"
        )


def _path(env: dict[str, str], name: str, default: Path) -> Path:
    value = env.get(name, "").strip()
    path = Path(value).expanduser() if value else default
    return path if path.is_absolute() else (Path.cwd() / path)


def _warehouse(env: dict[str, str]) -> Path:
    path = _path(env, "ENGAGEMENT_WAREHOUSE", DATA_DIR / "warehouse.duckdb")
    if path.is_dir():
        raise ConfigError(f"ENGAGEMENT_WAREHOUSE={path} is a directory; give the DuckDB file path")
    if path.suffix != ".duckdb":
        raise ConfigError(f"ENGAGEMENT_WAREHOUSE={path} must end in .duckdb")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir() or not os.access(parent, os.W_OK):
                raise ConfigError(f"ENGAGEMENT_WAREHOUSE={path}: {parent} is not a writable folder")
            break
    return path


def _engine(env: dict[str, str]) -> str:
    engine = env.get("ENGAGEMENT_ENGINE", "").strip().lower() or "duckdb"
    if engine not in ENGINES:
        raise ConfigError(f"ENGAGEMENT_ENGINE={engine!r} is not one of {', '.join(ENGINES)}")
    return engine


def _timezone(env: dict[str, str]) -> str:
    name = env.get("ENGAGEMENT_TIMEZONE", "").strip() or "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"ENGAGEMENT_TIMEZONE={name!r} is not an IANA time zone name (e.g. UTC, Europe/Paris)"
        ) from None
    return name


def _int(
    env: dict[str, str], name: str, default: int, minimum: int, maximum: int | None = None
) -> int:
    value = _parsed(env, name, default, int, "a whole number")
    if value < minimum:
        raise ConfigError(f"{name}={value} is below the minimum of {minimum}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"{name}={value} is above the maximum of {maximum}")
    return value


def _rate(env: dict[str, str], name: str, default: float) -> float:
    value = _parsed(env, name, default, float, "a number")
    if not 0 <= value <= 1:
        raise ConfigError(f"{name}={value} is not a share between 0 and 1")
    return value


def _date(env: dict[str, str], name: str, default: date) -> date:
    return _parsed(env, name, default, date.fromisoformat, "a date (YYYY-MM-DD)")


def _parsed(env: dict[str, str], name: str, default: T, parse: Callable[[str], T], what: str) -> T:
    """The variable parsed, or `default` when unset or blank; a clear error when unparsable."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return parse(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not {what}") from None
