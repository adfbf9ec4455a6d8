{#
    Records rejected at ingest, by batch, source and reason (counts only: the rejected records
    themselves stay in the quarantine schema, which is never published).
#}
{{
    config(
        materialized='incremental',
        partition_by=spark_partition('batch_date'),
        replace_scope='in_run_batches',
        on_schema_change='fail',
    )
}}

select
    batch_date,
    source,
    reason_code,
    count(*) as rejected
from {{ ref('stg_quarantine__rejected_records') }}
where {{ in_run_batches() }}
group by batch_date, source, reason_code
