{#
    The channel rates, defined once: used by the channel scorecards and the engagement summary.
    Each is the share of messages (distinct calls, texts, email message + recipient) that reached
    `numerator` among those that reached `denominator` ('messages' = any result at all). Their
    definitions for readers are the doc blocks of the same names (docs/rates.md).
#}
{% macro rate_definitions() -%}
    {{ return([
        {'name': 'answer_rate', 'channels': ['voice'], 'numerator': 'answered', 'denominator': 'messages'},
        {'name': 'human_rate', 'channels': ['voice'], 'numerator': 'human', 'denominator': 'answered'},
        {'name': 'delivery_rate', 'channels': ['email', 'text'], 'numerator': 'delivered', 'denominator': 'sent'},
        {'name': 'open_rate', 'channels': ['email'], 'numerator': 'open', 'denominator': 'delivered'},
        {'name': 'click_through_rate', 'channels': ['email'], 'numerator': 'click', 'denominator': 'delivered'},
        {'name': 'bounce_rate', 'channels': ['email'], 'numerator': 'bounce', 'denominator': 'sent'},
        {'name': 'complaint_rate', 'channels': ['email'], 'numerator': 'complaint', 'denominator': 'delivered'},
    ]) }}
{%- endmacro %}

{# One column per rate; `column` names the message count of a status (e.g. '{}_messages'). #}
{% macro rate_columns(column='{}_messages') -%}
    {%- for rate in rate_definitions() %}
        {%- set denominator = 'messages' if rate.denominator == 'messages'
            else column.format(rate.denominator) %}
        case
            when channel in ('{{ rate.channels | join("', '") }}')
                then cast({{ column.format(rate.numerator) }} as double) / nullif({{ denominator }}, 0)
        end as {{ rate.name }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
