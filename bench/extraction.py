"""1. Extraction: ArticlePage(...).to_item() vs trafilatura's bare_extraction, on the same replica pages.

Pages are rendered in-process with ``replica.render`` (byte for byte what the replica serves),
truth is ``replica.model.expected_item``. CPU is ``time.process_time`` of this process around
each extraction, ours and trafilatura alternating page by page: ours includes building the Scrapy
response and parsing it (trafilatura gets the decoded HTML string and parses it itself).
"""

from __future__ import annotations

import gc
import time
from collections import defaultdict
from datetime import datetime, timezone
from difflib import SequenceMatcher

FIELDS = ("title", "author", "date", "body (exact)", "tags")
BASE = "http://127.0.0.1:8123"
NOW = datetime(2026, 11, 20, 20, 0, tzinfo=timezone.utc)


def render_pages(n_articles: int, seed: int):
    from replica import render
    from replica.model import Site, expected_item

    site = Site(n_articles, seed)
    return [(a.url(BASE), render.render_article(site, a, BASE).encode("utf-8"), expected_item(a, BASE))
            for a in site.articles]


def _paragraphs(text) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _similarity(got, want) -> float:
    a, b = " ".join(_paragraphs(got)).split(), " ".join(_paragraphs(want)).split()
    if not a and not b:
        return 1.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def _judge(got: dict, truth: dict) -> dict:
    """got: title, author, date (YYYY-MM-DD), body, tags. Correct or not, per field."""
    want_date = truth["published"][:10] if truth["published"] else None
    return {
        "title": got["title"] == truth["title"],
        "author": (got["author"] or None) == truth["author"],
        "date": got["date"] == want_date,
        "body (exact)": _paragraphs(got["body"]) == _paragraphs(truth["body"]),
        "tags": list(got["tags"] or []) == list(truth["tags"]),
    }


def _extract_both(pages):
    """Ours and trafilatura page by page, alternating, each timed with process_time: a load
    change on the machine (other processes) hits both sides alike."""
    from scrapy.http import HtmlResponse
    from trafilatura import bare_extraction

    from alanews.pages.article import ArticlePage

    clock = time.process_time
    ours, traf = [], []
    ours_cpu = traf_cpu = 0.0
    gc.collect()
    for url, body, _ in pages:
        t0 = clock()
        response = HtmlResponse(url=url, body=body, encoding="utf-8")
        ours.append(ArticlePage(response, BASE, now=NOW).to_item())
        t1 = clock()
        traf.append(bare_extraction(body.decode("utf-8"), url=url, with_metadata=True))
        t2 = clock()
        ours_cpu += t1 - t0
        traf_cpu += t2 - t1
    return ours, traf, ours_cpu, traf_cpu


def field_costs(pages) -> list[tuple[str, float]]:
    """Where our time goes: CPU per page of the response parse, each ArticlePage field, the loader."""
    from scrapy.http import HtmlResponse

    from alanews.pages.article import ArticlePage

    cost = defaultdict(float)
    parts = ("jsonld", "header", "permalink", "visible_date", *ArticlePage.FIELDS)
    for url, body, _ in pages:
        t0 = time.process_time()
        response = HtmlResponse(url=url, body=body, encoding="utf-8")
        page = ArticlePage(response, BASE, now=NOW)
        page.anchors  # noqa: B018 (post region, lxml parse, one pass for the anchors)
        t1 = time.process_time()
        cost["parse (HtmlResponse, post region, lxml, anchors)"] += t1 - t0
        for name in parts:
            t = time.process_time()
            value = getattr(page, name)
            if callable(value):
                value()
            cost[f"field {name}"] += time.process_time() - t
        t = time.process_time()
        page.to_item()  # fields are recomputed (not cached): loader = to_item - fields
        total_item = time.process_time() - t
        cost["ItemLoader + to_item overhead (to_item minus fields)"] += total_item
    fields_total = sum(v for k, v in cost.items() if k.startswith("field ") and k[6:] in ArticlePage.FIELDS)
    cost["ItemLoader + to_item overhead (to_item minus fields)"] -= fields_total
    n = len(pages)
    return sorted(((k, v / n) for k, v in cost.items()), key=lambda kv: -kv[1])


def run(report, n_articles: int, seed: int) -> dict:
    pages = render_pages(n_articles, seed)
    n = len(pages)
    # warm-up: imports, lxml/parsel caches, trafilatura's and dateparser's lazy data
    _extract_both(pages[:5])
    ours_items, traf_docs, ours_cpu, traf_cpu = _extract_both(pages)

    correct = {"ours": defaultdict(int), "trafilatura": defaultdict(int)}
    similarity = {"ours": 0.0, "trafilatura": 0.0}
    traf_misses = defaultdict(list)
    ours_misses = defaultdict(list)
    for (url, _, truth), item, doc in zip(pages, ours_items, traf_docs):
        ours = {"title": item["title"], "author": item["author"],
                "date": item["published"][:10] if item["published"] else None,
                "body": item["body"], "tags": item["tags"]}
        traf = {"title": getattr(doc, "title", None), "author": getattr(doc, "author", None),
                "date": getattr(doc, "date", None), "body": getattr(doc, "text", None),
                "tags": getattr(doc, "tags", None) or []}
        for who, got, misses in (("ours", ours, ours_misses), ("trafilatura", traf, traf_misses)):
            for name, ok in _judge(got, truth).items():
                correct[who][name] += ok
                if not ok:
                    misses[name].append(url)
            similarity[who] += _similarity(got["body"], truth["body"])

    per_ours, per_traf = ours_cpu / n, traf_cpu / n
    ratio = per_traf / per_ours
    sec = "1 extraction"
    report.add(sec, f"CPU per article page ({n} pages)", f"{per_ours * 1000:.2f} ms",
               f"trafilatura {per_traf * 1000:.2f} ms", f"{ratio:.2f}x faster", ">= 5x", "PASS" if ratio >= 5 else "MISS")
    all_higher = True
    for name in FIELDS:
        a, b = correct["ours"][name] / n, correct["trafilatura"][name] / n
        # "higher accuracy on every field": strictly higher, or both perfect is not possible to beat
        ok = a > b or a == 1.0
        all_higher &= ok
        figure = "tie at 100%" if a == b == 1.0 else f"{(a - b) * 100:+.1f} pts"
        report.add(sec, f"accuracy: {name}", f"{a * 100:.1f}%", f"trafilatura {b * 100:.1f}%",
                   figure, "higher (or 100%)", "PASS" if ok else "MISS")
    sa, sb = similarity["ours"] / n, similarity["trafilatura"] / n
    ok = sa > sb or sa == 1.0
    report.add(sec, "accuracy: body similarity (mean word-diff ratio)", f"{sa:.4f}", f"trafilatura {sb:.4f}",
               f"{sa - sb:+.4f}", "higher (or 1.0)", "PASS" if ok else "MISS")
    return {"pages": pages, "ours_per_page": per_ours, "traf_per_page": per_traf, "ratio": ratio,
            "correct": correct, "similarity": similarity, "ours_misses": ours_misses, "traf_misses": traf_misses}
