"""Table-driven tests for alanews.dates (docs/site.md, "Dates and time zones")."""

from datetime import date, datetime, timezone

import pytest

from alanews.dates import ROME, normalise_date, parse_date, to_iso

# 00:30:45 Rome on 2 January is still 1 January in UTC: relative days must
# follow the Rome calendar, and relative times drop the seconds.
FIXED_NOW = datetime(2026, 1, 2, 0, 30, 45, tzinfo=ROME)

MONTHS = [
    ("Gennaio", 1), ("Febbraio", 2), ("Marzo", 3), ("Aprile", 4),
    ("Maggio", 5), ("Giugno", 6), ("Luglio", 7), ("Agosto", 8),
    ("Settembre", 9), ("Ottobre", 10), ("Novembre", 11), ("Dicembre", 12),
]
MONTH_CASES = [
    (f"15 {spelling} 2025", f"2025-{number:02d}-15")
    for name, number in MONTHS
    for spelling in (name, name.lower())
]

ABBREVIATIONS = [
    ("11 dic 2025", "2025-12-11"),
    ("11 dic. 2025", "2025-12-11"),
    ("11 DIC 2025", "2025-12-11"),
    ("3 gen 2026", "2026-01-03"),
    ("3 feb. 2026", "2026-02-03"),
    ("3 mag 2026", "2026-05-03"),
    ("3 giu 2026", "2026-06-03"),
    ("3 lug 2026", "2026-07-03"),
    ("3 ago 2026", "2026-08-03"),
    ("3 set 2026", "2026-09-03"),
    ("3 sett. 2026", "2026-09-03"),
    ("3 ott 2026", "2026-10-03"),
    ("3 nov 2026", "2026-11-03"),
]

ITALIAN_FORMS = [
    ("11 DICEMBRE 2025", "2025-12-11"),
    ("1° Febbraio 2026", "2026-02-01"),
    ("1º Febbraio 2026", "2026-02-01"),
    ("1o febbraio 2026", "2026-02-01"),
    ("01 Febbraio 2026", "2026-02-01"),
    # weekday prefixes (the top bar) and surrounding noise
    ("giovedì 29 Gennaio 2026", "2026-01-29"),
    ("Giovedi, 29 Gennaio 2026", "2026-01-29"),
    ("gio 29 Gennaio 2026", "2026-01-29"),
    ("\xa0\n  11 Dicembre 2025 \n", "2025-12-11"),
    ("\ue900 11 Dicembre 2025", "2025-12-11"),
    ("Pubblicato il 11 Dicembre 2025", "2025-12-11"),
    # times, in every separator form
    ("11 Dicembre 2025 - 10:32", "2025-12-11T10:32:00+01:00"),
    ("11 Dicembre 2025 – 10:32", "2025-12-11T10:32:00+01:00"),
    ("11 Dicembre 2025 alle 10:32", "2025-12-11T10:32:00+01:00"),
    ("11 Dicembre 2025 alle ore 10:32", "2025-12-11T10:32:00+01:00"),
    ("11 Dicembre 2025, 10:32", "2025-12-11T10:32:00+01:00"),
    ("11 Dicembre 2025 ore 10.32", "2025-12-11T10:32:00+01:00"),
    ("11 Dicembre 2025 10:32", "2025-12-11T10:32:00+01:00"),
    ("11 Dicembre 2025 - 9:05:07", "2025-12-11T09:05:07+01:00"),
    ("giovedì 11 dicembre 2025 | 10:32", "2025-12-11T10:32:00+01:00"),
    ("11 Luglio 2025 - 10:32", "2025-07-11T10:32:00+02:00"),
]

NUMERIC_FORMS = [
    ("11/12/2025", "2025-12-11"),
    ("1/2/2026", "2026-02-01"),
    ("11-12-2025", "2025-12-11"),
    ("11.12.2025", "2025-12-11"),
    ("11/12/2025 10:32", "2025-12-11T10:32:00+01:00"),
    ("11/12/2025 - 10:32", "2025-12-11T10:32:00+01:00"),
    ("11.12.2025 10:32", "2025-12-11T10:32:00+01:00"),
    ("11-12-2025 ore 10.32", "2025-12-11T10:32:00+01:00"),
]

ISO_FORMS = [
    # Yoast: UTC offset, converted to Rome
    ("2025-12-11T09:15:00+00:00", "2025-12-11T10:15:00+01:00"),
    ("2025-12-11T09:15:00Z", "2025-12-11T10:15:00+01:00"),
    ("2025-12-11T09:15Z", "2025-12-11T10:15:00+01:00"),
    ("2025-12-11T09:15:00.123456+00:00", "2025-12-11T10:15:00+01:00"),
    ("2025-12-11T09:15:00+0000", "2025-12-11T10:15:00+01:00"),
    ("2025-12-11T04:15:00-05:00", "2025-12-11T10:15:00+01:00"),
    ("2025-07-11T08:15:00+00:00", "2025-07-11T10:15:00+02:00"),
    # JNews JSON-LD: Rome local time, no offset
    ("2025-12-11 10:15:00", "2025-12-11T10:15:00+01:00"),
    ("2025-12-11T10:15:00", "2025-12-11T10:15:00+01:00"),
    ("2025-12-11T10:15", "2025-12-11T10:15:00+01:00"),
    ("2025-12-11", "2025-12-11"),
]

DST_CASES = [
    # spring forward, 29 March 2026 02:00 -> 03:00
    ("29 Marzo 2026 - 01:30", "2026-03-29T01:30:00+01:00"),
    ("29 Marzo 2026 - 03:30", "2026-03-29T03:30:00+02:00"),
    # nonexistent wall time (the spring-forward gap): the instant it names, an hour on, as Yoast spells it
    ("29 Marzo 2026 - 02:30", "2026-03-29T03:30:00+02:00"),
    ("2026-03-29 02:05:00", "2026-03-29T03:05:00+02:00"),  # the theme's JSON-LD, Rome time without offset
    ("29/03/2026 02:59", "2026-03-29T03:59:00+02:00"),
    ("2026-03-29T02:30:00+00:00", "2026-03-29T04:30:00+02:00"),  # an offset given: never shifted as a wall time
    ("2026-03-29T00:30:00+00:00", "2026-03-29T01:30:00+01:00"),
    ("2026-03-29T01:30:00+00:00", "2026-03-29T03:30:00+02:00"),
    # fall back, 25 October 2026 03:00 -> 02:00
    ("25 Ottobre 2026 - 01:30", "2026-10-25T01:30:00+02:00"),
    ("25 Ottobre 2026 - 03:30", "2026-10-25T03:30:00+01:00"),
    ("2026-10-25T00:30:00+00:00", "2026-10-25T02:30:00+02:00"),
    ("2026-10-25T01:30:00+00:00", "2026-10-25T02:30:00+01:00"),
]

RELATIVE_CASES = [
    ("adesso", "2026-01-02T00:30:00+01:00"),
    ("ora", "2026-01-02T00:30:00+01:00"),
    ("30 secondi fa", "2026-01-02T00:30:00+01:00"),
    ("un minuto fa", "2026-01-02T00:29:00+01:00"),
    ("45 minuti fa", "2026-01-01T23:45:00+01:00"),
    ("un'ora fa", "2026-01-01T23:30:00+01:00"),
    ("un’ora fa", "2026-01-01T23:30:00+01:00"),
    ("1 ora fa", "2026-01-01T23:30:00+01:00"),
    ("2 ore fa", "2026-01-01T22:30:00+01:00"),
    ("2 ore ago", "2026-01-01T22:30:00+01:00"),
    ("2 hours ago", "2026-01-01T22:30:00+01:00"),
    ("an hour ago", "2026-01-01T23:30:00+01:00"),
    ("5 mins ago", "2026-01-02T00:25:00+01:00"),
    ("\ue900 2 ore fa", "2026-01-01T22:30:00+01:00"),
    # days follow the Rome calendar (it is still 1 January in UTC)
    ("oggi", "2026-01-02"),
    ("Oggi", "2026-01-02"),
    ("ieri", "2026-01-01"),
    ("yesterday", "2026-01-01"),
    ("l'altro ieri", "2025-12-31"),
    ("altroieri", "2025-12-31"),
    ("ieri alle 10:32", "2026-01-01T10:32:00+01:00"),
    ("3 giorni fa", "2025-12-30"),
    ("1 giorno fa", "2026-01-01"),
    ("3 days ago", "2025-12-30"),
    ("2 settimane fa", "2025-12-19"),
    ("1 week ago", "2025-12-26"),
]

# Text the fast path does not know at all: only dateparser reads these.
FALLBACK_CASES = [
    ("December 11, 2025", "2025-12-11"),
    ("11 dicembre, 2025", "2025-12-11"),
    ("11.12.25", "2025-12-11"),
    ("Dec 11, 2025 10:32 am", "2025-12-11T10:32:00+01:00"),
    ("April 21, 2022 6:46 pm", "2022-04-21T18:46:00+02:00"),
    # a zone the fast path does not convert: dateparser's conversion, not the wall time
    ("31 ott 2021 23:37:13 EST", "2021-11-01T05:37:13+01:00"),
]

# What the text says is never dropped: a zone or offset after the time, am/pm (issue 15, point 11).
ZONES_AND_HALVES = [
    ("31 ott 2021 23:37:13 UTC", "2021-11-01T00:37:13+01:00"),
    ("11 Dicembre 2025 1:32 pm", "2025-12-11T13:32:00+01:00"),
    ("11 Dicembre 2025 - 1:32 p.m.", "2025-12-11T13:32:00+01:00"),
    ("11 Dicembre 2025 12:05 am", "2025-12-11T00:05:00+01:00"),
    ("11 Dicembre 2025 12:05 PM", "2025-12-11T12:05:00+01:00"),
    ("11 Dicembre 2025 9:05 AM", "2025-12-11T09:05:00+01:00"),
    ("21/04/2022 6:46 pm", "2022-04-21T18:46:00+02:00"),
    ("11 Dicembre 2025 10:32 GMT", "2025-12-11T11:32:00+01:00"),
    ("11/12/2025 10:32 GMT+1", "2025-12-11T10:32:00+01:00"),
    ("11 Luglio 2025 - 10:32 UTC+02:00", "2025-07-11T10:32:00+02:00"),
    ("11 Dicembre 2025 10:32 +0000", "2025-12-11T11:32:00+01:00"),
    ("11 Luglio 2025 10:32 -04:00", "2025-07-11T16:32:00+02:00"),
    ("11 Dicembre 2025 10:32 CET", "2025-12-11T10:32:00+01:00"),
    ("11 Luglio 2025 10:32 CEST", "2025-07-11T10:32:00+02:00"),
    ("11 Dicembre 2025 10:32 CEST", "2025-12-11T09:32:00+01:00"),
    ("ieri alle 10:32 UTC", "2026-01-01T11:32:00+01:00"),
    ("2025-12-11 09:15:00 UTC", "2025-12-11T10:15:00+01:00"),
    ("2025-12-11T09:15:00 GMT", "2025-12-11T10:15:00+01:00"),
    # byline dates as other JNews sites show them: numeric, or localised with a time
    ("21/04/2022", "2022-04-21"),
    ("21 aprile 2022, 18:46", "2022-04-21T18:46:00+02:00"),
    # relative to the fetch time: half an hour
    ("mezz'ora fa", "2026-01-02T00:00:00+01:00"),
    ("mezz’ora fa", "2026-01-02T00:00:00+01:00"),
    ("mezzora fa", None),  # not Italian: unreadable rather than guessed
    ("half an hour ago", "2026-01-02T00:00:00+01:00"),
]

# Relative text that names no day gives None: no day is invented (the next source gives the field).
NO_DAY = ["2 mesi fa", "un mese fa", "un anno fa", "3 anni fa", "2 months ago", "a year ago", "il mese scorso"]

BAD_INPUT = [
    "",
    "   ",
    "\xa0",
    "abc",
    "31 Febbraio 2026",
    "32 Gennaio 2026",
    "29/02/2025",
    "11/13/2025",
    "Dicembre 2025",
    "11 Dicembre",
    "11 Dicembre 2025 - 25:00",
    "11 Dicembre 2025 - 10:61",
    "2025-02-30",
    "2025-12-11T25:00:00",
    "2025-12-11T10:15:00+25:00",
    "11 Dicembre 1989",
    "11 Dicembre 2101",
    "ore 10:32",
    "11 Pippo 2025",
    "x" * 10_000,
    "11 Dicembre 2025 " * 600,
    "11 Dicembre 2025 13:32 pm",
    "11 Dicembre 2025 0:32 am",
    "11 Dicembre 2025 10:32 +2500",
    # a zone plus an offset of a day or more (CEST+23 is 25 hours): no zone has it (it raised)
    "11 Dicembre 2025 10:32 CEST+23",
    "2025-12-11T10:32:00 CET+23:30",
    # so long ago that no date or timedelta holds it (they raised OverflowError), or before MIN_YEAR
    "99999999 giorni fa",
    "99999999999 ore fa",
    "9999999 weeks ago",
    "20000 giorni fa",
]


@pytest.mark.parametrize(
    ("text", "expected"),
    MONTH_CASES + ABBREVIATIONS + ITALIAN_FORMS + NUMERIC_FORMS + ISO_FORMS
    + DST_CASES + RELATIVE_CASES + FALLBACK_CASES,
)
def test_normalise_date(text, expected):
    assert normalise_date(text, now=FIXED_NOW) == expected


@pytest.mark.parametrize(("text", "expected"), ZONES_AND_HALVES)
def test_zone_offset_and_am_pm_are_honoured(text, expected):
    assert normalise_date(text, now=FIXED_NOW) == expected


@pytest.mark.parametrize("text", NO_DAY)
def test_relative_text_without_a_day_invents_none(text):
    assert normalise_date(text, now=FIXED_NOW) is None


@pytest.mark.parametrize("text", BAD_INPUT)
def test_unreadable_is_none(text):
    assert normalise_date(text, now=FIXED_NOW) is None


@pytest.mark.parametrize("value", [None, 20251211, b"11 Dicembre 2025"])
def test_non_string_is_none(value):
    assert parse_date(value, now=FIXED_NOW) is None


@pytest.mark.parametrize("text", ["11 Dicembre 2025", "11/12/2025", "2025-12-11", "ieri", "3 giorni fa"])
def test_date_only_is_a_date(text):
    value = parse_date(text, now=FIXED_NOW)
    assert type(value) is date


@pytest.mark.parametrize("text", ["11 Dicembre 2025 - 10:32", "2025-12-11T09:15:00Z", "2 ore fa"])
def test_time_gives_aware_rome_datetime(text):
    value = parse_date(text, now=FIXED_NOW)
    assert isinstance(value, datetime)
    assert value.tzinfo is ROME


@pytest.mark.parametrize(
    ("now", "text", "expected"),
    [
        # "now" given in UTC is read in Rome: 23:30 UTC on 1 Jan is 2 Jan in Rome
        (datetime(2026, 1, 1, 23, 30, tzinfo=timezone.utc), "oggi", "2026-01-02"),
        (datetime(2026, 1, 1, 23, 30, tzinfo=timezone.utc), "ieri", "2026-01-01"),
        (datetime(2026, 1, 1, 22, 30, tzinfo=timezone.utc), "oggi", "2026-01-01"),
        # hours ago across the spring change: real elapsed time, not wall time
        (datetime(2026, 3, 29, 3, 30, tzinfo=ROME), "2 ore fa", "2026-03-29T00:30:00+01:00"),
        (datetime(2026, 3, 29, 3, 30, tzinfo=ROME), "2 hours ago", "2026-03-29T00:30:00+01:00"),
    ],
)
def test_relative_against_other_now(now, text, expected):
    assert normalise_date(text, now=now) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2025, 12, 11), "2025-12-11"),
        (datetime(2025, 12, 11, 10, 15, tzinfo=ROME), "2025-12-11T10:15:00+01:00"),
        (datetime(2025, 12, 11, 9, 15, tzinfo=timezone.utc), "2025-12-11T10:15:00+01:00"),
        (datetime(2025, 7, 11, 10, 15, 7, 999, tzinfo=ROME), "2025-07-11T10:15:07+02:00"),
    ],
)
def test_to_iso(value, expected):
    assert to_iso(value) == expected


def test_an_instant_in_the_spring_gap_has_one_spelling_whatever_its_source():
    """The byline's local wall time and Yoast's UTC instant of the same moment."""
    spellings = {normalise_date(t, now=FIXED_NOW) for t in (
        "29 Marzo 2026 - 02:30", "2026-03-29T01:30:00+00:00", "2026-03-29T03:30:00+02:00", "2026-03-29 02:30:00")}
    assert spellings == {"2026-03-29T03:30:00+02:00"}


@pytest.mark.parametrize("sources, expected", [
    # no source says which: the first occurrence (the documented rule)
    (["25 Ottobre 2026 - 02:30"], "2026-10-25T02:30:00+02:00"),
    # a later source of the field gives that wall time at +01:00 (01:30 UTC): the second occurrence
    (["2026-10-25 02:30:00", "2026-10-25T01:30:00+00:00"], "2026-10-25T02:30:00+01:00"),
    (["25 Ottobre 2026 - 02:30", "2026-10-25T02:30:00+01:00"], "2026-10-25T02:30:00+01:00"),
    # another wall time, or the first occurrence, changes nothing
    (["25 Ottobre 2026 - 02:30", "2026-10-25T01:45:00+00:00"], "2026-10-25T02:30:00+02:00"),
    (["25 Ottobre 2026 - 02:30", "2026-10-25T00:30:00+00:00"], "2026-10-25T02:30:00+02:00"),
    # an instant given with its offset is never moved
    (["2026-10-25T02:30:00+02:00", "2026-10-25T01:30:00+00:00"], "2026-10-25T02:30:00+02:00"),
])
def test_the_repeated_autumn_hour_is_resolved_by_the_fields_other_sources(sources, expected):
    from alanews.loaders import ArticleLoader

    loader = ArticleLoader(base_url="https://www.alanews.it/", now=datetime(2026, 11, 1, tzinfo=ROME))
    loader.add_value("published", sources)
    assert loader.get_output_value("published") == expected


@pytest.mark.parametrize("text", ["25 October 2026 02:30", "October 25, 2026 2:30 am"])
def test_the_repeated_autumn_hour_read_by_dateparser_is_its_first_occurrence(text):
    """As the fast path reads "25/10/2026 02:30": +02:00, no other source saying +01:00."""
    assert to_iso(parse_date(text)) == to_iso(parse_date("25/10/2026 02:30")) == "2026-10-25T02:30:00+02:00"
