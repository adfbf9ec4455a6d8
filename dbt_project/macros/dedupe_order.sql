{#
    The dedupe order (SOURCES.md): the earlier batch first; within a batch the earlier event
    time, then file name, then position (line, element, observation).
#}
{% macro dedupe_order_columns() -%}
    {{ return(['batch_date', 'event_time', 'source_file', 'position', 'seq', 'observation']) }}
{%- endmacro %}

{# The dedupe order as an ORDER BY list of `relation`'s columns. #}
{% macro dedupe_order(relation) -%}
    {%- for column in dedupe_order_columns() -%}
        {{ relation }}.{{ column }}{{ ', ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}

{#
    True when the row of `earlier` comes before the row of `later` in the dedupe order (the
    columns compared in turn; none is null on a result).
#}
{% macro precedes_in_dedupe_order(earlier, later) -%}
    {%- set columns = dedupe_order_columns() -%}
    {%- set last = columns[-1] -%}
    {%- set test = namespace(sql=earlier ~ '.' ~ last ~ ' < ' ~ later ~ '.' ~ last) -%}
    {%- for column in columns[:-1] | reverse -%}
        {%- set left, right = earlier ~ '.' ~ column, later ~ '.' ~ column -%}
        {%- set test.sql = '(' ~ left ~ ' < ' ~ right ~ ' or (' ~ left ~ ' = ' ~ right
            ~ ' and ' ~ test.sql ~ '))' -%}
    {%- endfor -%}
    {{ test.sql }}
{%- endmacro %}

{# The same result in `left` and `right`: its batch, source, file and position (line, element,
   observation) identify it. #}
{% macro same_result(left, right) -%}
    {%- for column in ['batch_date', 'source', 'source_file', 'position', 'seq', 'observation'] -%}
        {{ left }}.{{ column }} = {{ right }}.{{ column }}{{ ' and ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}
