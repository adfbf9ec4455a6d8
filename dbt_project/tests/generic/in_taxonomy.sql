{# Every (channel, status) of the model is a status of that channel in the taxonomy seed. #}
{% test in_taxonomy(model) %}
with counted as (
    select distinct channel, status from {{ model }}
)

select counted.channel, counted.status
from counted
left join {{ ref('channel_statuses') }} as taxonomy
    on counted.channel = taxonomy.channel and counted.status = taxonomy.status
where taxonomy.status is null
{% endtest %}
