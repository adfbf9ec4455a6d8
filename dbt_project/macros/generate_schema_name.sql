{# Custom schemas are used as they are (staging, marts, ...), not prefixed with the target's. #}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}
