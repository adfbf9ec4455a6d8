{{ config(meta={"dagster": {"ref": {"name": "daily_result_counts"}}}) }}

-- On the event dates of the run's batches, the summary counts exactly the rows of the fact
-- table (Fivetran-style integrity test between layers).
with dates as (
    select distinct event_date
    from {{ ref('fct_engagement_results') }}
    where {{ run_batches_condition() }}
),

summary as (
    select
        channel,
        status,
        sum(result_count) as results
    from {{ ref('daily_result_counts') }}
    where event_date in (select dates.event_date from dates)
    group by channel, status
),

facts as (
    select
        channel,
        status,
        count(*) as results
    from {{ ref('fct_engagement_results') }}
    where event_date in (select dates.event_date from dates)
    group by channel, status
)

select
    coalesce(summary.channel, facts.channel) as channel,
    coalesce(summary.status, facts.status) as status,
    summary.results as summary_results,
    facts.results as fact_results
from summary
full outer join facts on summary.channel = facts.channel and summary.status = facts.status
where summary.results is distinct from facts.results
