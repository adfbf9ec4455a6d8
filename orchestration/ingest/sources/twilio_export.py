"""Twilio Call and Message resources: the REST API (one resource, or a list page `{"calls":
[...]}` / `{"messages": [...]}`), Airbyte records (`{"stream", "data"}`) and Fivetran CSV exports.

A resource gives its final `status` (and a call its `answered_by`) at its `end_time` (calls),
else `date_updated` (`updated_at` in Fivetran). The channel comes from the SID: CA… is a call,
SM…/MM… a message. Same vocabulary as the status callbacks.
"""

from orchestration.ingest.parser import SourceParser

UNWRAP = """
with pages as (
    select *, if(json_exists(rec, '$.calls'), 'calls', 'messages') as list
    from elements
    where error is null and not json_exists(rec, '$.data')
        and (json_exists(rec, '$.calls') or json_exists(rec, '$.messages'))
)

select * from elements
where error is not null
    or not (json_exists(rec, '$.calls') or json_exists(rec, '$.messages')
            or json_exists(rec, '$.data'))

union all

select line_no, item, ord, raw,
    case when json_type(rec, '$.data') = 'OBJECT' then json_extract(rec, '$.data')::varchar end,
    case when json_type(rec, '$.data') is distinct from 'OBJECT'
        then 'data is not a JSON object' end
from elements
where error is null and json_exists(rec, '$.data')

union all

select
    line_no,
    coalesce(item, '') || list || '[' || (position - 1) || ']' as item,
    list_append(ord, position::integer) as ord,
    element as raw,
    case when json_type(element) = 'OBJECT' then element end as rec,
    case when json_type(element) <> 'OBJECT'
        then list || '[' || (position - 1) || '] is not a JSON object' end as error
from (
    select
        *,
        unnest(if(list = 'calls', json_extract(rec, '$.calls[*]'),
                  json_extract(rec, '$.messages[*]')))::varchar as element,
        unnest(range(1, json_array_length(json_extract(rec, '$.' || list))::bigint + 1))
            as position
    from pages
)

union all

select line_no, item, ord, raw, null as rec, list || ' is not an array' as error
from pages
where json_type(rec, '$.' || list) is distinct from 'ARRAY'
"""

PARSER = SourceParser(
    name="twilio_export",
    unwrap=UNWRAP,
    reads_csv=True,
    fields={
        "sid": "$.sid",
        "id": "$.id",
        "status": "$.status",
        "answered_by": "$.answered_by",
        "end_time": "$.end_time",
        "date_updated": "$.date_updated",
        "updated_at": "$.updated_at",
        "error_code": "$.error_code",
    },
    string_fields={"engagement_id": "$.engagement_id"},
    required={
        "result_key": "sid",
        "message_key": "sid",
        "raw_value": "status",
        "channel": "sid (CA… for a call, SM…/MM… for a message)",
        "event_time": "end_time or date_updated",
    },
    dedupe_by_status=True,
    select="""
        with resources as (
            select
                *,
                coalesce(sid, id) as resource_sid,
                case upper(left(coalesce(sid, id), 2))
                    when 'CA' then 'voice'
                    when 'SM' then 'text'
                    when 'MM' then 'text'
                end as channel,
                case
                    when upper(left(coalesce(sid, id), 2)) = 'CA' and end_time is not null
                        then 'end_time'
                    when date_updated is not null then 'date_updated'
                    else 'updated_at'
                end as time_field
            from fields
        ),

        timed as (
            select
                *,
                case time_field
                    when 'end_time' then end_time
                    when 'date_updated' then date_updated
                    else updated_at
                end as time_value
            from resources
        )

        select
            record_id,
            resource_sid as result_key,
            resource_sid as message_key,
            observation.raw_field,
            observation.raw_value,
            channel,
            time_field,
            time_value,
            coalesce(rfc2822_time(time_value), iso_time(time_value)) as event_time,
            observation.detail,
            null as bounce_type,
            engagement_id
        from timed,
            unnest(present_or_none([
                {'raw_field': 'status', 'raw_value': status, 'detail': error_code},
                {'raw_field': 'answered_by', 'raw_value': if(channel = 'voice', answered_by, null),
                 'detail': answered_by}
            ])) as observations(observation)
    """,
)
