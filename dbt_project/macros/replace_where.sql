{#
    Incremental strategy `replace_where`: delete the target rows in the model's replace scope,
    then insert the new rows. Unlike delete+insert it also clears a scope that yields no new
    rows (a re-run batch whose files are gone). The scope is the SQL condition returned by the
    macro named in the model's `replace_scope` config, rendered at run time (so it may ref()).

    DuckDB runs it as such. Spark tables cannot delete rows, so there the models are
    `insert_overwrite` (dbt_project.yml) by their `partition_by` column (spark_partition below),
    and the scope is whole partitions: get_insert_overwrite_sql below drops the scope's
    partitions that get no new rows, then overwrites those that do.
#}
{% macro get_incremental_replace_where_sql(arg_dict) -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ arg_dict['target_relation'] }}
    where {{ replace_scope() }};

    insert into {{ arg_dict['target_relation'] }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{%- endmacro %}

{# Overrides dbt-spark's macro of the same name (used by its insert_overwrite strategy). #}
{% macro get_insert_overwrite_sql(source_relation, target_relation, existing_relation) -%}
    {%- set column = config.get('partition_by') -%}
    {%- if column is not string -%}
        {{ exceptions.raise_compiler_error('insert_overwrite needs partition_by: one column') }}
    {%- endif -%}
    {%- set emptied = run_query(
        'select distinct ' ~ column ~ ' from ' ~ target_relation ~ ' where ' ~ replace_scope()
        ~ ' except select distinct ' ~ column ~ ' from ' ~ source_relation
    ) -%}
    {%- for value in emptied.columns[0].values() -%}
        {%- do run_query('alter table ' ~ target_relation ~ ' drop if exists partition ('
                         ~ column ~ " = '" ~ value ~ "')") -%}
    {%- endfor -%}
    {%- set columns = adapter.get_columns_in_relation(target_relation)
                      | map(attribute='quoted') | join(', ') -%}
    insert overwrite table {{ target_relation }} partition ({{ column }})
    select {{ columns }} from {{ source_relation }}
{%- endmacro %}

{#
    A model's partition_by: its column on Spark, where insert_overwrite replaces whole
    partitions; none on DuckDB, whose tables are not partitioned (dbt-duckdb warns of a
    partition_by outside DuckLake, once per model and run).
#}
{% macro spark_partition(column) -%}
    {{ return(column if target.type == 'spark' else none) }}
{%- endmacro %}

{# The model's replace scope: the condition of the macro its `replace_scope` config names. #}
{% macro replace_scope() -%}
    {%- set scope_macro = config.get('replace_scope') -%}
    {%- if not scope_macro or scope_macro not in context -%}
        {{ exceptions.raise_compiler_error('replace_where needs replace_scope: the name of a macro') }}
    {%- endif -%}
    {{ return(context[scope_macro]()) }}
{%- endmacro %}
