{#
    Engagement attribution: a message belongs to the engagement first named for it, in the
    dedupe order (earlier batch; then earlier event time, file, position), by any accepted
    record of its channel. A full build looks at every batch; an incremental one at the
    batches from the dedupe window before its oldest result on (the guarantee: a mention
    counts for the results of its message up to that window later).
#}

{# The first engagement named for each message of `results` (a relation or CTE name). #}
{% macro first_mentions(results) -%}
    select
        channel,
        attribution_key,
        engagement_id
    from (
        select
            mentions.channel,
            mentions.attribution_key,
            mentions.engagement_id,
            row_number() over (
                partition by mentions.channel, mentions.attribution_key
                order by {{ dedupe_order('mentions') }}
            ) as mention_order
        from {{ ref('int_engagement_mentions') }} as mentions
        inner join (select distinct channel, attribution_key from {{ results }}) as wanted
            on
                mentions.channel = wanted.channel
                and mentions.attribution_key = wanted.attribution_key
        {% if is_incremental() -%}
            {#- Incremental runs read the mentions from the dedupe window before the oldest
                result on: the nightly cost stays independent of history. The bound is a date,
                which DuckDB applies to the scan (a timestamp, as dateadd gives, it compared
                to every mention of the history). -#}
            where mentions.batch_date >= (
                select cast({{ dbt.dateadd('day', -(var('dedupe_window_days') | int),
                                           'min(batch_date)') }} as date)
                from {{ results }}
            )
        {%- endif %}
    ) as ranked
    where mention_order = 1
{%- endmacro %}

{#
    Event dates whose engagement counts a run rebuilds: the dates the fact table changed, and
    the dates of results (within the dedupe window of the mention) of messages whose mentions
    changed, so that an activity line arriving late attributes results loaded before it.

    Every statement of the model scopes by this condition (the delete, the select, two hooks),
    and DuckDB evaluates its subquery in each: so the queues' few dates and batch range are read
    first and written in as constants. Then the fact table is read only for the batches around
    the changed messages, and only for the results whose date is not queued already (a new
    batch's own results are most matches, and add no date). Before, a year of history took the
    model from 5 s to 23 s at 10M events.
#}
{% macro in_engagement_dates() -%}
    {%- if is_incremental() -%}
        {%- set window = modules.datetime.timedelta(days=var('dedupe_window_days') | int) -%}
        {%- set dates = queued_dates('changed_event_dates', 'distinct event_date') -%}
        {%- set batches = queued_dates('changed_messages', 'min(batch_date), max(batch_date)') -%}
        event_date in (
            {{ queued('changed_event_dates', 'event_date') }}
            {%- if batches and batches[0] is not none %}
            union
            select results.event_date
            from {{ ref('fct_engagement_results') }} as results
            inner join ({{ queued('changed_messages', 'channel, attribution_key, batch_date') }})
                as changed
                on
                    results.channel = changed.channel
                    and results.attribution_key = changed.attribution_key
                    and results.batch_date
                    between {{ dbt.dateadd('day', -window.days, 'changed.batch_date') }}
                    and {{ dbt.dateadd('day', window.days, 'changed.batch_date') }}
            where
                results.batch_date between {{ date_literal(batches[0] - window) }}
                and {{ date_literal(batches[1] + window) }}
                {%- if dates %}
                and results.event_date not in (
                    {%- for value in dates -%}
                        {{ date_literal(value) }}{{ ', ' if not loop.last }}
                    {%- endfor -%}
                )
                {%- endif %}
            {%- endif %}
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{# Every value `columns` selects from this model's rows of `queue`, row by row, as dates (or none).
   Nothing unless executing. #}
{% macro queued_dates(queue, columns) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set table = run_query(queued(queue, columns)) -%}
    {%- set values = [] -%}
    {%- for row in table.rows -%}
        {%- for value in row -%}
            {%- do values.append(none if value is none
                else modules.datetime.date.fromisoformat((value | string)[:10])) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(values) }}
{%- endmacro %}

{% macro in_changed_engagements() -%}
    {%- if is_incremental() -%}
        engagement_id in ({{ queued('changed_engagements', 'engagement_id') }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{# The statuses of the taxonomy seed (every channel), in seed order, for generated columns. #}
{% macro taxonomy_statuses() -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {#- The seed table itself, not ref(): `dbt build --empty` renders refs as empty. -#}
    {%- set seed = graph.nodes['seed.engagement.channel_statuses'] -%}
    {%- set relation = load_relation(api.Relation.create(
        database=seed.database, schema=seed.schema, identifier=seed.alias)) -%}
    {%- if relation is none -%}
        {{ return([]) }}  {#- not seeded yet (compiling without a warehouse); the contract guards -#}
    {%- endif -%}
    {%- set rows = run_query(
        "select status, min(seed_order) as first from (select status, " ~ load_order()
        ~ " as seed_order from " ~ relation ~ ") group by status order by first"
    ) -%}
    {{ return(rows.columns[0].values()) }}
{%- endmacro %}

{#
    A status column as one bit of a bigint: 2^i for the i-th of taxonomy_statuses(), null for any
    other value. bit_or() over a message's rows then holds every status it reached.
#}
{% macro status_bit(column) -%}
    {%- set statuses = taxonomy_statuses() -%}
    {%- if statuses | length > 63 -%}
        {{ exceptions.raise_compiler_error('status_bit: over 63 statuses do not fit a bigint') }}
    {%- elif not statuses -%}
        cast(null as bigint)
    {%- else -%}
        case {{ column }}
            {%- for status in statuses %}
                when '{{ status }}' then cast({{ 2 ** loop.index0 }} as bigint)
            {%- endfor %}
        end
    {%- endif -%}
{%- endmacro %}
