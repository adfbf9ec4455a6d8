select
    source,
    batch_date,
    source_file,
    position,
    item,
    reason_code,
    reason,
    rejected_at
from {{ ingest_source('quarantine', 'rejected_records') }}
