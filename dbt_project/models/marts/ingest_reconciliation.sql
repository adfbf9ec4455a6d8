{#
    Every record read is accounted for, per source and batch:
        records_read = records_accepted + records_rejected   (rejected = rows in quarantine)
        results      = loaded + duplicates + counted_nothing
    where results are the status values of accepted records, counted_nothing those whose
    status maps to no result, loaded the rows kept in fct_engagement_results and duplicates
    the rows whose dedupe key was seen before them (an earlier result in the dedupe order) in
    their batch or the window before it. `lost` (a result neither kept nor a duplicate) and
    `unexplained` (a kept row with no raw row) must be 0.
#}
-- depends_on: {{ source('ingest_audit', 'ingested_batches') }}
{{
    config(
        materialized='incremental',
        partition_by=spark_partition('batch_date'),
        replace_scope='in_rebuilt_batches',
        on_schema_change='fail',
    )
}}


with

batches as (
    select * from {{ ref('stg_ingest_audit__batches') }}
    where {{ in_rebuilt_batches() }}
),

quarantined as (
    select
        source,
        batch_date,
        count(*) as quarantined
    from {{ ref('stg_quarantine__rejected_records') }}
    where {{ in_rebuilt_batches() }}
    group by source, batch_date
),

observations as (
    select * from {{ ref('int_results__mapped') }}
    where {{ in_rebuilt_batches() }}
),

-- Every result of the batches the fact table read: the earlier copies a duplicate can have.
seen as (
    select {{ dedupe_order_columns() | join(', ') }}, dedupe_key
    from {{ ref('int_results__mapped') }}
    where status is not null and {{ in_read_batches() }}
),

kept as {{ not_materialized() }} (
    select * from {{ ref('fct_engagement_results') }}
    where {{ in_read_batches() }}
),

judged as (
    select
        observations.source,
        {{ dedupe_order('observations') }},
        observations.dedupe_key,
        observations.status is null as is_counted_nothing,
        -- a join key (never null on a kept row), not the dedupe key: the kept rows bring no
        -- column to the join beyond its keys (at 10M events DuckDB builds its hash table on
        -- the observations, whose row count it underestimates; built on the kept rows, slower)
        kept.batch_date is not null as is_kept
    from observations
    left join kept on {{ same_result('observations', 'kept') }}
),

-- A result neither kept nor counting nothing is a duplicate if its key was seen before it
-- within the window, as the fact table decides (the copy seen may be a duplicate itself, and
-- the row kept older than the window read); else it is lost. Only those results (~5%) look
-- their key up.
unkept as (
    select
        source,
        {{ dedupe_order_columns() | join(', ') }},
        dedupe_key
    from judged
    where not is_counted_nothing and not is_kept
),

unkept_seen_before as (
    select distinct
        unkept.source,
        {{ dedupe_order('unkept') }}
    from unkept
    inner join seen
        on
            unkept.dedupe_key = seen.dedupe_key
            and seen.batch_date >= {{ dbt.dateadd('day', -(var('dedupe_window_days') | int),
                                                  'unkept.batch_date') }}
            and {{ precedes_in_dedupe_order('seen', 'unkept') }}
),

results as (
    select
        source,
        batch_date,
        count(*) as results,
        {{ count_where('is_counted_nothing') }} as counted_nothing,
        {{ count_where('is_kept') }} as loaded
    from judged
    group by source, batch_date
),

unkept_results as (
    select
        unkept.source,
        unkept.batch_date,
        {{ count_where('seen_before.source is not null') }} as duplicates,
        {{ count_where('seen_before.source is null') }} as lost
    from unkept
    left join unkept_seen_before as seen_before on {{ same_result('unkept', 'seen_before') }}
    group by unkept.source, unkept.batch_date
),

kept_per_batch as (
    select
        source,
        batch_date,
        count(*) as kept_rows
    from kept
    where {{ in_rebuilt_batches() }}
    group by source, batch_date
),

reconciled as (
    select
        batches.source,
        batches.batch_date,
        batches.files,
        batches.records_read,
        batches.records_accepted,
        batches.records_rejected,
        coalesce(quarantined.quarantined, 0) as quarantined,
        batches.observations as results_ingested,
        coalesce(results.results, 0) as results,
        coalesce(results.loaded, 0) as loaded,
        coalesce(unkept_results.duplicates, 0) as duplicates,
        coalesce(results.counted_nothing, 0) as counted_nothing,
        coalesce(unkept_results.lost, 0) as lost,
        coalesce(kept_per_batch.kept_rows, 0) - coalesce(results.loaded, 0) as unexplained
    from batches
    left join quarantined
        on batches.source = quarantined.source and batches.batch_date = quarantined.batch_date
    left join results
        on batches.source = results.source and batches.batch_date = results.batch_date
    left join unkept_results
        on
            batches.source = unkept_results.source
            and batches.batch_date = unkept_results.batch_date
    left join kept_per_batch
        on
            batches.source = kept_per_batch.source
            and batches.batch_date = kept_per_batch.batch_date
)

select
    *,
    (
        records_read = records_accepted + records_rejected
        and records_rejected = quarantined
        and results = results_ingested
        and results = loaded + duplicates + counted_nothing
        and lost = 0
        and unexplained = 0
    ) as is_balanced
from reconciled
