{#
    Email bounces by day and bounce type (SendGrid bounce/blocked/dropped, SES
    bounceType/bounceSubType, rejected, rendering_failure, Mailgun's reason).

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
    coalesce(bounce_type, 'unknown') as bounce_type,
    count(*) as result_count,
    count(distinct message_key) as unique_count
from {{ ref('fct_engagement_results') }}
where channel = 'email' and status = 'bounce' and {{ in_changed_event_dates() }}
group by event_date, coalesce(bounce_type, 'unknown')
