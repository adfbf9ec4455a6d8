"""DuckDB macros shared by the parsers: JSON validity and field access, provider time formats.

`is_json` is JSON as RFC 8259 and Python's reader define it: DuckDB's `json_valid` (yyjson) also
reads a comma before a closing bracket (`[1,]`, `{"a": 1,}`). Only a text that may hold one
(`MAYBE_TRAILING_COMMA`, which a string can trip) is looked at again, outside its strings. NaN
and Infinity, which Python's reader takes too, stay JSON.

Every time macro returns a TIMESTAMPTZ, or NULL when the value is not a valid instant (February 30,
a number out of range, an instant outside years 1 to 9999 in UTC, text in another format). The
connection's TimeZone is UTC, so an ISO time without an offset is read as UTC. No macro raises on
a value read from a record, whatever it holds.
"""

from __future__ import annotations

import re

import duckdb
from duckdb.func import FunctionNullHandling

MAYBE_TRAILING_COMMA = r",[ \t\n\r]*[\]}]"
_TRAILING_COMMA = re.compile(MAYBE_TRAILING_COMMA)
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def has_trailing_comma(text: str) -> bool:
    """Does `text`, which json_valid reads, hold a comma before a closing bracket (not in a
    string)? Its strings are well formed then, so blanking them out is exact."""
    return _TRAILING_COMMA.search(_STRING.sub("0", text)) is not None


_INNERMOST_COMMENT = re.compile(r"\((?:[^()\\]|\\.)*\)")


def without_comments(text: str | None) -> str | None:
    """`text` with its RFC 2822 comments (which nest, and may escape a bracket) made spaces;
    None when its brackets do not balance."""
    if text is None:
        return None
    removed = 1
    while removed:
        text, removed = _INNERMOST_COMMENT.subn(" ", text)
    return None if "(" in text or ")" in text else text


# Instants from year 1 to year 9999, in seconds since the epoch.
MIN_EPOCH_S = -62_135_596_800
MAX_EPOCH_S = 253_402_300_799

MACROS = f"""
-- Status values are compared after trimming (SOURCES.md): of spaces, tabs and line breaks.
create or replace temp macro trimmed(value) as
    trim(value, chr(32) || chr(9) || chr(10) || chr(11) || chr(12) || chr(13));

create or replace temp macro is_json(value) as
    case when not json_valid(value) then false
         when regexp_matches(value, '{MAYBE_TRAILING_COMMA}') then not has_trailing_comma(value)
         when value is not null then true end;

create or replace temp macro jtext(j) as
    nullif(json_extract_string(j, '$'), '');

create or replace temp macro jstring(j) as
    case when json_type(j) = 'VARCHAR' then nullif(json_extract_string(j, '$'), '') end;

-- json() raises on text that is not JSON (a field holding "a@example.org" where a list belongs).
create or replace temp macro try_json(value) as
    case when is_json(value) then json(value) end;

-- Years 1 to 9999 in UTC, as the epoch macros: beyond, Python (pandas, dbt's adapters) fails.
-- A macro's argument is copied wherever it is named: these name theirs once, in a one-element
-- list, so that a costly argument (a parse) is computed once, not once per mention.
create or replace temp macro bounded_time(t) as
    list_filter([t], lambda x: epoch_us(x) between {MIN_EPOCH_S * 1_000_000}
                                                and {MAX_EPOCH_S * 1_000_000 + 999_999})[1];

create or replace temp macro epoch_seconds_time(seconds) as
    list_transform(
        list_filter([seconds], lambda s: s between {MIN_EPOCH_S} and {MAX_EPOCH_S}),
        lambda s: make_timestamp(cast(round(s * 1000000) as bigint))::timestamptz)[1];

-- A cast to decimal(38, 6) costs ~20 us a value here, 100 times one to decimal(18, 6): it is
-- tried only on the values that one cannot hold (epoch milliseconds, say).
create or replace temp macro epoch_time(value, millis_above := NULL) as
    epoch_seconds_time(list_transform(
        [coalesce(try_cast(trim(value) as decimal(18, 6)),
                  try_cast(trim(value) as decimal(38, 6)))],
        lambda d: case when d > millis_above then d / 1000 else d end)[1]);

-- RFC 3339 allows a lower-case 't' and 'z', and ISO 8601 a time without seconds, which DuckDB's
-- cast does not read: rewritten only for a value that does not parse as it is. The hour is 0 to
-- 23 (DuckDB's cast reads 24:00 as the next day's midnight; RFC 3339 and Python do not).
create or replace temp macro iso_time(value) as
    case when regexp_full_match(trim(value),
                                '\\d{{4}}-\\d{{1,2}}-\\d{{1,2}}([Tt ]([01]?\\d|2[0-3])(\\D.*)?)?')
         then bounded_time(coalesce(
             try_cast(trim(value) as timestamptz),
             try_cast(regexp_replace(upper(trim(value)), '([T ]\\d{{1,2}}:\\d{{2}})([^:\\d]|$)',
                                     '\\1:00\\2') as timestamptz))) end;

-- RFC 2822: comments (section 3.2.3), the day name's comma with or without space after it, and
-- the zone names of section 4.3 as offsets (its military zones but Z carry no reliable offset:
-- they are not read).
create or replace temp macro rfc2822_normal(value) as
    list_transform(
        [trim(regexp_replace(without_comments(value), '^\\s*([A-Za-z]+)\\s*,\\s*', '\\1, '))],
        lambda v: coalesce(regexp_replace(v, '\\s+[A-Za-z]+$', ' ') || MAP {{
            'UT': '+0000', 'GMT': '+0000', 'UTC': '+0000', 'Z': '+0000',
            'EST': '-0500', 'EDT': '-0400', 'CST': '-0600', 'CDT': '-0500',
            'MST': '-0700', 'MDT': '-0600', 'PST': '-0800', 'PDT': '-0700'
        }}[upper(regexp_extract(v, '\\s([A-Za-z]+)$', 1))],
        v))[1];

-- RFC 2822's obsolete years (section 4.3): two digits are 2000-2049 up to 49, else 1950-1999;
-- three digits are 1900 plus their value; one digit is no year.
create or replace temp macro rfc2822_year(value) as
    list_transform([value], lambda v: list_transform(
        [regexp_extract(v, '^((?:[A-Za-z]+,\\s*)?\\d{{1,2}}\\s+[A-Za-z]+\\s+)(\\d+)(\\s.*)$',
                        ['head', 'year', 'tail'])],
        lambda d: case length(d.year)
            when 0 then v
            when 1 then null
            when 2 then d.head || (d.year::int + if(d.year::int < 50, 2000, 1900)) || d.tail
            when 3 then d.head || (d.year::int + 1900) || d.tail
            else v end)[1])[1];

-- Seconds are optional, and so is the day name. The rewrite (regexes) only for a value that does
-- not parse as Twilio sends it (with a four-digit year: strptime's %Y reads '26' as the year 26);
-- DuckDB's list-of-formats strptime rolls February 30 over to March 2: one format per call.
create or replace temp macro rfc2822_time(value) as
    bounded_time(coalesce(
        case when length(split_part(trim(value), ' ', 4)) = 4
             then try_strptime(trim(value), '%a, %d %b %Y %H:%M:%S %z') end,
        list_transform([rfc2822_year(rfc2822_normal(value))], lambda v: coalesce(
            try_strptime(v, '%a, %d %b %Y %H:%M:%S %z'),
            try_strptime(v, '%a, %d %b %Y %H:%M %z'),
            try_strptime(v, '%d %b %Y %H:%M:%S %z'),
            try_strptime(v, '%d %b %Y %H:%M %z')))[1]));

create or replace temp macro present_or_none(observations) as
    case when len(list_filter(observations, lambda o: o.raw_value is not null)) > 0
         then list_filter(observations, lambda o: o.raw_value is not null)
         else [null] end;

create or replace temp macro key_of(parts) as
    case when list_bool_and(list_transform(parts, lambda p: p is not null))
         then to_json(parts)::varchar end;
"""


def register(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("set TimeZone = 'UTC'")
    con.create_function(
        "has_trailing_comma", has_trailing_comma, ["VARCHAR"], "BOOLEAN", side_effects=False
    )
    con.create_function(
        "without_comments",
        without_comments,
        ["VARCHAR"],
        "VARCHAR",
        null_handling=FunctionNullHandling.SPECIAL,  # it returns None for unbalanced brackets
        side_effects=False,
    )
    con.execute(MACROS)
