{#
    Distinct messages (calls, texts, email message + recipient) with any result, per day and
    channel: the "calls", "emails" and "texts" of the scorecards.

    Incremental: the event dates the fact table changed (queue changed_event_dates).
#}
{{
    config(
        materialized='incremental',
        partition_by=spark_partition('event_date'),
        replace_scope='in_changed_event_dates',
        post_hook="{{ dequeue('changed_event_dates') }}",
        on_schema_change='fail',
    )
}}

select
    event_date,
    channel,
    count(distinct message_key) as messages
from {{ ref('fct_engagement_results') }}
where {{ in_changed_event_dates() }}
group by event_date, channel
