"""Engagement results warehouse: ingest per source, transform with dbt, publish for BI."""

import warnings

# With the Spark extra installed, pandera imports pyspark.pandas, which warns that it does not
# support pandas 3; nothing here uses pyspark.pandas.
warnings.filterwarnings(
    "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
)
