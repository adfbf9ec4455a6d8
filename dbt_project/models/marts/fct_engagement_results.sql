{#
    One row per deduplicated result. A result is a duplicate when the same dedupe key was seen
    before it (earlier batch; then earlier event time, file, position) in its batch or one of
    the `dedupe_window_days` batches before. The row kept is the first occurrence, whose event
    time fixes the event date.

    Incremental: rebuilds the batches of the run and the window after them (whose duplicates
    may change), reading candidates from the window before them. Nothing else is scanned.
#}
-- depends_on: {{ source('ingest_audit', 'ingested_batches') }}
{{
    config(
        materialized='incremental',
        partition_by=spark_partition('batch_date'),
        replace_scope='in_rebuilt_batches',
        pre_hook="{{ enqueue_rows('changed_event_dates', event_date_consumers(),
                                  'event_date', in_rebuilt_batches()) }}",
        post_hook="{{ enqueue_rows('changed_event_dates', event_date_consumers(),
                                   'event_date', in_rebuilt_batches()) }}",
        on_schema_change='fail',
    )
}}

{%- set window = batch_window() %}

with

candidates as {{ not_materialized() }} (
    select
        *,
        hash(dedupe_key) as key_hash
    from {{ ref('int_results__mapped') }}
    where status is not null and {{ in_read_batches() }}
),

-- Only a key seen more than once needs its rows ordered: most results are the one row of their
-- key, and a window sorts every row it is given, all columns along (10M events: 17 → 15 s).
-- Keys are told apart by their hash, a number (grouped and joined faster than the text: 8.5 →
-- 7.5 s): a collision only sends a few more rows through the window, which orders by the key.
repeated_keys as (
    select key_hash
    from candidates
    group by key_hash
    having count(*) > 1
),

ordered as (
    select
        candidates.*,
        lag(candidates.batch_date) over (
            partition by candidates.dedupe_key
            order by {{ dedupe_order('candidates') }}
        ) as previous_batch_date
    from candidates
    inner join repeated_keys on candidates.key_hash = repeated_keys.key_hash

    union all

    select
        candidates.*,
        cast(null as date) as previous_batch_date
    from candidates
    left join repeated_keys on candidates.key_hash = repeated_keys.key_hash
    where repeated_keys.key_hash is null
)

select
    dedupe_key,
    source,
    channel,
    status,
    event_time,
    event_date,
    message_key,
    attribution_key,
    raw_field,
    raw_status,
    detail,
    bounce_type,
    batch_date,
    source_file,
    position,
    item,
    seq,
    observation
from ordered
where
    (
        previous_batch_date is null
        or previous_batch_date < {{ dbt.dateadd('day', -window.days, 'batch_date') }}
    )
    and {{ in_rebuilt_batches() }}
