"""Serving: a consistent read-only copy of the marts for BI, Parquet files, and a report."""
