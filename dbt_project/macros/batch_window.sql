{#
    The batch dates a run rebuilds. Dagster passes the partitions it runs as min/max_batch_date.
    A result's duplicate status depends on the batches up to `dedupe_window_days` before it, so
    rebuilding batches [min, max] changes results of batches up to max + window (which are
    recomputed too), reading candidates back to min - window.
#}
{% macro batch_window() %}
    {% set days = var('dedupe_window_days') | int %}
    {% set one_day = modules.datetime.timedelta(days=1) %}
    {% set first = modules.datetime.date.fromisoformat(var('min_batch_date')) %}
    {% set last = modules.datetime.date.fromisoformat(var('max_batch_date')) %}
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
        {{ column }} between {{ date_literal(var('min_batch_date')) }}
        and {{ date_literal(var('max_batch_date')) }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
