"""2. Dates: alanews.dates.normalise_date vs dateparser.parse(text, languages=["it"]).

The corpus is generated (fixed seed) from the forms the site and its structured data use,
each string with the value it stands for (the truth): a ``date`` for text without a time,
an aware Rome ``datetime`` for text with one. Relative text is read against a fixed ``now``
(given to dateparser as RELATIVE_BASE, to ours as ``now``).

Results are compared at the truth's precision: a date-only truth compares dates (dateparser
always returns a datetime, its midnight is not held against it), a timed truth compares
instants (a naive dateparser result is read as Rome wall time).
"""

from __future__ import annotations

import gc
import random
import time
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

ROME = ZoneInfo("Europe/Rome")
UTC = timezone.utc
NOW = datetime(2026, 11, 20, 15, 47, tzinfo=ROME)

MONTHS = ["Gennaio", "Febbraio", "Marzo", "Aprile", "Maggio", "Giugno", "Luglio",
          "Agosto", "Settembre", "Ottobre", "Novembre", "Dicembre"]
WEEKDAYS = ["lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica"]


def _wall_ok(dt: datetime) -> bool:
    """A Rome wall time that exists and is not ambiguous (text without offset can only mean one)."""
    naive = dt.replace(tzinfo=None)
    a = naive.replace(tzinfo=ROME, fold=0)
    b = naive.replace(tzinfo=ROME, fold=1)
    exists = a.astimezone(UTC).astimezone(ROME).replace(tzinfo=None) == naive
    return exists and a.utcoffset() == b.utcoffset()


def _instant(rng: random.Random) -> datetime:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    span = int((datetime(2026, 11, 20, 14, 0, tzinfo=UTC) - start).total_seconds() // 60)
    t = (start + timedelta(minutes=rng.randrange(span))).astimezone(ROME)
    if rng.random() < 0.03:  # the DST change days, whose hours the site also publishes at
        day = rng.choice([datetime(2025, 3, 30, tzinfo=ROME), datetime(2025, 10, 26, tzinfo=ROME),
                          datetime(2026, 3, 29, tzinfo=ROME), datetime(2026, 10, 25, tzinfo=ROME)])
        t = (day.astimezone(UTC) + timedelta(minutes=rng.randrange(0, 300))).astimezone(ROME)
    return t


def _walltime(rng: random.Random) -> datetime:
    while True:
        t = _instant(rng)
        if _wall_ok(t):
            return t


# --- forms: (name, weight, maker(rng) -> (text, truth)) ----------------------------------------

def _display(rng, month=lambda m: MONTHS[m - 1]):
    t = _walltime(rng)
    return t, f"{t.day} {month(t.month)} {t.year}"


def f_title(rng):
    t, s = _display(rng)
    return s, t.date()


def f_lower(rng):
    t, s = _display(rng, month=lambda m: MONTHS[m - 1].lower())
    return s, t.date()


def f_ordinal(rng):
    t = _walltime(rng).replace(day=1)
    month = MONTHS[t.month - 1]
    return f"1° {month if rng.random() < 0.7 else month.lower()} {t.year}", t.date()


def _with_time(sep):
    def make(rng):
        t = _walltime(rng)
        month = MONTHS[t.month - 1] if rng.random() < 0.7 else MONTHS[t.month - 1].lower()
        clock = f"{t.hour:02d}.{t.minute:02d}" if "ore" in sep else f"{t.hour:02d}:{t.minute:02d}"
        return f"{t.day} {month} {t.year}{sep}{clock}", t
    return make


def f_weekday_top(rng):  # the top bar: "venerdì 20 Novembre 2026"
    t = _walltime(rng)
    return f"{WEEKDAYS[t.weekday()]} {t.day} {MONTHS[t.month - 1]} {t.year}", t.date()


def f_weekday_comma(rng):  # "Venerdì, 20 novembre 2026"
    t = _walltime(rng)
    return f"{WEEKDAYS[t.weekday()].capitalize()}, {t.day} {MONTHS[t.month - 1].lower()} {t.year}", t.date()


def f_iso_utc(rng):  # Yoast: "2025-12-11T09:15:00+00:00"
    t = _instant(rng)
    return t.astimezone(UTC).isoformat(), t


def f_iso_z(rng):
    t = _instant(rng)
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), t


def f_iso_rome(rng):  # "2025-12-11T10:15:00+01:00"
    t = _instant(rng)
    return t.isoformat(), t


def f_jnews_local(rng):  # JNews JSON-LD: "2025-12-11 10:15:00", Rome time without offset
    t = _walltime(rng)
    return t.strftime("%Y-%m-%d %H:%M:%S"), t


def f_iso_naive_t(rng):
    t = _walltime(rng)
    return t.strftime("%Y-%m-%dT%H:%M:%S"), t


def f_iso_date(rng):
    t = _walltime(rng)
    return t.date().isoformat(), t.date()


def f_numeric(rng):
    t = _walltime(rng)
    sep = rng.choice("/.-")
    d, m = (f"{t.day:02d}", f"{t.month:02d}") if rng.random() < 0.5 else (str(t.day), str(t.month))
    return f"{d}{sep}{m}{sep}{t.year}", t.date()


def f_numeric_time(rng):
    t = _walltime(rng)
    return f"{t.day:02d}/{t.month:02d}/{t.year} {t.hour:02d}:{t.minute:02d}", t


def _ago(minutes):
    instant = NOW.astimezone(UTC) - timedelta(minutes=minutes)
    return instant.astimezone(ROME)


def f_rel_minutes(rng):
    n = rng.randint(1, 59)
    return f"{n} minut{'o' if n == 1 else 'i'} fa", _ago(n)


def f_rel_hours(rng):
    n = rng.randint(1, 23)
    text = rng.choice(["un'ora fa", "1 ora fa"]) if n == 1 else f"{n} ore fa"
    return text, _ago(60 * n)


def f_rel_days(rng):
    n = rng.randint(1, 6)
    return ("1 giorno fa" if n == 1 else f"{n} giorni fa"), NOW.date() - timedelta(days=n)


def f_rel_weeks(rng):
    n = rng.randint(1, 4)
    return ("1 settimana fa" if n == 1 else f"{n} settimane fa"), NOW.date() - timedelta(days=7 * n)


def f_rel_words(rng):
    word = rng.choice(["ieri", "oggi", "Ieri", "Oggi"])
    return word, NOW.date() - timedelta(days=1 if word.lower() == "ieri" else 0)


def f_rel_yesterday_at(rng):
    hh, mm = rng.randint(6, 23), rng.randint(0, 59)
    day = NOW.date() - timedelta(days=1)
    return f"ieri alle {hh:02d}:{mm:02d}", datetime(day.year, day.month, day.day, hh, mm, tzinfo=ROME)


def f_rel_jnews_ago(rng):  # JNews's half-translated relative dates: "2 ore ago"
    unit = rng.choice(["minuti", "ore", "giorni"])
    if unit == "minuti":
        n = rng.randint(2, 59)
        return f"{n} minuti ago", _ago(n)
    if unit == "ore":
        n = rng.randint(2, 23)
        return f"{n} ore ago", _ago(60 * n)
    n = rng.randint(2, 6)
    return f"{n} giorni ago", NOW.date() - timedelta(days=n)


FORMS = [
    ("display Title month", 14, f_title),
    ("display lowercase month", 8, f_lower),
    ("display 1°", 4, f_ordinal),
    ("display + ' - HH:MM'", 8, _with_time(" - ")),
    ("display + ', HH:MM'", 3, _with_time(", ")),
    ("display + ' alle HH:MM'", 3, _with_time(" alle ")),
    ("display + ' ore HH.MM'", 3, _with_time(" ore ")),
    ("weekday + display", 4, f_weekday_top),
    ("Weekday, display", 3, f_weekday_comma),
    ("ISO +00:00 (Yoast)", 12, f_iso_utc),
    ("ISO Z", 3, f_iso_z),
    ("ISO +01:00/+02:00", 5, f_iso_rome),
    ("ISO local 'YYYY-MM-DD HH:MM:SS' (JNews)", 10, f_jnews_local),
    ("ISO local 'T' no offset", 3, f_iso_naive_t),
    ("ISO date", 3, f_iso_date),
    ("numeric d/m/y", 4, f_numeric),
    ("numeric d/m/y HH:MM", 2, f_numeric_time),
    ("relative minuti fa", 2, f_rel_minutes),
    ("relative ore fa", 2, f_rel_hours),
    ("relative giorni fa", 2, f_rel_days),
    ("relative settimane fa", 1, f_rel_weeks),
    ("relative ieri/oggi", 2, f_rel_words),
    ("relative 'ieri alle HH:MM'", 1, f_rel_yesterday_at),
    ("relative JNews 'N ore ago'", 2, f_rel_jnews_ago),
]


def corpus(size: int, seed: int = 6) -> list[tuple[str, str, date | datetime]]:
    """(form, text, truth), every form present, weighted as above."""
    rng = random.Random(seed)
    out = [(name, *make(rng)) for name, _, make in FORMS]  # each form at least once
    weights = [w for _, w, _ in FORMS]
    while len(out) < size:
        name, _, make = rng.choices(FORMS, weights)[0]
        out.append((name, *make(rng)))
    return out


# --- comparison ---------------------------------------------------------------------------------

def _project(value, truth):
    """``value`` at the truth's precision: a date, or an aware instant."""
    if value is None:
        return None
    if not isinstance(truth, datetime):
        if isinstance(value, datetime):
            return (value.astimezone(ROME) if value.tzinfo else value).date()
        return value
    if not isinstance(value, datetime):
        return value  # a date where a time was given: never equal to an instant
    return value.astimezone(ROME) if value.tzinfo else value.replace(tzinfo=ROME)


def _ours_value(iso: str | None):
    if iso is None:
        return None
    return datetime.fromisoformat(iso) if "T" in iso else date.fromisoformat(iso)


def _truth_iso(truth) -> str:
    if isinstance(truth, datetime):
        return truth.astimezone(ROME).isoformat(timespec="seconds")
    return truth.isoformat()


def run(size: int) -> dict:
    import dateparser

    import alanews.dates as ours_module
    from alanews.dates import normalise_date

    items = corpus(size)
    texts = [text for _, text, _ in items]
    relative_base = NOW.replace(tzinfo=None)

    def run_ours():
        return [normalise_date(t, NOW) for t in texts]

    def run_dateparser():
        settings = {"RELATIVE_BASE": relative_base}
        return [dateparser.parse(t, languages=["it"], settings=settings) for t in texts]

    # warm-up (dateparser loads its Italian locale data on first use)
    dateparser.parse("11 Dicembre 2025", languages=["it"], settings={"RELATIVE_BASE": relative_base})
    run_ours()

    # how many strings our fast path does not read (they go to dateparser inside normalise_date)
    fallbacks = Counter()
    original = ours_module._fallback

    def counting(clean, now):
        fallbacks[clean] += 1
        return original(clean, now)

    ours_module._fallback = counting
    try:
        ours_results = run_ours()
    finally:
        ours_module._fallback = original

    gc.collect()
    runs = []
    for _ in range(3):  # ours takes ~50 ms: the median of 3 runs
        start = time.process_time()
        run_ours()
        runs.append(time.process_time() - start)
    ours_cpu = sorted(runs)[1]
    gc.collect()
    start = time.process_time()
    dp_results = run_dateparser()
    dp_cpu = time.process_time() - start

    differ = 0
    classes = Counter()
    by_form_dp_wrong = Counter()
    by_form_ours_wrong = Counter()
    examples = {}
    for (form, text, truth), ours_iso, dp in zip(items, ours_results, dp_results):
        ours_right = ours_iso == _truth_iso(truth)
        dp_value = _project(dp, truth)
        dp_right = dp_value == _project(truth, truth)
        ours_value = _project(_ours_value(ours_iso), truth)
        if ours_value != dp_value or (ours_iso is None) != (dp is None):
            differ += 1
            if ours_right and not dp_right:
                classes["dateparser wrong (ours right)"] += 1
            elif dp_right and not ours_right:
                classes["ours wrong (dateparser right)"] += 1
            else:
                classes["both wrong"] += 1
        if not dp_right:
            by_form_dp_wrong[form] += 1
            examples.setdefault(("dp", form), (text, dp, _truth_iso(truth)))
        if not ours_right:
            by_form_ours_wrong[form] += 1
            examples.setdefault(("ours", form), (text, ours_iso, _truth_iso(truth)))
    violations = sum(1 for (form, text, truth), ours_iso, dp in zip(items, ours_results, dp_results)
                     if _project(dp, truth) == _project(truth, truth) and ours_iso != _truth_iso(truth))

    n = len(items)
    return {"n": n, "ours_cpu": ours_cpu, "dp_cpu": dp_cpu, "differ": differ, "classes": classes,
            "dp_wrong": by_form_dp_wrong, "ours_wrong": by_form_ours_wrong, "examples": examples,
            "violations": violations, "fallbacks": fallbacks}


def add_rows(report, res: dict) -> None:
    n = res["n"]
    ratio = res["dp_cpu"] / res["ours_cpu"]
    sec = "2 dates"
    classes = res["classes"]
    report.add(sec, f"CPU per string ({n} strings, {len(FORMS)} forms)", f"{res['ours_cpu'] / n * 1e6:.1f} µs",
               f"dateparser {res['dp_cpu'] / n * 1e6:.0f} µs", f"{ratio:.0f}x faster", ">= 50x",
               "PASS" if ratio >= 50 else "MISS")
    report.add(sec, "results that differ from dateparser's", str(res["differ"]), "",
               f"{res['differ'] / n * 100:.1f}% of corpus")
    for name in ("dateparser wrong (ours right)", "ours wrong (dateparser right)", "both wrong"):
        report.add(sec, f"  of which {name}", str(classes[name]))
    report.add(sec, "ours wrong where dateparser is right", str(res["violations"]), "", "", "0",
               "PASS" if res["violations"] == 0 else "MISS")
    ours_wrong, dp_wrong = sum(res["ours_wrong"].values()), sum(res["dp_wrong"].values())
    report.add(sec, "accuracy vs truth", f"{(1 - ours_wrong / n) * 100:.1f}%",
               f"dateparser {(1 - dp_wrong / n) * 100:.1f}%")
    report.add(sec, "strings sent to our dateparser fallback", str(sum(res["fallbacks"].values())))
