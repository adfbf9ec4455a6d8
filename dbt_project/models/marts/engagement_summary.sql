{#
    One row per engagement and channel: when it ran, how many messages, how many messages
    reached each status (one column per status of the taxonomy seed, generated), and the rates
    the channel scorecards use (macro rate_definitions).

    Incremental: rebuilds the engagements engagement_result_counts changed (queue
    changed_engagements), from their results on the days they had any. Spark rebuilds it whole
    (a table): its scope, engagements, is no partition column to overwrite.
#}
-- depends_on: {{ ref('channel_statuses') }}
{{
    config(
        materialized='table' if target.type == 'spark' else 'incremental',
        replace_scope='in_changed_engagements',
        post_hook="{{ dequeue('changed_engagements') }}",
        on_schema_change='append_new_columns',
    )
}}

with

engagement_days as (
    select distinct
        engagement_id,
        event_date
    from {{ ref('engagement_result_counts') }}
    where engagement_id is not null and {{ in_changed_engagements() }}
),

results as {{ not_materialized() }} (
    select facts.*
    from {{ ref('fct_engagement_results') }} as facts
    where facts.event_date in (select days.event_date from engagement_days as days)
),

attributions as (
    {{ first_mentions('results') }}
),

attributed as (
    select
        attributions.engagement_id,
        results.channel,
        results.status,
        results.event_time,
        results.message_key
    from results
    inner join attributions
        on
            results.channel = attributions.channel
            and results.attribution_key = attributions.attribution_key
    where
        attributions.engagement_id in (select days.engagement_id from engagement_days as days)
),

-- One row per message, the statuses it reached as the bits of one integer. Counting distinct
-- messages per status instead holds a hash set per group and status (out of memory at 10M
-- events), and distinct rows per status cost two more passes over the results (7.5 → 4.3 s).
message_results as (
    select
        engagement_id,
        channel,
        message_key,
        min(event_time) as first_event_time,
        max(event_time) as last_event_time,
        count(*) as results,
        bit_or({{ status_bit('status') }}) as statuses_reached
    from attributed
    group by engagement_id, channel, message_key
),

summary as (
    select
        engagement_id,
        channel,
        min(first_event_time) as first_event_time,
        max(last_event_time) as last_event_time,
        count(*) as messages,
        {%- for status in taxonomy_statuses() %}
            {{ count_where('(statuses_reached & ' ~ 2 ** loop.index0 ~ ') <> 0') }}
                as {{ status }}_messages,
        {%- endfor %}
        cast(sum(results) as bigint) as results
    from message_results
    group by engagement_id, channel
)

select
    *,
    {{ rate_columns() }}
from summary
