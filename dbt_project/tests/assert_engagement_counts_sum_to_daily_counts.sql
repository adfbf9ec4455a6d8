{{ config(meta={"dagster": {"ref": {"name": "engagement_result_counts"}}}) }}

-- Summed over engagements (attributed or not), engagement_result_counts equals
-- daily_result_counts exactly, result and unique counts alike.
with by_engagement as (
    select
        event_date,
        channel,
        status,
        sum(result_count) as result_count,
        sum(unique_count) as unique_count
    from {{ ref('engagement_result_counts') }}
    group by event_date, channel, status
)

select
    coalesce(daily.event_date, by_engagement.event_date) as event_date,
    coalesce(daily.channel, by_engagement.channel) as channel,
    coalesce(daily.status, by_engagement.status) as status
from {{ ref('daily_result_counts') }} as daily
full outer join by_engagement
    on
        daily.event_date = by_engagement.event_date
        and daily.channel = by_engagement.channel
        and daily.status = by_engagement.status
where
    daily.result_count is distinct from by_engagement.result_count
    or daily.unique_count is distinct from by_engagement.unique_count
