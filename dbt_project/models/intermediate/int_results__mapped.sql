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

-- Two joins on equalities, not one whose condition ORs the wildcard in: that one pairs each
-- observation with every value of its field before filtering (10M events: 1.8 s against 0.6).
-- An exact value would win over its field's wildcard (the seed has no field with both).
exact_values as (
    select * from mapping
    where raw_value != '*'
),

wildcard_fields as (
    select * from mapping
    where raw_value = '*'
),

mapped as (
    select
        observations.*,
        case
            when exact_values.source is not null then exact_values.status
            when wildcard_fields.source is not null then observations.raw_status
        end as status,
        exact_values.source is not null or wildcard_fields.source is not null as is_mapped
    from observations
    left join exact_values
        on
            observations.source = exact_values.source
            and observations.channel = exact_values.channel
            and observations.raw_field = exact_values.raw_field
            and observations.raw_status = exact_values.raw_value
    left join wildcard_fields
        on
            observations.source = wildcard_fields.source
            and observations.channel = wildcard_fields.channel
            and observations.raw_field = wildcard_fields.raw_field
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
