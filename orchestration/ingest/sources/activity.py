"""The engagement platform's own activity log: one line per activity, any channel.

`event_type` is a status of the line's `channel` as-is (status_mapping.csv maps `*` to `*`). The
channel is read verbatim: only status values are trimmed and compared case-insensitively
(SOURCES.md: "nothing else is normalised"), so `Voice` is not a channel.
"""

from orchestration.ingest.parser import SourceParser

PARSER = SourceParser(
    name="activity",
    fields={
        "event_id": "$.event_id",
        "occurred_at": "$.occurred_at",
        "channel": "$.channel",
        "event_type": "$.event_type",
        "message_id": "$.message_id",
        "bounce_type": "$.attrs.bounce_type",
        "detail": "$.attrs.detail",
    },
    string_fields={"engagement_id": "$.engagement_id"},
    required={
        "result_key": "event_id",
        "message_key": "message_id",
        "raw_value": "event_type",
        "channel": "channel",
    },
    dedupe_by_status=False,
    select="""
        select
            record_id,
            event_id as result_key,
            message_id as message_key,
            'event_type' as raw_field,
            event_type as raw_value,
            channel,
            'occurred_at' as time_field,
            occurred_at as time_value,
            iso_time(occurred_at) as event_time,
            detail,
            bounce_type,
            engagement_id
        from fields
    """,
)
