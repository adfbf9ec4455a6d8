"""Twilio Messaging status callbacks, logged as flat JSON plus the receiver's `received_at`.

Twilio sends no event time in these callbacks, so `received_at` (ISO 8601) is the event time.
`SmsStatus` is ignored in favour of `MessageStatus`; `ErrorCode` is kept as detail.
"""

from orchestration.ingest.parser import SourceParser

PARSER = SourceParser(
    name="twilio_messaging",
    fields={
        "message_sid": "$.MessageSid",
        "message_status": "$.MessageStatus",
        "error_code": "$.ErrorCode",
        "received_at": "$.received_at",
    },
    string_fields={"engagement_id": "$.engagement_id"},
    required={
        "result_key": "MessageSid",
        "message_key": "MessageSid",
        "raw_value": "MessageStatus",
    },
    dedupe_by_status=True,
    select="""
        select
            record_id,
            message_sid as result_key,
            message_sid as message_key,
            'MessageStatus' as raw_field,
            message_status as raw_value,
            'received_at' as time_field,
            received_at as time_value,
            iso_time(received_at) as event_time,
            error_code as detail,
            null as bounce_type,
            engagement_id
        from fields
    """,
)
