"""Read the dates www.alanews.it shows or embeds, and write them as ISO 8601.

The site mixes three conventions (docs/site.md, "Dates and time zones"): Italian display
dates (``11 Dicembre 2025``, relative ``2 ore fa`` / JNews's ``2 ore ago``),
Yoast ISO timestamps in UTC (``+00:00``) and JNews JSON-LD in Rome local time
without an offset (``2025-12-11 10:15:00``). Everything is normalised to
Europe/Rome so that the same instant always gives the same string.

Rules:

* a text with a time gives an aware ``datetime`` in ``ROME``; a text with only
  a day gives a ``date`` (midnight is never invented);
* what the text says is never dropped: a zone or offset after the time (``UTC``,
  ``GMT``, ``GMT+1``, ``+0000``, ``CET``, ``CEST``) and ``am``/``pm`` are honoured;
  a time followed by another zone name (``EST``) goes to dateparser, which knows it;
* relative text is read against ``now``, the fetch time (``2 ore fa``, ``mezz'ora fa``,
  ``ieri``); ``N mesi fa`` / ``N anni fa`` name no day and give ``None``, as does
  any relative text dateparser can only place to the week, month or year;
* unreadable or impossible text gives ``None``: we never guess;
* the forms the site really uses are read by precompiled regexes (fast path);
  only text they do not recognise at all goes to dateparser (slow fallback).

DST: one instant, one spelling. A local wall time is read as zoneinfo reads it
(``fold=0``) and then spelled as the instant it names (converted through UTC), so
the offset follows the calendar. A wall time that does not exist, in the
spring-forward gap (``29 Marzo 2026 - 02:30``), names the instant an hour on,
``2026-03-29T03:30:00+02:00``, as Yoast's JSON-LD spells it. A wall time that
happens twice, in the autumn hour (``25 Ottobre 2026 - 02:30``), is the first
occurrence (``+02:00``) unless another source of the field gives that wall time
at ``+01:00`` (:func:`second_occurrence`, used by the loader). Instants given with
an offset are converted with ``astimezone`` and so keep the right fold.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import date, datetime, timedelta, timezone

ROME = zoneinfo.ZoneInfo("Europe/Rome")

MIN_YEAR, MAX_YEAR = 1990, 2100
# A date field is short; longer text is not a date, and scanning it (or
# handing it to dateparser) would only risk a false match and cost time.
MAX_LENGTH = 200

_MONTHS = {
    "gennaio": 1, "gen": 1,
    "febbraio": 2, "feb": 2,
    "marzo": 3, "mar": 3,
    "aprile": 4, "apr": 4,
    "maggio": 5, "mag": 5,
    "giugno": 6, "giu": 6,
    "luglio": 7, "lug": 7,
    "agosto": 8, "ago": 8,
    "settembre": 9, "set": 9, "sett": 9,
    "ottobre": 10, "ott": 10,
    "novembre": 11, "nov": 11,
    "dicembre": 12, "dic": 12,
}

# Units of "N <unit> fa/ago"; a timedelta unit gives a datetime, a day count
# gives a date (minute precision is meaningless for "3 giorni fa").
_TIME_UNITS = {
    **dict.fromkeys(("secondi", "secondo", "sec", "secs", "second", "seconds"), timedelta(seconds=1)),
    **dict.fromkeys(("minuti", "minuto", "min", "mins", "minute", "minutes"), timedelta(minutes=1)),
    **dict.fromkeys(("ore", "ora", "h", "hour", "hours", "hr", "hrs"), timedelta(hours=1)),
}
_DAY_UNITS = {
    **dict.fromkeys(("giorni", "giorno", "gg", "day", "days"), 1),
    **dict.fromkeys(("settimane", "settimana", "week", "weeks"), 7),
}
# Units of "N <unit> fa/ago" that name no day: such text gives None, never an invented day.
_VAGUE_UNITS = frozenset(("mesi", "mese", "anni", "anno", "month", "months", "year", "years"))
_DAY_WORDS = {
    "oggi": 0, "today": 0,
    "ieri": 1, "yesterday": 1,
    "l'altro ieri": 2, "l'altroieri": 2, "altro ieri": 2, "altroieri": 2,
    "day before yesterday": 2,
}
_NOW_WORDS = frozenset(("adesso", "ora", "proprio ora", "just now", "now"))

# Dashes, nbsp and typographic apostrophes as the site (and copy-paste) gives them.
_CLEAN = str.maketrans({
    "\xa0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ",
    "\u2019": "'", "\u2018": "'", "\u2013": "-", "\u2014": "-",
})

# Optional time after a date: "- 10:32", ", 10:32", "alle 10:32", "ore 10.32", then am/pm and
# a zone: "1:32 pm", "23:37:13 UTC", "10:32 GMT+1", "10:32 +0000", "10:32 CEST".
_TIME = (
    r"(?:[\s,|@-]*(?:alle\s+)?(?:ore\s+)?"
    r"(?P<hh>\d{1,2})[:.](?P<mm>\d{2})(?::(?P<ss>\d{2}))?(?!\d)"
    r"(?:\s*(?P<ampm>[ap])\.?m\b\.?)?"
    r"(?:\s*(?:(?P<zone>utc|gmt|cest|cet)(?P<zoff>[+-]\d{1,2}(?::?\d{2})?)?|(?P<off>[+-]\d{2}:?\d{2}))(?![\d:]))?"
    r")?"
)
_ZONES = {"utc": 0, "gmt": 0, "z": 0, "cet": 1, "cest": 2}
# Zone names the fast path does not convert: a time followed by one of them goes to dateparser.
_OTHER_ZONES = frozenset((
    "est", "edt", "cst", "cdt", "mst", "mdt", "pst", "pdt", "akst", "akdt", "hst", "bst", "ist", "wet",
    "west", "eet", "eest", "msk", "jst", "kst", "hkt", "sgt", "aest", "aedt", "acst", "awst", "nzst", "nzdt",
    "sast", "wat", "eat", "brt", "art",
))
_NEXT_WORD_RE = re.compile(r"\s*\(?([a-z]{2,4})\b")
# A zone name or an offset anywhere in text only dateparser reads: its time is given in that zone
_ZONE_WORD_RE = re.compile(r"\b(?:utc|gmt|cest|cet|" + "|".join(sorted(_OTHER_ZONES)) + r")\b|[+-]\d{2}:?\d{2}\b")
_ISO_RE = re.compile(
    r"(?<!\d)(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})"
    r"(?:[t ](?P<hh>\d{2}):(?P<mm>\d{2})(?::(?P<ss>\d{2})(?:[.,]\d+)?)?"
    r"\s*(?:(?P<zone>z|utc|gmt|cest|cet)(?P<zoff>[+-]\d{1,2}(?::?\d{2})?)?|(?P<off>[+-]\d{2}(?::?\d{2})?))?)?"
    r"(?![\d:])"
)
_ITALIAN_RE = re.compile(
    r"(?<!\d)(?P<d>\d{1,2})(?:[°º]|o(?=\s))?\s*(?P<mon>[a-z]+)\.?\s+(?P<y>\d{4})(?!\d)" + _TIME
)
_NUMERIC_RE = re.compile(
    r"(?<![\d/.-])(?P<d>\d{1,2})(?P<sep>[/.-])(?P<m>\d{1,2})(?P=sep)(?P<y>\d{4})(?!\d)" + _TIME
)
_AGO_RE = re.compile(
    r"(?<![\w'])(?P<n>\d+|un'|mezz'|(?:una|uno|un|an|a|one|mezza|mezzo|half an|half a)\s)\s*"
    r"(?P<unit>[a-z]+)\s+(?:fa|ago)\b"
)
_DAY_RE = re.compile(
    r"(?<![\w'])(?P<word>l'altro ieri|l'altroieri|altro ieri|altroieri|ieri|oggi"
    r"|day before yesterday|yesterday|today)\b" + _TIME
)
# For the fallback: what makes text relative, and what makes a result carry a time.
_RELATIVE_HINT_RE = re.compile(r"\b(?:fa|ago)\b")
_HAS_TIME_RE = re.compile(
    r"(?<![\d./-])\d{1,2}[:.]\d{2}(?![\d./-])|(?:secondi|secondo|sec|minut[ioe]\w*|mins?|ore|ora|hours?|hrs?|seconds?)\s+(?:fa|ago)\b"
)


def parse_date(text: str, now: datetime | None = None) -> datetime | date | None:
    """Read ``text`` as a Rome datetime (if it has a time), a date, or None.

    ``now`` anchors relative text (``2 ore fa``, ``ieri``); it should be aware
    (a naive one is taken as Rome time) and defaults to the current time.
    """
    if not isinstance(text, str) or len(text) > MAX_LENGTH:
        return None
    clean = text.translate(_CLEAN).lower().strip()
    if not clean:
        return None
    for reader in _FAST_READERS:
        result = reader(clean, now)
        if result is not _UNRECOGNISED:
            return result
    return _fallback(clean, now)


def to_iso(value: datetime | date) -> str:
    """``2025-12-11T10:15:00+01:00`` for a datetime (in Rome), ``2025-12-11`` for a date."""
    if isinstance(value, datetime):
        value = value.replace(tzinfo=ROME) if value.tzinfo is None else value.astimezone(ROME)
        return value.isoformat(timespec="seconds")
    return value.isoformat()


def normalise_date(text, now=None) -> str | None:
    """ISO string for whatever date ``text`` holds, or None when it cannot be read."""
    value = parse_date(text, now)
    return None if value is None else to_iso(value)


# --- fast path -------------------------------------------------------------

# Returned by a reader that does not know the form, as opposed to None
# ("recognised but invalid", which must not fall through to a guess).
_UNRECOGNISED = object()


def _build(y: int, m: int, d: int, hh, mm, ss) -> datetime | date | None:
    """Validated date, or naive datetime (the wall time) when a time was matched; None if impossible."""
    if not MIN_YEAR <= y <= MAX_YEAR:
        return None
    try:
        if hh is None:
            return date(y, m, d)
        return datetime(y, m, d, int(hh), int(mm), int(ss or 0))
    except ValueError:
        return None


def _zone_given(text: str) -> bool:
    """Whether the time in ``text`` comes with a zone or an offset (as the fast path reads it;
    text only dateparser reads counts as given)."""
    clean = text.translate(_CLEAN).lower()
    for regex in (_ISO_RE, _ITALIAN_RE, _NUMERIC_RE, _DAY_RE):
        match = regex.search(clean)
        if match is not None and match["hh"] is not None:
            return bool(match["zone"] or match["zoff"] or match["off"])
    return _ZONE_WORD_RE.search(clean) is not None


def _instant(wall: datetime) -> datetime:
    """A naive Rome wall time as the instant it names: a time in the spring-forward gap an hour
    on (02:30 is 03:30+02:00), one of the repeated autumn hour its first occurrence (+02:00)."""
    return wall.replace(tzinfo=ROME).astimezone(timezone.utc).astimezone(ROME)


def repeated(value) -> bool:
    """Whether ``value`` (a Rome datetime) is the first of two instants its wall time names: an
    autumn time read without an offset, or given at +02:00."""
    return (isinstance(value, datetime) and value.fold == 0
            and value.replace(fold=1).utcoffset() != value.utcoffset())


def second_occurrence(value: datetime, text: str, others, now=None) -> datetime:
    """``value`` (read from ``text``, see :func:`repeated`), or, when ``text`` gives no zone or
    offset, the same wall time at +01:00 when one of the texts ``others`` (the field's other
    sources) gives it so: structured data resolves the autumn hour."""
    if _zone_given(text):
        return value
    wall = value.replace(tzinfo=None)
    for text in others:
        other = parse_date(text, now)
        if isinstance(other, datetime) and other.fold == 1 and other.replace(tzinfo=None) == wall:
            return other
    return value


def _offset(match: re.Match) -> timedelta | None | object:
    """The zone or offset written after the time: a timedelta, None when there is none,
    ``_IMPOSSIBLE`` for an offset no zone has (a day or more: ``CEST+23`` is 25 hours)."""
    zone, extra = match["zone"], match["zoff"] or match["off"]
    offset = timedelta(hours=_ZONES[zone]) if zone else timedelta(0)
    if extra:
        sign = -1 if extra[0] == "-" else 1
        digits = extra[1:].replace(":", "")
        hours, minutes = (int(digits[:-2]), int(digits[-2:])) if len(digits) > 2 else (int(digits), 0)
        if hours > 23 or minutes > 59:
            return _IMPOSSIBLE
        offset += sign * timedelta(hours=hours, minutes=minutes)
    if abs(offset) >= timedelta(hours=24):
        return _IMPOSSIBLE
    return offset if zone or extra else None


_IMPOSSIBLE = object()


def _at(match: re.Match, y: int, m: int, d: int, clean: str) -> datetime | date | None | object:
    """The date of ``match`` with its time: am/pm and zone honoured; ``_UNRECOGNISED`` when
    the time is followed by a zone name only dateparser converts."""
    hh = match["hh"]
    if hh is not None:
        ampm = match.groupdict().get("ampm")
        if ampm:
            if not 1 <= int(hh) <= 12:
                return None
            hh = int(hh) % 12 + (12 if ampm == "p" else 0)
        if not (match["zone"] or match["zoff"] or match["off"]):
            word = _NEXT_WORD_RE.match(clean, match.end())
            if word is not None and word.group(1) in _OTHER_ZONES:
                return _UNRECOGNISED
    value = _build(y, m, d, hh, match["mm"], match["ss"])
    if value is None or hh is None:
        return value
    offset = _offset(match)
    if offset is _IMPOSSIBLE:
        return None
    if offset is None:
        return _instant(value)
    # Label the wall time with its own offset, then convert: keeps DST fold right.
    return value.replace(tzinfo=timezone(offset)).astimezone(ROME)


def _read_iso(clean: str, now) -> datetime | date | None | object:
    match = _ISO_RE.search(clean)
    if match is None:
        return _UNRECOGNISED
    return _at(match, int(match["y"]), int(match["m"]), int(match["d"]), clean)


def _read_italian(clean: str, now) -> datetime | date | None | object:
    # First "<day> <word> <year>" whose word is a month: icon or label text may precede it.
    for match in _ITALIAN_RE.finditer(clean):
        month = _MONTHS.get(match["mon"])
        if month is not None:
            return _at(match, int(match["y"]), month, int(match["d"]), clean)
    return _UNRECOGNISED


def _read_numeric(clean: str, now) -> datetime | date | None | object:
    match = _NUMERIC_RE.search(clean)
    if match is None:
        return _UNRECOGNISED
    # Italian order is day first; 11/13/2025 is invalid, not a US date.
    return _at(match, int(match["y"]), int(match["m"]), int(match["d"]), clean)


def _rome_now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(ROME)
    return now.replace(tzinfo=ROME) if now.tzinfo is None else now.astimezone(ROME)


def _minutes_ago(now: datetime | None, delta: timedelta) -> datetime:
    """``now - delta`` to the minute; subtracts in UTC because aware arithmetic
    in one zone is wall-clock arithmetic and would be an hour off across DST."""
    instant = _rome_now(now).astimezone(timezone.utc) - delta
    return instant.astimezone(ROME).replace(second=0, microsecond=0)


def _in_years(value: datetime | date) -> datetime | date | None:
    """``value`` if within MIN_YEAR..MAX_YEAR, as an absolute date must be; else None."""
    return value if MIN_YEAR <= value.year <= MAX_YEAR else None


def _read_relative(clean: str, now) -> datetime | date | None | object:
    if clean in _NOW_WORDS:
        return _minutes_ago(now, timedelta(0))
    match = _AGO_RE.search(clean)
    if match is not None:
        raw = match["n"].strip()
        count = int(raw) if raw.isdigit() else 0.5 if raw.startswith(("mezz", "half")) else 1
        unit = match["unit"]
        try:
            if unit in _TIME_UNITS:
                return _in_years(_minutes_ago(now, _TIME_UNITS[unit] * count))
            if unit in _DAY_UNITS and count >= 1:
                return _in_years(_rome_now(now).date() - timedelta(days=_DAY_UNITS[unit] * count))
        except OverflowError:  # "99999999 giorni fa": before year 1
            return None
        if unit in _VAGUE_UNITS:
            return None  # "2 mesi fa" names no day: none is invented
        return _UNRECOGNISED  # left to dateparser
    match = _DAY_RE.search(clean)
    if match is None:
        return _UNRECOGNISED
    day = _rome_now(now).date() - timedelta(days=_DAY_WORDS[match["word"]])
    return _at(match, day.year, day.month, day.day, clean)


_FAST_READERS = (_read_iso, _read_italian, _read_numeric, _read_relative)


# --- fallback --------------------------------------------------------------

def _fallback(clean: str, now: datetime | None) -> datetime | date | None:
    """Ask dateparser about text the fast path does not know.

    A fresh parser per call is needed because RELATIVE_BASE is a setting;
    building one is cheap (the costly locale data is cached by dateparser
    after first use), so no parser is kept at module level. dateparser is
    imported here so the fast path never pays for it. A result dateparser places
    only to the week, month or year (``il mese scorso``) names no day: None.
    """
    try:
        from dateparser.date import DateDataParser

        relative = _RELATIVE_HINT_RE.search(clean) is not None
        settings = {
            "RELATIVE_BASE": _rome_now(now).replace(tzinfo=None),
            # no TIMEZONE: a time with a zone comes back aware (converted below), one without naive,
            # placed by _instant as the fast path places it (the repeated autumn hour's first occurrence)
            "PREFER_DATES_FROM": "past",
            "DATE_ORDER": "DMY",
        }
        if not relative:
            # Absolute text must name day, month and year: no filled-in guesses.
            settings["REQUIRE_PARTS"] = ["day", "month", "year"]
            settings["STRICT_PARSING"] = True
        found = DateDataParser(languages=["it", "en"], settings=settings).get_date_data(clean)
    except Exception:  # dateparser has many internal failure modes; all mean "unreadable"
        return None
    parsed = found.date_obj
    if parsed is None or found.period not in ("day", "time") or not MIN_YEAR <= parsed.year <= MAX_YEAR:
        return None
    parsed = parsed.astimezone(ROME) if parsed.tzinfo is not None else _instant(parsed)
    if _HAS_TIME_RE.search(clean) is None:
        return parsed.date()
    return parsed.replace(second=0 if relative else parsed.second, microsecond=0)
