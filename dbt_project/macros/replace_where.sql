{#
    Incremental strategy `replace_where`: delete the target rows in the model's replace scope,
    then insert the new rows. Unlike delete+insert it also clears a scope that yields no new
    rows (a re-run batch whose files are gone). The scope is the SQL condition returned by the
    macro named in the model's `replace_scope` config, rendered at run time (so it may ref()).
#}
{% macro get_incremental_replace_where_sql(arg_dict) -%}
    {%- set scope_macro = config.get('replace_scope') -%}
    {%- if not scope_macro or scope_macro not in context -%}
        {{ exceptions.raise_compiler_error('replace_where needs replace_scope: the name of a macro') }}
    {%- endif -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ arg_dict['target_relation'] }}
    where {{ context[scope_macro]() }};

    insert into {{ arg_dict['target_relation'] }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{%- endmacro %}
