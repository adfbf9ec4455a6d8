{#
    Results by event date, channel and status. result_count counts deduplicated results;
    unique_count counts the distinct messages (calls, texts, email message + recipient) that
    reached the status that day, across sources.

    Incremental: rebuilds the event dates the fact table changed since this model last ran
    (queue changed_event_dates): those of the rows it replaced and of the rows it wrote. Late
    events thus update their own, earlier, day in the run that brought them.
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
    status,
    count(*) as result_count,
    count(distinct message_key) as unique_count
from {{ ref('fct_engagement_results') }}
where {{ in_changed_event_dates() }}
group by event_date, channel, status
