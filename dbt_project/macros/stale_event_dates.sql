{#
    Event dates whose summary rows must be rebuilt although no current result points at them:
    the fact table records here the dates of the rows it replaces, before replacing them, in
    the same transaction; the daily summary rebuilds them and clears the list. A run that dies
    in between leaves the dates listed, so the next run rebuilds them.
#}
{% macro stale_event_dates() -%}
    {{ return(api.Relation.create(database=target.database, schema='intermediate', identifier='stale_event_dates')) }}
{%- endmacro %}

{% macro create_stale_event_dates() -%}
    create schema if not exists {{ stale_event_dates().schema }};
    create table if not exists {{ stale_event_dates() }} (event_date date)
{%- endmacro %}

{% macro record_replaced_event_dates() -%}
    {% if is_incremental() %}
        insert into {{ stale_event_dates() }}
        select distinct event_date from {{ this }} where {{ in_rebuilt_batches() }}
    {% endif %}
{%- endmacro %}

{# The event dates a run rebuilds: those of the results in its batches, and the stale ones. #}
{% macro in_affected_event_dates() -%}
    {%- if is_incremental() -%}
        event_date in (
            select event_date from {{ ref('fct_engagement_results') }}
            where {{ in_rebuilt_batches() }}
            union
            select event_date from {{ stale_event_dates() }}
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
