{# The result taxonomy, for BI: every status a channel can count, with its label and meaning. #}
select
    channel,
    status,
    label,
    definition,
    row_number() over (
        partition by channel order by seed_order
    ) as sort_order
from (
    select
        *,
        {{ load_order() }} as seed_order
    from {{ ref('channel_statuses') }}
)
