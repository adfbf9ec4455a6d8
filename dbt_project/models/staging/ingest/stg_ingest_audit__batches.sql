select
    source,
    batch_date,
    files,
    records_read,
    records_accepted,
    records_rejected,
    observations,
    ingested_at
from {{ ingest_source('ingest_audit', 'ingested_batches') }}
