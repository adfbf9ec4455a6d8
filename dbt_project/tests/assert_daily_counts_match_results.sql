{{ config(meta={"dagster": {"ref": {"name": "daily_result_counts"}}}) }}

-- Summed over days, the summary counts exactly the rows of the fact table (Fivetran-style
-- integrity test between layers).
with summary as (
    select
        channel,
        status,
        sum(result_count) as results
    from {{ ref('daily_result_counts') }}
    group by channel, status
),

facts as (
    select
        channel,
        status,
        count(*) as results
    from {{ ref('fct_engagement_results') }}
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
