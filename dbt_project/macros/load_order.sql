{# A seed row's position in its CSV (1, 2, ...), from the order the table was loaded in. #}
{% macro load_order() -%}
    {{ return(adapter.dispatch('load_order')()) }}
{%- endmacro %}

{# DuckDB scans a table in insertion order. #}
{% macro default__load_order() -%}
    row_number() over ()
{%- endmacro %}

{# Spark writes a seed as numbered part files, each in CSV order. #}
{% macro spark__load_order() -%}
    row_number() over (order by _metadata.file_name, _metadata.row_index)
{%- endmacro %}
