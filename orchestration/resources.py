"""Dagster resources: the settings every asset shares, shown in the UI."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg

from orchestration.settings import DEFAULT_MAX_RECORD_BYTES, Settings


class EngagementConfig(dg.ConfigurableResource):
    """Where the landing tree, warehouse and lake are, how days are reported, input bounds."""

    landing_dir: str
    warehouse: str
    serving_dir: str
    lake_dir: str
    engine: str
    timezone: str
    dedupe_window_days: int
    quarantine_alert_rate: float
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES
    retention_days: int | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> EngagementConfig:
        return cls(
            landing_dir=str(settings.landing_dir),
            warehouse=str(settings.warehouse),
            serving_dir=str(settings.serving_dir),
            lake_dir=str(settings.lake_dir),
            engine=settings.engine,
            timezone=settings.timezone,
            dedupe_window_days=settings.dedupe_window_days,
            quarantine_alert_rate=settings.quarantine_alert_rate,
            max_record_bytes=settings.max_record_bytes,
            retention_days=settings.retention_days,
        )

    @property
    def landing_path(self) -> Path:
        return Path(self.landing_dir)

    @property
    def warehouse_path(self) -> Path:
        return Path(self.warehouse)

    @property
    def serving_path(self) -> Path:
        return Path(self.serving_dir)

    @property
    def lake_path(self) -> Path:
        return Path(self.lake_dir)


def batch_dates(context: dg.AssetExecutionContext) -> list[date]:
    """The batch dates (daily partitions) a run of an asset covers, oldest first."""
    return [date.fromisoformat(key) for key in context.partition_keys]
