"""Amazon SES event publishing: bare records (Firehose, one per line) or SNS notifications.

An SNS envelope (`{"Type": "Notification", "Message": "<record as JSON text>"}`) is opened;
other SNS message types (subscription confirmations) are not records. One record stands for
several results, one per recipient: Send, Reject and Rendering Failure per `mail.destination`,
Delivery per `delivery.recipients`, Bounce per `bouncedRecipients`, Complaint per
`complainedRecipients`; Open and Click are one result, for the only destination or none.
Event time is the event object's own `timestamp`, else `mail.timestamp`.
"""

from orchestration.ingest.parser import SourceParser

MACROS = """
create or replace temp macro recipients_of(recipients) as
    case when len(list_filter(recipients, lambda r: coalesce(r, '') <> '')) > 0
         then list_filter(recipients, lambda r: coalesce(r, '') <> '')
         else [null::varchar] end;

-- SES recipient objects (a JSON array of {"emailAddress": ...}) → their addresses.
create or replace temp macro addresses_of(recipients) as
    list_transform(try_cast(try_json(recipients) as json[]),
                   lambda r: json_extract_string(r, '$.emailAddress'));

create or replace temp macro is_sns_envelope(rec) as
    json_exists(rec, '$.Type')
    and not json_exists(rec, '$.eventType')
    and not json_exists(rec, '$.notificationType');
"""

UNWRAP = """
select * from elements
where error is not null or not is_sns_envelope(rec)

union all

select
    line_no,
    item,
    ord,
    raw,
    case when is_json(message) and json_type(message) = 'OBJECT' then message end as rec,
    case
        when message is null then 'SNS Notification without a Message'
        when not is_json(message) then 'SNS Message is not JSON'
        when json_type(message) <> 'OBJECT' then 'SNS Message is not a JSON object'
    end as error
from (
    select *, json_extract_string(rec, '$.Message') as message
    from elements
    where error is null and is_sns_envelope(rec)
)
where json_extract_string(rec, '$.Type') = 'Notification'
"""

PARSER = SourceParser(
    name="ses",
    macros=MACROS,
    unwrap=UNWRAP,
    fields={
        "event_type": "$.eventType",
        "notification_type": "$.notificationType",
        "message_id": "$.mail.messageId",
        "mail_time": "$.mail.timestamp",
        "destination": "$.mail.destination",
        "bounce_time": "$.bounce.timestamp",
        "bounce_type": "$.bounce.bounceType",
        "bounce_subtype": "$.bounce.bounceSubType",
        "bounced": "$.bounce.bouncedRecipients",
        "complaint_time": "$.complaint.timestamp",
        "complained": "$.complaint.complainedRecipients",
        "complaint_type": "$.complaint.complaintFeedbackType",
        "delivery_time": "$.delivery.timestamp",
        "delivered": "$.delivery.recipients",
        "open_time": "$.open.timestamp",
        "click_time": "$.click.timestamp",
        "delay_time": "$.deliveryDelay.timestamp",
        "subscription_time": "$.subscription.timestamp",
        "reject_reason": "$.reject.reason",
        "failure": "$.failure.errorMessage",
    },
    string_fields={"engagement_id": "$.mail.tags.engagement_id[0]"},
    required={
        "result_key": "mail.messageId (and a recipient)",
        "message_key": "mail.messageId",
        "raw_value": "eventType",
        "event_time": "the event's timestamp and mail.timestamp",
    },
    dedupe_by_status=True,
    select="""
        with typed as (
            select
                *,
                coalesce(event_type, notification_type) as raw_type,
                lower(trimmed(coalesce(event_type, notification_type))) as type,
                try_cast(try_json(coalesce(destination, '[]')) as varchar[]) as destinations
            from fields
        ),

        timed as (
            select
                *,
                case type
                    when 'bounce' then bounce_time
                    when 'complaint' then complaint_time
                    when 'delivery' then delivery_time
                    when 'open' then open_time
                    when 'click' then click_time
                    when 'deliverydelay' then delay_time
                    when 'subscription' then subscription_time
                end as own_time
            from typed
        ),

        targets as (
            select
                *,
                case type
                    when 'send' then recipients_of(destinations)
                    when 'reject' then recipients_of(destinations)
                    when 'rendering failure' then recipients_of(destinations)
                    when 'delivery' then recipients_of(try_cast(try_json(delivered) as varchar[]))
                    when 'bounce' then recipients_of(addresses_of(bounced))
                    when 'complaint' then recipients_of(addresses_of(complained))
                    when 'open' then [if(len(destinations) = 1, destinations[1], '')]
                    when 'click' then [if(len(destinations) = 1, destinations[1], '')]
                    else ['']
                end as recipients,
                if(own_time is not null, type || '.timestamp', 'mail.timestamp') as time_field,
                coalesce(own_time, mail_time) as time_value,
                iso_time(coalesce(own_time, mail_time)) as event_time
            from timed
        )

        select
            record_id,
            key_of([message_id, recipient, coalesce(epoch_us(event_time)::varchar, '')])
                as result_key,
            key_of([message_id, recipient]) as message_key,
            message_id as attribution_key,
            'eventType' as raw_field,
            raw_type as raw_value,
            time_field,
            time_value,
            event_time,
            case type
                when 'reject' then reject_reason
                when 'rendering failure' then failure
                when 'complaint' then complaint_type
            end as detail,
            case type
                when 'bounce' then concat_ws('/', bounce_type, bounce_subtype)
                when 'reject' then 'rejected'
                when 'rendering failure' then 'rendering_failure'
            end as bounce_type,
            engagement_id
        from targets, unnest(recipients) as t(recipient)
    """,
)
