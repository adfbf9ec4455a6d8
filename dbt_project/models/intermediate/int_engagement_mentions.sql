{#
    Per batch and message, the first engagement an accepted record of the batch names for it
    (results or not: a SendGrid 'deferred' names its campaign too). Attribution picks the first
    mention of a message across batches (macro first_mentions).

    Incremental: replaces the run's batches; the messages whose mentions it replaces or writes
    are queued for engagement_result_counts (changed_messages).
#}
{{
    config(
        materialized='incremental',
        partition_by=spark_partition('batch_date'),
        replace_scope='in_run_batches',
        pre_hook="{{ enqueue_rows('changed_messages', ['engagement_result_counts'],
                                  'channel, attribution_key, batch_date', in_run_batches()) }}",
        post_hook="{{ enqueue_rows('changed_messages', ['engagement_result_counts'],
                                   'channel, attribution_key, batch_date', in_run_batches()) }}",
        on_schema_change='fail',
    )
}}

with

mentions as (
    select
        observations.channel,
        observations.attribution_key,
        observations.batch_date,
        observations.engagement_id,
        observations.event_time,
        observations.source_file,
        observations.position,
        observations.seq,
        observations.observation,
        row_number() over (
            partition by observations.batch_date, observations.channel, observations.attribution_key
            order by {{ dedupe_order('observations') }}
        ) as mention_order
    from {{ ref('stg_ingest__observations') }} as observations
    where observations.engagement_id is not null and {{ in_run_batches('observations.batch_date') }}
)

select
    channel,
    attribution_key,
    batch_date,
    engagement_id,
    event_time,
    source_file,
    position,
    seq,
    observation
from mentions
where mention_order = 1
