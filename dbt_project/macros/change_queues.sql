{#
    Change queues: what changed since a consumer model last ran.

    A producer enqueues, inside its own transaction, what it replaces (pre-hook) and what it
    writes (post-hook), once per consumer; a consumer rebuilds what its queue names and empties
    its own rows when it commits. A run that dies in between leaves the rows, so the next run
    rebuilds them; a partial run (one model from the UI) leaves the other consumers' rows.

        changed_event_dates    fct_engagement_results → the daily models, engagement_result_counts,
                               and the publish step (consumer `serving`)
        changed_messages       int_engagement_mentions → engagement_result_counts
        changed_engagements    engagement_result_counts → engagement_summary
#}
{% macro change_queue(name) -%}
    {{ return(api.Relation.create(schema='intermediate', identifier=name)) }}
{%- endmacro %}

{# Each queue's columns, then `consumer` (last: the partition column on Spark). #}
{% macro change_queue_columns() -%}
    {%- set text = dbt.type_string() -%}
    {{ return({
        'changed_event_dates': 'event_date date',
        'changed_messages': 'channel ' ~ text ~ ', attribution_key ' ~ text ~ ', batch_date date',
        'changed_engagements': 'engagement_id ' ~ text,
    }) }}
{%- endmacro %}

{# on-run-start: one statement per call, which every adapter runs. #}
{% macro create_change_queues() -%}
    {%- do run_query('create schema if not exists ' ~ change_queue('changed_event_dates').schema) -%}
    {%- for name, columns in change_queue_columns().items() -%}
        {%- do run_query('create table if not exists ' ~ change_queue(name) ~ ' (' ~ columns
                         ~ ', consumer ' ~ dbt.type_string() ~ ')' ~ change_queue_options()) -%}
    {%- endfor -%}
{%- endmacro %}

{% macro change_queue_options() -%}
    {{ return(adapter.dispatch('change_queue_options')()) }}
{%- endmacro %}

{% macro default__change_queue_options() -%}
{%- endmacro %}

{% macro spark__change_queue_options() -%}
    {{ ' using parquet partitioned by (consumer)' }}
{%- endmacro %}

{# Enqueue, for each consumer, the distinct `columns` of this model's rows in `scope`. #}
{% macro enqueue_rows(queue, consumers, columns, scope) -%}
    {% if load_relation(this) is not none %}
        insert into {{ change_queue(queue) }} ({{ columns }}, consumer)
        select distinct {{ columns }}, consumers.consumer
        from {{ this }}
        cross join (values ('{{ consumers | join("'), ('") }}')) as consumers (consumer)
        where {{ scope }}
    {% endif %}
{%- endmacro %}

{% macro queued(queue, columns) -%}
    select {{ columns }} from {{ change_queue(queue) }} where consumer = '{{ this.name }}'
{%- endmacro %}

{% macro dequeue(queue) -%}
    {{ return(adapter.dispatch('dequeue')(queue)) }}
{%- endmacro %}

{% macro default__dequeue(queue) -%}
    delete from {{ change_queue(queue) }} where consumer = '{{ this.name }}'
{%- endmacro %}

{% macro spark__dequeue(queue) -%}
    alter table {{ change_queue(queue) }} drop if exists partition (consumer = '{{ this.name }}')
{%- endmacro %}

{% macro in_changed_event_dates() -%}
    {%- if is_incremental() -%}
        event_date in ({{ queued('changed_event_dates', 'event_date') }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
