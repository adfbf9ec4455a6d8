{#
    Results by engagement, event date, channel and status. engagement_id is null for results
    whose message no record attributed (never dropped): summed over engagements this table
    equals daily_result_counts.

    Incremental: rebuilds the event dates the fact table changed, and those of the results of
    messages whose engagement mentions changed (an activity line arriving after the callbacks
    attributes the results already loaded). The engagements it replaces or writes are queued
    for engagement_summary.
#}
{{
    config(
        materialized='incremental',
        partition_by=spark_partition('event_date'),
        replace_scope='in_engagement_dates',
        pre_hook="{{ enqueue_rows('changed_engagements', ['engagement_summary'],
                                  'engagement_id', in_engagement_dates()) }}",
        post_hook=[
            "{{ enqueue_rows('changed_engagements', ['engagement_summary'],
                             'engagement_id', in_engagement_dates()) }}",
            "{{ dequeue('changed_event_dates') }}",
            "{{ dequeue('changed_messages') }}",
        ],
        on_schema_change='fail',
    )
}}

with

results as {{ not_materialized() }} (
    select *
    from {{ ref('fct_engagement_results') }}
    where {{ in_engagement_dates() }}
),

attributions as (
    {{ first_mentions('results') }}
)

select
    attributions.engagement_id,
    results.event_date,
    results.channel,
    results.status,
    count(*) as result_count,
    count(distinct results.message_key) as unique_count
from results
left join attributions
    on
        results.channel = attributions.channel
        and results.attribution_key = attributions.attribution_key
group by attributions.engagement_id, results.event_date, results.channel, results.status
