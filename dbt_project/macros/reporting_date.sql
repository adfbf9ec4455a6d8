{# The date of a UTC instant in the reporting time zone (var reporting_timezone, an IANA name). #}
{% macro to_reporting_date(column) -%}
    {{ return(adapter.dispatch('to_reporting_date')(column)) }}
{%- endmacro %}

{% macro default__to_reporting_date(column) -%}
    cast(timezone('{{ var("reporting_timezone") }}', {{ column }}) as date)
{%- endmacro %}

{% macro spark__to_reporting_date(column) -%}
    to_date(from_utc_timestamp({{ column }}, '{{ var("reporting_timezone") }}'))
{%- endmacro %}
