{#
    The batch dates [min, max] of the run. Dagster passes the partitions it runs in the
    environment (ENGAGEMENT_DBT_MIN_BATCH_DATE, ENGAGEMENT_DBT_MAX_BATCH_DATE); a standalone
    `dbt build` takes every batch. They are read only when executing: a value dbt sees while
    parsing (a changed `--vars`, an env_var) makes it parse the project again, seconds per run.
#}
{% macro run_batch_dates() %}
    {% if execute %}
        {{ return((env_var('ENGAGEMENT_DBT_MIN_BATCH_DATE', '1970-01-01'),
                   env_var('ENGAGEMENT_DBT_MAX_BATCH_DATE', '2999-12-31'))) }}
    {% endif %}
    {{ return(('1970-01-01', '2999-12-31')) }}
{% endmacro %}

{#
    The batch dates a run rebuilds. A result's duplicate status depends on the batches up to
    `dedupe_window_days` before it, so rebuilding batches [min, max] changes results of batches
    up to max + window (which are recomputed too), reading candidates back to min - window.
#}
{% macro batch_window() %}
    {% set days = var('dedupe_window_days') | int %}
    {% set one_day = modules.datetime.timedelta(days=1) %}
    {% set dates = run_batch_dates() %}
    {% set first = modules.datetime.date.fromisoformat(dates[0]) %}
    {% set last = modules.datetime.date.fromisoformat(dates[1]) %}
    {{ return({
        'days': days,
        'rebuild_start': first,
        'rebuild_end': last + one_day * days,
        'read_start': first - one_day * days,
    }) }}
{% endmacro %}

{% macro date_literal(value) -%}
    cast('{{ value }}' as date)
{%- endmacro %}

{# Filters for incremental runs; a full build takes every batch. #}
{#
    Batches purged by retention (their raw records deleted) are frozen: incremental runs never
    rebuild their facts, which stay. (A full refresh rebuilds from raw: it would drop them.)
#}
{% macro in_rebuilt_batches(column='batch_date') -%}
    {%- set window = batch_window() -%}
    {%- if is_incremental() -%}
        {{ column }} between {{ date_literal(window.rebuild_start) }}
        and {{ date_literal(window.rebuild_end) }}
        and {{ not_frozen(column) }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{% macro not_frozen(column='batch_date') -%}
    {{ column }} not in (
        select purged.batch_date from {{ ingest_source('ingest_audit', 'ingested_batches') }} as purged
        where purged.purged_at is not null
    )
{%- endmacro %}

{% macro in_read_batches(column='batch_date') -%}
    {%- set window = batch_window() -%}
    {%- if is_incremental() -%}
        {{ column }} between {{ date_literal(window.read_start) }}
        and {{ date_literal(window.rebuild_end) }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{# What rebuilds the event dates the fact table changed (see change_queues.sql): the models,
   and `serving`, the publish step's Parquet of the fact table. #}
{% macro event_date_consumers() -%}
    {{ return(['daily_result_counts', 'daily_message_counts', 'email_bounce_types_daily',
               'engagement_result_counts', 'serving']) }}
{%- endmacro %}

{# The batches of the run itself, [min, max] (what ingest just replaced). #}
{% macro in_run_batches(column='batch_date') -%}
    {%- if is_incremental() -%}
        {{ run_batches_condition(column) }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{% macro run_batches_condition(column='batch_date') -%}
    {%- set dates = run_batch_dates() -%}
    {{ column }} between {{ date_literal(dates[0]) }} and {{ date_literal(dates[1]) }}
{%- endmacro %}

{#
    A data test's `where` is rendered while parsing, before the run's batches are known: the
    placeholder __run_batches__ stands for them, replaced when the test runs (the override dbt
    documents for custom `where` logic).
#}
{% macro get_where_subquery(relation) -%}
    {% set where = (config.get('where') or '') | replace('__run_batches__', run_batches_condition()) %}
    {% if where %}
        {% do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') %}
    {% endif %}
    {% do return(relation) %}
{%- endmacro %}
