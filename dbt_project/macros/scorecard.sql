{#
    A channel scorecard: per day, ISO week and month, the messages with any result, the
    messages that reached each headline status, and the channel's rates (rate_definitions).
    Weeks and months add up their days: a message counts once per day it reached a status.
#}
{% macro scorecard(channel, statuses) -%}
with

days as (
    select
        counts.event_date,
        messages.messages,
        {%- for status in statuses %}
            {{ sum_where("counts.status = '" ~ status ~ "'", 'counts.unique_count') }}
                as {{ status }}_messages{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref('daily_result_counts') }} as counts
    inner join {{ ref('daily_message_counts') }} as messages
        on counts.event_date = messages.event_date and counts.channel = messages.channel
    where counts.channel = '{{ channel }}'
    group by counts.event_date, messages.messages
),

periods as (
    {%- for period in ['day', 'week', 'month'] %}
        {%- set start = 'event_date' if period == 'day' else dbt.date_trunc(period, 'event_date') %}
        select
            '{{ period }}' as period,
            cast({{ start }} as date) as period_start,
            cast(sum(messages) as bigint) as messages,
            {%- for status in statuses %}
                cast(sum({{ status }}_messages) as bigint) as {{ status }}_messages
                {{- ',' if not loop.last }}
            {%- endfor %}
        from days
        group by cast({{ start }} as date)
        {{ 'union all' if not loop.last }}
    {%- endfor %}
)

select
    period,
    period_start,
    messages,
    {%- for status in statuses %}
        {{ status }}_messages,
    {%- endfor %}
    {{ rate_columns(channel) }}
from periods
{%- endmacro %}
