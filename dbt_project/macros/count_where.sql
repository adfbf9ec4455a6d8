{% macro count_where(condition) -%}
    cast(sum(case when {{ condition }} then 1 else 0 end) as bigint)
{%- endmacro %}

{% macro sum_where(condition, value) -%}
    cast(sum(case when {{ condition }} then {{ value }} else 0 end) as bigint)
{%- endmacro %}
