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

results as (
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

-- Distinct messages are counted from distinct rows (aggregates that spill to disk), not with
-- one count(distinct) per status: those hold a hash set per group each, and ran out of memory
-- on a 10M-event batch.
totals as (
    select
        engagement_id,
        channel,
        min(event_time) as first_event_time,
        max(event_time) as last_event_time,
        count(*) as results
    from attributed
    group by engagement_id, channel
),

distinct_status_messages as (
    select distinct
        engagement_id,
        channel,
        status,
        message_key
    from attributed
),

distinct_messages as (
    select distinct
        engagement_id,
        channel,
        message_key
    from distinct_status_messages
),

messages as (
    select
        engagement_id,
        channel,
        count(message_key) as messages
    from distinct_messages
    group by engagement_id, channel
),

status_messages as (
    select
        engagement_id,
        channel,
        status,
        count(message_key) as messages
    from distinct_status_messages
    group by engagement_id, channel, status
),

pivoted as (
    select
        engagement_id,
        channel,
        {%- for status in taxonomy_statuses() %}
            cast(sum(case when status = '{{ status }}' then messages else 0 end) as bigint)
                as {{ status }}_messages,
        {%- endfor %}
        count(*) as statuses_reached
    from status_messages
    group by engagement_id, channel
),

summary as (
    select
        totals.engagement_id,
        totals.channel,
        totals.first_event_time,
        totals.last_event_time,
        messages.messages,
        {%- for status in taxonomy_statuses() %}
            pivoted.{{ status }}_messages,
        {%- endfor %}
        totals.results
    from totals
    inner join messages
        on totals.engagement_id = messages.engagement_id and totals.channel = messages.channel
    inner join pivoted
        on totals.engagement_id = pivoted.engagement_id and totals.channel = pivoted.channel
)

select
    *,
    {{ rate_columns() }}
from summary
