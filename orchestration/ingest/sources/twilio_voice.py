"""Twilio Voice status callbacks, logged as flat JSON of the form parameters.

A callback yields up to two observations: its `CallStatus` and its `AnsweredBy` (answering machine
detection; async AMD callbacks carry `AnsweredBy` alone). Event time is the RFC 2822 `Timestamp`,
else the receiver's ISO 8601 `received_at`.
"""

from orchestration.ingest.parser import SourceParser

PARSER = SourceParser(
    name="twilio_voice",
    fields={
        "call_sid": "$.CallSid",
        "call_status": "$.CallStatus",
        "answered_by": "$.AnsweredBy",
        "sip_response_code": "$.SipResponseCode",
        "timestamp": "$.Timestamp",
        "received_at": "$.received_at",
    },
    string_fields={"engagement_id": "$.engagement_id"},
    required={
        "result_key": "CallSid",
        "message_key": "CallSid",
        "raw_value": "CallStatus or AnsweredBy",
    },
    dedupe_by_status=True,
    select="""
        select
            record_id,
            call_sid as result_key,
            call_sid as message_key,
            observation.raw_field,
            observation.raw_value,
            if(timestamp is not null, 'Timestamp', 'received_at') as time_field,
            coalesce(timestamp, received_at) as time_value,
            if(timestamp is not null, rfc2822_time(timestamp), iso_time(received_at)) as event_time,
            observation.detail,
            null as bounce_type,
            engagement_id
        from fields,
            unnest(present_or_none([
                {'raw_field': 'CallStatus', 'raw_value': call_status, 'detail': sip_response_code},
                {'raw_field': 'AnsweredBy', 'raw_value': answered_by, 'detail': answered_by}
            ])) as observations(observation)
    """,
)
