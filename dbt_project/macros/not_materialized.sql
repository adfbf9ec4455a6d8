{#
    DuckDB materializes a CTE that is read more than once: every row and column copied, spilled
    past dbt's memory limit. A CTE that only filters a table or a cheap view is faster read
    again, each reader taking only its columns: `name as {{ not_materialized() }} (...)`.
    Spark has no such keyword.
#}
{% macro not_materialized() -%}
    {{- 'not materialized' if target.type == 'duckdb' -}}
{%- endmacro %}
