{# Every (channel, status) of the model is a status of that channel in the taxonomy seed. #}
{% test in_taxonomy(model) %}
select model.channel, model.status
from {{ model }} as model
left join {{ ref('channel_statuses') }} as taxonomy
    on model.channel = taxonomy.channel and model.status = taxonomy.status
where taxonomy.status is null
{% endtest %}
