{# What orders a seed table's rows as they were loaded (its CSV order), for `order by`. #}
{% macro load_order() -%}
    {{ return(adapter.dispatch('load_order')()) }}
{%- endmacro %}

{% macro default__load_order() -%}
    rowid
{%- endmacro %}

{# Spark writes a seed as numbered part files, each in CSV order. #}
{% macro spark__load_order() -%}
    _metadata.file_name, _metadata.row_index
{%- endmacro %}
