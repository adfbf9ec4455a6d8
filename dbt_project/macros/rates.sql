{#
    The channel rates, defined once: used by the channel scorecards and the engagement summary.
    Each is the share of messages (distinct calls, texts, email message + recipient) that reached
    `numerator` among those that reached `denominator` ('messages' = any result at all). Their
    definitions for readers are the doc blocks of the same names (models/rates.md).
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

{#
    One column per rate, from the message counts `<status>_messages` and `messages`. Given a
    channel, only that channel's rates; otherwise every rate, null on rows of other channels.
#}
{% macro rate_columns(channel=none) -%}
    {%- set rates = [] -%}
    {%- for rate in rate_definitions() if not channel or channel in rate.channels -%}
        {%- do rates.append(rate) -%}
    {%- endfor -%}
    {%- for rate in rates %}
        {%- set numerator = rate.numerator ~ '_messages' -%}
        {%- set denominator = 'messages' if rate.denominator == 'messages'
            else rate.denominator ~ '_messages' -%}
        {%- set ratio = 'cast(' ~ numerator ~ ' as double) / nullif(' ~ denominator ~ ', 0)' %}
        {% if channel -%}
            {{ ratio }}
        {%- else -%}
            case when channel in ('{{ rate.channels | join("', '") }}') then {{ ratio }} end
        {%- endif %} as {{ rate.name }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
