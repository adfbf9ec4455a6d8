"""Mailgun events: webhook bodies `{"signature", "event-data"}`, bare event objects, and Events
API pages `{"items": [...], "paging": ...}` (an empty page holds no record).

`failed` splits on `severity`: permanent is a bounce whose type is the `reason`, temporary
counts nothing, and a `failed` without severity has no status. Mailgun's `id` is unique only
within a day, so the dedupe key is (`id`, `timestamp`).
"""

from orchestration.ingest.parser import SourceParser

MACROS = """
-- Mailgun user-variables: an object, or a string that may hold one (else no engagement).
create or replace temp macro engagement_from_variables(variables) as
    case when is_json(variables) and json_type(variables) = 'OBJECT'
         then jstring(json_extract(variables, '$.engagement_id')) end;
"""

UNWRAP = """
select * from elements
where error is not null or not (json_exists(rec, '$."event-data"') or json_exists(rec, '$.items'))

union all

select
    line_no,
    item,
    ord,
    raw,
    case when json_type(rec, '$."event-data"') = 'OBJECT'
        then json_extract(rec, '$."event-data"')::varchar end as rec,
    case when json_type(rec, '$."event-data"') is distinct from 'OBJECT'
        then 'event-data is not a JSON object' end as error
from elements
where error is null and json_exists(rec, '$."event-data"')

union all

select
    line_no,
    coalesce(item, '') || 'items[' || (position - 1) || ']' as item,
    list_append(ord, position::integer) as ord,
    element as raw,
    case when json_type(element) = 'OBJECT' then element end as rec,
    case when json_type(element) <> 'OBJECT'
        then 'items[' || (position - 1) || '] is not a JSON object' end as error
from (
    select
        *,
        unnest(json_extract(rec, '$.items[*]'))::varchar as element,
        unnest(range(1, json_array_length(rec, '$.items')::bigint + 1)) as position
    from elements
    where error is null and json_type(rec, '$.items') = 'ARRAY'
        and not json_exists(rec, '$."event-data"')
)

union all

select line_no, item, ord, raw, null as rec, 'items is not an array' as error
from elements
where error is null and json_exists(rec, '$.items')
    and json_type(rec, '$.items') is distinct from 'ARRAY'
    and not json_exists(rec, '$."event-data"')
"""

PARSER = SourceParser(
    name="mailgun",
    macros=MACROS,
    unwrap=UNWRAP,
    fields={
        "id": "$.id",
        "event": "$.event",
        "severity": "$.severity",
        "timestamp": "$.timestamp",
        "message_id": '$.message.headers."message-id"',
        "reason": "$.reason",
        "description": '$."delivery-status".description',
        "status_message": '$."delivery-status".message',
        "reject_reason": "$.reject.reason",
        "user_variables": '$."user-variables"',
    },
    required={
        "result_key": "id",
        "message_key": "message.headers.message-id",
        "raw_value": "event (and severity, for failed)",
        "event_time": "timestamp",
    },
    dedupe_by_status=False,
    select="""
        select
            record_id,
            key_of([id, coalesce(epoch_us(event_time)::varchar, '')]) as result_key,
            message_id as message_key,
            'event' as raw_field,
            case
                when lower(trimmed(event)) <> 'failed' then event
                when severity is not null then trimmed(event) || '/' || trimmed(severity)
            end as raw_value,
            'timestamp' as time_field,
            timestamp as time_value,
            event_time,
            coalesce(reject_reason, nullif(description, ''), status_message) as detail,
            case
                when lower(trimmed(event)) = 'rejected' then 'rejected'
                when lower(trimmed(event)) = 'failed'
                    and lower(trimmed(severity)) = 'permanent' then reason
            end as bounce_type,
            engagement_from_variables(user_variables) as engagement_id
        from (select *, epoch_time(timestamp) as event_time from fields)
    """,
)
