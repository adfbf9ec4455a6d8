{#
    Every observation with its canonical status from the status_mapping seed. A mapping row
    whose raw_value is '*' admits the channel's statuses as they are (activity log). An empty
    status is a known value that counts nothing (status is null here).
#}
with

observations as (
    select * from {{ ref('stg_ingest__observations') }}
),

mapping as (
    select
        source,
        channel,
        raw_field,
        lower(trim(raw_value)) as raw_value,
        status
    from {{ ref('status_mapping') }}
),

mapped as (
    select
        observations.*,
        case
            when mapping.raw_value = '*' then observations.raw_status
            else mapping.status
        end as status,
        mapping.source is not null as is_mapped
    from observations
    left join mapping
        on
            observations.source = mapping.source
            and observations.channel = mapping.channel
            and observations.raw_field = mapping.raw_field
            and (observations.raw_status = mapping.raw_value or mapping.raw_value = '*')
)

select
    *,
    {{ dbt.concat([
        "source", "'|'",
        "case when dedupe_by_status then status else '' end", "'|'",
        "result_key"
    ]) }} as dedupe_key,
    {{ to_reporting_date('event_time') }} as event_date
from mapped
