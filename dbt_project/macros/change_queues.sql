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
    {{ return(api.Relation.create(database=target.database, schema='intermediate', identifier=name)) }}
{%- endmacro %}

{% macro create_change_queues() -%}
    create schema if not exists {{ change_queue('changed_event_dates').schema }};
    create table if not exists {{ change_queue('changed_event_dates') }}
        (consumer varchar, event_date date);
    create table if not exists {{ change_queue('changed_messages') }}
        (consumer varchar, channel varchar, attribution_key varchar, batch_date date);
    create table if not exists {{ change_queue('changed_engagements') }}
        (consumer varchar, engagement_id varchar)
{%- endmacro %}

{# Enqueue, for each consumer, the distinct `columns` of this model's rows in `scope`. #}
{% macro enqueue_rows(queue, consumers, columns, scope) -%}
    {% if load_relation(this) is not none %}
        {% for consumer in consumers %}
            insert into {{ change_queue(queue) }}
            select distinct '{{ consumer }}', {{ columns }} from {{ this }} where {{ scope }};
        {% endfor %}
    {% endif %}
{%- endmacro %}

{% macro queued(queue, columns) -%}
    select {{ columns }} from {{ change_queue(queue) }} where consumer = '{{ this.name }}'
{%- endmacro %}

{% macro dequeue(queue) -%}
    delete from {{ change_queue(queue) }} where consumer = '{{ this.name }}'
{%- endmacro %}

{% macro in_changed_event_dates() -%}
    {%- if is_incremental() -%}
        event_date in ({{ queued('changed_event_dates', 'event_date') }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
