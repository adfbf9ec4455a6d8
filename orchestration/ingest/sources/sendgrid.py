"""SendGrid Event Webhook: one event per record (a POST body is a JSON array of events).

Time is `timestamp` in unix seconds (a value above 10^11 is milliseconds). The message key falls
back from `sg_message_id` to `smtp-id` to `sg_event_id`. Custom args, such as `engagement_id`,
arrive as top-level keys.
"""

from orchestration.ingest.parser import SourceParser

PARSER = SourceParser(
    name="sendgrid",
    fields={
        "sg_event_id": "$.sg_event_id",
        "sg_message_id": "$.sg_message_id",
        "smtp_id": '$."smtp-id"',
        "event": "$.event",
        "timestamp": "$.timestamp",
        "bounce_type": "$.type",
        "reason": "$.reason",
    },
    string_fields={"engagement_id": "$.engagement_id"},
    required={"result_key": "sg_event_id", "message_key": "sg_event_id", "raw_value": "event"},
    dedupe_by_status=False,
    select="""
        select
            record_id,
            sg_event_id as result_key,
            coalesce(sg_message_id, smtp_id, sg_event_id) as message_key,
            'event' as raw_field,
            event as raw_value,
            'timestamp' as time_field,
            timestamp as time_value,
            epoch_time(timestamp, millis_above := 1e11) as event_time,
            if(lower(trimmed(event)) in ('bounce', 'dropped'), reason, null) as detail,
            case lower(trimmed(event))
                when 'bounce' then bounce_type
                when 'dropped' then 'dropped'
            end as bounce_type,
            engagement_id
        from fields
    """,
)
