{#
    dbt-duckdb's incremental materialization writes the model's new rows to a temp table, which
    `replace_where` then copies into the model: every row written twice. A temp view instead
    has the insert compute and write them once (fct_engagement_results at 10M events: 8.1M rows,
    29 -> 22-23 s). It is computed after the delete, so a model whose SELECT reads its own table
    keeps the temp table (hooks read it too, but before and after: as with the table).
#}
{% macro duckdb__create_table_as(temporary, relation, compiled_code, language='sql',
                                 partitioned_by=none, sorted_by=none) -%}
    {%- if temporary and language == 'sql'
          and config.get('incremental_strategy') == 'replace_where'
          and (this | string) not in compiled_code -%}
        create temporary view {{ relation.include(database=false, schema=false) }} as (
            {{ compiled_code }}
        )
    {%- else -%}
        {{ dbt.duckdb__create_table_as(temporary, relation, compiled_code, language,
                                       partitioned_by=partitioned_by, sorted_by=sorted_by) }}
    {%- endif -%}
{%- endmacro %}
