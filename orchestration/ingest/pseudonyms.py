"""Personal data out of the marts: email addresses and phone numbers become keyed hashes.

Keys holding an email address (an SES recipient in a message key, a Message-ID) are replaced by
their HMAC-SHA256 under a secret key, in DuckDB at ingest, so the same value always gives the
same pseudonym (dedupe and unique counts still work) and nobody without the key can reverse it.
Free text (bounce reasons, details) has addresses and numbers redacted. The quarantine keeps
the raw records, in its own schema that is never published.

The key comes from ENGAGEMENT_HMAC_KEY (required when ENGAGEMENT_ENV=production: settings.py);
elsewhere a random key is generated once, next to the warehouse file, and kept.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

import duckdb

BLOCK = 64  # SHA-256 block size, for HMAC's padded keys
LOCAL_KEY_FILE = ".engagement-hmac-key"
EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
PHONE = r"\+[0-9][0-9 ().-]{7,}[0-9]|[0-9]{10,15}"  # E.164-ish, or a long run of digits

MACROS = f"""
create or replace temp macro pseudonym(value) as
    left(sha256(getvariable('hmac_outer') || unhex(sha256(getvariable('hmac_inner')
        || encode(value)))), 32);

-- Most keys hold no '@': the regex (which needs one) runs only on those that do.
create or replace temp macro without_emails(value) as
    case when contains(value::varchar, '@') and regexp_matches(value::varchar, '{EMAIL}')
         then pseudonym(value::varchar) else value::varchar end;

create or replace temp macro redacted(text) as
    regexp_replace(regexp_replace(text::varchar, '{EMAIL}', '[email]', 'g'),
                   '{PHONE}', '[phone]', 'g');
"""


def hmac_key(warehouse: Path, env: dict[str, str] | None = None) -> bytes:
    """ENGAGEMENT_HMAC_KEY, else the local key of this warehouse (made on first use)."""
    env = dict(os.environ if env is None else env)
    if value := env.get("ENGAGEMENT_HMAC_KEY", "").strip():
        return value.encode()
    path = warehouse.parent / LOCAL_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as key:
            key.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def register(con: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """Define the macros on `con`, with the HMAC pads in session variables (never stored)."""
    padded = (hashlib.sha256(key).digest() if len(key) > BLOCK else key).ljust(BLOCK, b"\0")
    con.execute("set variable hmac_inner = ?", [bytes(b ^ 0x36 for b in padded)])
    con.execute("set variable hmac_outer = ?", [bytes(b ^ 0x5C for b in padded)])
    con.execute(MACROS)
