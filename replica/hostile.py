"""Hostile mode of the replica (``python -m replica --hostile``): the normal site plus bad pages.

Everything hostile is reached from the normal site's archives, so a plain category
crawl meets it:

* **Esteri, page 1** lists, before its normal posts, the hostile entries of :data:`CASES`:
  articles that are good but awkward (wrong charset both ways, broken JSON-LD,
  malformed and truncated HTML, an impossible and a future date, a post linked in
  relative / ``utm_*`` / fragment forms, a post cross-listed in Politica) and bad
  links (404, 410, a page slower than any timeout, two redirect loops, redirects to
  another host and to ``https``, a PDF and an image at article URLs, an empty 200,
  a huge page with and without Content-Length, a gzip bomb, a path robots.txt
  disallows, links to another host and scheme, ``javascript:`` and ``mailto:``).
* **Esteri, page 2** answers its first request 503, its second 500, then 200 (recovery on retry).
* **Esteri, last page** links a next page past the end, which answers 200 with no posts.
* **Cronaca, last page** (page 2 at ``--articles 60``) has a "next" back to page 1: a pagination loop.
* **Politica, page 1** lists the cross-listed post too, a post whose slug WordPress keeps
  percent-encoded (``caff%c3%a8-…``), linked with lower-case escapes, upper-case escapes,
  the raw ``è`` and a needless escape, and a post linked only as ``…/?a`` and ``…/?a=``
  (one request for Scrapy's dupefilter, two spellings for the crawler).
* **robots.txt** disallows the ``area-riservata`` article that Esteri lists.
* A second tiny server on loopback (another port: "another host") counts every hit.

The good-but-awkward articles have a truth: ``/__replica__/truth.jsonl`` holds the normal
site's plus theirs, and ``/__replica__/archive.json`` lists them in the archives they are
injected into. ``/__replica__/hostile.json`` tells the cases (name, URL, kind), the hits
on every hostile path, the other host's hits, how long each slow download lasted and how
many bytes the huge pages sent. Normal mode is untouched: none of this exists without
``--hostile``.
"""
from __future__ import annotations

import dataclasses
import json
import re
import threading
import time
import zlib
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote

from . import render
from .model import ROME, Article, expected_item, fmt_visible, slugify

MIB = 1024 * 1024
HUGE_SIZE = 48 * MIB  # far larger than any article (~150 KB) and than DOWNLOAD_MAXSIZE (10 MiB)
BOMB_SIZE = 64 * MIB  # decompressed size of the gzip bomb (about 64 KB on the wire)
SLOW_BYTES = 200_000  # the slow page's advertised length, dripped 64 bytes every 0.2 s
SLOW_LIMIT = 60.0  # the slow page gives up dripping after this many seconds
POST_ID_BASE = 90000

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
JPEG = (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        + b"\x00" * 200 + b"\xff\xd9")


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    kind: str  # "good": an article with a truth, emitted once; "bad": never an item
    path: str  # site path, or "" for a link elsewhere
    links: tuple[str, ...] = ()  # hrefs in Esteri page 1 (templates: {base}, {other}, {port})
    what: str = ""


def _p(day: int, slug: str) -> str:
    return f"/2026/11/{day:02d}/esteri/{slug}/"


# Every case: name -> Case. Good cases are built as Articles in Hostile._articles().
CASES = {c.name: c for c in [
    # --- good but awkward: emitted exactly once, fields equal to the truth
    Case("charset_latin1_declared", "good", _p(10, "bruxelles-vertice-energia-prezzi"),
         what="UTF-8 bytes, Latin-1 declared in the header and the meta"),
    Case("charset_utf8_declared", "good", _p(10, "roma-ambasciatori-consultazioni-citta"),
         what="Latin-1 bytes, UTF-8 declared in the header and the meta"),
    Case("broken_jsonld", "good", _p(11, "parigi-accordo-sul-clima-firmato"),
         what="Yoast JSON-LD cut in the middle, plus a second garbage ld+json block"),
    Case("malformed_html", "good", _p(11, "berlino-coalizione-nuovo-bilancio"),
         what="no </p>, stray end tags, upper-case tags, document cut off inside a tag"),
    Case("impossible_date", "good", _p(12, "madrid-elezioni-anticipate-sanchez"),
         what="no structured data; the byline says 31 Febbraio 2026"),
    Case("future_date", "good", _p(12, "londra-nuovo-governo-giura"),
         what="every date source (Yoast, meta, theme JSON-LD, byline) says 2031"),
    Case("link_variants", "good", _p(13, "washington-dazi-europa-risposta"),
         what="listed as relative, protocol-relative, no-slash, utm_* and #fragment links"),
    Case("cross_listed", "good", "/2026/11/13/politica/governo-e-opposizione-sulla-politica-estera/",
         what="a Politica post also listed in Esteri: on both archives' first page"),
    Case("accented_slug", "good", "/2026/11/13/politica/caff%C3%A8-sospeso-in-parlamento/",
         links=("{base}/2026/11/13/politica/caff%c3%a8-sospeso-in-parlamento/",
                "{base}/2026/11/13/politica/caffè-sospeso-in-parlamento/",
                "{base}/2026/11/13/politica/caff%C3%A8-sospeso-in-parlamento/",
                "/2026/11/13/politica/%63aff%c3%a8-sospeso-in-parlamento"),
         what="slug kept percent-encoded; its own page names it with lower-case escapes"),
    Case("query_variants", "good", "/2026/11/13/politica/legge-di-bilancio-il-voto-finale/",
         links=("{base}/2026/11/13/politica/legge-di-bilancio-il-voto-finale/?a",
                "{base}/2026/11/13/politica/legge-di-bilancio-il-voto-finale/?a="),
         what="linked only with an unknown query, ?a and ?a= (WordPress ignores it)"),
    # --- bad: never an item, each with a log line and a stat
    Case("not_found", "bad", _p(14, "articolo-rimosso"), what="404"),
    Case("gone", "bad", _p(14, "articolo-ritirato"), what="410"),
    Case("slow", "bad", _p(14, "pagina-lenta"), what="headers at once, then 64 B every 0.2 s for 60 s"),
    Case("redirect_loop", "bad", _p(15, "giro-a"), what="302 to giro-b, which 302s back to giro-a"),
    Case("redirect_chain", "bad", _p(15, "catena-di-redirect"), what="302 to ?hop=N+1, forever"),
    Case("redirect_other_host", "bad", _p(15, "trasferito-altrove"), what="301 to the other host"),
    Case("redirect_https", "bad", _p(15, "passa-a-https"), what="301 to https on the same host and port"),
    Case("pdf", "bad", _p(16, "documento-ufficiale"), what="200 application/pdf"),
    Case("image", "bad", _p(16, "foto-del-giorno"), what="200 image/jpeg"),
    Case("empty", "bad", _p(16, "pagina-vuota"), what="200 text/html, empty body"),
    Case("huge", "bad", _p(17, "pagina-enorme"), what=f"200 text/html, Content-Length {HUGE_SIZE}"),
    Case("endless", "bad", _p(17, "pagina-senza-fine"), what="200 text/html, no length, streamed until cut"),
    Case("gzip_bomb", "bad", _p(17, "bomba-gzip"), what=f"gzip, {BOMB_SIZE} B decompressed"),
    Case("robots_disallowed", "bad", _p(18, "area-riservata"), what="a real article robots.txt disallows"),
    Case("other_host_link", "bad", "", links=("{other}/2026/11/18/esteri/notizia-altro-sito/",),
         what="an article-shaped link to another host"),
    Case("other_scheme_link", "bad", "", links=("https://127.0.0.1:{port}/2026/11/18/esteri/solo-https/",),
         what="an article-shaped link to the same host with https"),
    Case("javascript_link", "bad", "", links=("javascript:void(0)",)),
    Case("mailto_link", "bad", "", links=("mailto:redazione@alanews.it?subject=Segnalazione",)),
    Case("unparsable_links", "bad", "", links=("http://[::1/2026/11/18/esteri/parentesi-aperta/",
                                               "http://127.0.0.1:99999/2026/11/18/esteri/porta-impossibile/"),
         what="article-shaped links no URL parser accepts: an unclosed IPv6 bracket, a port out of range"),
]}
LINK_VARIANTS = (
    "{path}", "{base}{path}?utm_source=newsletter&utm_medium=email&utm_campaign=hostile",
    "{base}{path}#respond", "{base}{path}?utm_source=x#comments", "//{host}{path}", "{path_noslash}",
)
GOOD = [c for c in CASES.values() if c.kind == "good"]


_LIST_OPEN = '<div class="jeg_posts jeg_load_more_flag">'
_MAIN_ITEM = re.compile(r'<article class="jeg_post jeg_pl_lg_2.*?</article>', re.S)
_PAGINATION = re.compile(r'<div class="jeg_navigation jeg_pagination.*?</div>', re.S)
_HEAD_LINKS = re.compile(r'<link rel="(?:prev|next)" href="[^"]*" />\n?')

# --- texts of the good cases (Latin-1 only, so that one page can be sent as Latin-1) ----------
_TEXTS = {
    "charset_latin1_declared": (
        "Bruxelles, vertice sull'energia: è già scontro sui prezzi",
        "I ministri dell'Unione cercano un'intesa entro la fine del mese",
        "Giulia Ferraresi", ["Unione Europea", "Energia"]),
    "charset_utf8_declared": (
        "Roma, ambasciatori in consultazione: la città si prepara al vertice",
        "Più controlli in centro, perché la Farnesina teme proteste",
        "Marco Santoro", ["Roma", "Diplomazia"]),
    "broken_jsonld": (
        "Parigi, firmato l'accordo sul clima: entusiasmo e perplessità",
        "Il testo prevede tagli alle emissioni già dal prossimo anno",
        "Luca Bernardini", ["Clima", "Francia"]),
    "malformed_html": (
        "Berlino, la coalizione approva il nuovo bilancio",
        "Via libera dopo tre giorni di trattative: ecco cosa cambia",
        "Francesca Rinaldi", ["Germania"]),
    "impossible_date": (
        "Madrid, Sánchez annuncia elezioni anticipate",
        None, "Niccolò Pellegrini", ["Spagna"]),
    "future_date": (
        "Londra, il nuovo governo giura davanti al re",
        "Cerimonia breve a Buckingham Palace, poi il primo consiglio dei ministri",
        "Redazione Alanews", ["Regno Unito"]),
    "link_variants": (
        "Washington, dazi sull'Europa: la risposta di Bruxelles",
        "La Commissione prepara contromisure su acciaio e alluminio",
        "Federico Liberi", ["USA", "Dazi"]),
    "cross_listed": (
        "Governo e opposizione divisi sulla politica estera",
        "Il dibattito in aula si accende sulle missioni all'estero",
        "Giulia Ferraresi", ["Governo", "Parlamento"]),
    "accented_slug": (
        "Caffè sospeso in Parlamento: la proposta divide la maggioranza",
        "Un fondo per i bar che offrono la colazione a chi non può pagarla",
        "Marco Santoro", ["Parlamento"]),
    "query_variants": (
        "Legge di bilancio, oggi il voto finale alla Camera",
        "Le opposizioni annunciano battaglia sugli emendamenti",
        "Luca Bernardini", ["Governo", "Manovra"]),
}
POLITICA = ("cross_listed", "accented_slug", "query_variants")  # good cases listed in Politica
_POLITICA_ONLY = POLITICA[1:]
_BODY = [
    ("p", "Secondo quanto riferito dalle agenzie, la questione resta al centro del dibattito. "
          "Le parti hanno confermato la volontà di proseguire il confronto nei prossimi giorni."),
    ("h2", "Le reazioni e i prossimi passi"),
    ("p", "Già nelle scorse settimane erano emerse perplessità, e l'opposizione aveva chiesto "
          "chiarimenti in Parlamento. Restano tuttavia aperti diversi nodi."),
    ("p", "Gli esperti invitano alla prudenza: i dati disponibili sono ancora parziali e andranno "
          "verificati. Intanto cresce l'attesa per le decisioni, attese entro la fine del mese."),
]


class _SiteView:
    """The site as ``render.render_article`` sees it, with one extra (hostile) article in it."""

    def __init__(self, site, article: Article):
        self._site = site
        self.by_id = {**site.by_id, article.post_id: article}
        self.position = {**site.position, article.post_id: 0}

    def __getattr__(self, name):
        return getattr(self._site, name)


class _OtherHost:
    """"Another host": a second loopback server (other port) that counts every request it gets."""

    def __init__(self):
        counter = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802
                counter.hit(self.path)
                body = b"<html><body>another host</body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_HEAD = do_POST = do_GET

        self.lock = threading.Lock()
        self.hits: dict[str, int] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        host, port = self.server.server_address[:2]
        self.url = f"http://{host}:{port}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()

    def hit(self, path: str) -> None:
        with self.lock:
            self.hits[path] = self.hits.get(path, 0) + 1


class Hostile:
    """The hostile routes of one :class:`replica.server.Replica`; see the module docstring."""

    def __init__(self, replica):
        self.replica = replica
        self.other = _OtherHost()
        self.lock = threading.Lock()
        self.hits: dict[str, int] = {}
        self.slow_durations: list[float] = []
        self.sent_bytes: dict[str, int] = {}
        self._pages: dict[str, bytes] = {}
        self._bomb: bytes | None = None
        self._built: dict[str, Article] | None = None

    # ---- the good articles and their truth
    @property
    def base(self) -> str:
        return self.replica.base_url

    # the hostile listing pages (they follow the archives' sizes, which publish() changes)
    def retry_page(self) -> tuple[str, int]:
        """Esteri page 2 (page 1 on a one-page archive): 503, then 500, then 200."""
        return "esteri", min(2, self.replica.site.pages("esteri", render.PER_PAGE))

    def past_end(self) -> tuple[str, int]:
        """The page after Esteri's last, linked as its next: 200 with no posts."""
        return "esteri", self.replica.site.pages("esteri", render.PER_PAGE) + 1

    def loop_page(self) -> tuple[str, int]:
        """Cronaca's last page: its "next" points back to page 1."""
        return "cronaca", self.replica.site.pages("cronaca", render.PER_PAGE)

    def bad_next_page(self) -> tuple[str, int]:
        """Economia's last page: its "next" is a link no URL parser accepts."""
        return "economia", self.replica.site.pages("economia", render.PER_PAGE)

    def articles(self) -> dict[str, Article]:
        """Case name -> Article of every good case (and of the robots-disallowed one)."""
        with self.lock:
            if self._built is None:
                self._built = self._make_articles()
            return self._built

    def _make_articles(self) -> dict[str, Article]:
        site = self.replica.site
        out = {}
        names = [c.name for c in GOOD] + ["robots_disallowed"]
        for n, name in enumerate(names):
            path = CASES[name].path
            year, month, day, *cat, slug = path.strip("/").split("/")
            category = "/".join(cat)
            title, subtitle, author, tags = _TEXTS.get(name, (
                "Area riservata: questo articolo non va mai scaricato", None, "Marco Santoro", []))
            published = datetime(int(year), int(month), int(day), 9 + n, 5 * n % 60, tzinfo=ROME)
            related = [a.post_id for a in site.archive(category)[:6]]
            related += [a.post_id for a in site.articles if a.post_id not in related][: 6 - len(related)]
            a = Article(
                post_id=POST_ID_BASE + n, slug=slug, title=title, subtitle=subtitle, author=author,
                author_slug=slugify(author), published=published,
                modified=published + timedelta(minutes=7), category_path=category,
                listed_in=["esteri"] if name == "cross_listed" else [], tags=tags, blocks=list(_BODY),
                image=(f"/wp-content/uploads/2026/11/{slug[:40]}.jpg", f"{title.split(',')[0]} | LaPresse - alanews"),
                video_url=None, related=related,
            )
            if name == "impossible_date":  # only the byline gives a date: the impossible one
                a.no_yoast = a.no_meta = a.no_jnews_ld = True
                a.modified = a.published
            a.related_paths = [site.by_id[p].path for p in related]
            assert a.path == path, (a.path, path)
            out[name] = a
        return out

    def truth(self) -> list[dict]:
        """Expected items of the good cases."""
        items = []
        for case in GOOD:
            a = self.articles()[case.name]
            item = expected_item(a, self.base)
            if case.name in ("impossible_date", "future_date"):
                # no date on the page can be believed: the permalink's day, no modified date
                item["published"], item["modified"] = a.published.date().isoformat(), None
            items.append(item)
        return items

    def listed(self, category: str) -> list[str]:
        """URLs of the good cases injected into ``category``'s archive."""
        if category == "esteri":
            return [self.base + c.path for c in GOOD if c.name not in _POLITICA_ONLY]
        if category == "politica":
            return [self.base + CASES[name].path for name in POLITICA]
        return []

    # ---- pages
    def article_page(self, name: str) -> bytes:
        with self.lock:
            if name in self._pages:
                return self._pages[name]
        a = self.articles()[name]
        page = render.render_article(_SiteView(self.replica.site, a), a, self.base)
        page = getattr(self, f"_page_{name}", lambda p, a: p.encode("utf-8"))(page, a)
        with self.lock:
            self._pages[name] = page
        return page

    def _page_charset_latin1_declared(self, page: str, a: Article) -> bytes:
        return page.replace("charset=UTF-8", "charset=ISO-8859-1").encode("utf-8")

    def _page_charset_utf8_declared(self, page: str, a: Article) -> bytes:
        # the page chrome may hold characters Latin-1 lacks (sidebar titles): as references
        return page.encode("latin-1", errors="xmlcharrefreplace")

    def _page_broken_jsonld(self, page: str, a: Article) -> bytes:
        start = page.index('<script type="application/ld+json" class="yoast-schema-graph">')
        end = page.index("</script>", start)
        cut = start + (end - start) // 2
        garbage = '<script type="application/ld+json">{"@type": "NewsArticle", "headline": </script>\n'
        return (page[:cut] + "</script>\n" + garbage + page[end + len("</script>"):]).encode("utf-8")

    def _page_malformed_html(self, page: str, a: Article) -> bytes:
        head, body = page.split("<body", 1)
        body = body.replace("</p>", "").replace("<h2>", "<H2>").replace("</h2>", "</H2>")
        body = body.replace('<div class="entry-header">', '</span></div></article><div class="entry-header">', 1)
        cut = body.index('<div class="jnews_popup_post_container">')
        return (head + "<body" + body[:cut] + '<div class="jnews_popup_post_con').encode("utf-8")

    def _page_accented_slug(self, page: str, a: Article) -> bytes:
        # WordPress writes the slug as it stores it: escapes in lower case
        lower = a.path.replace("%C3%A8", "%c3%a8")
        return page.replace(a.path, lower).replace(a.path.replace("/", "\\/"), lower.replace("/", "\\/")).encode()

    def _page_impossible_date(self, page: str, a: Article) -> bytes:
        shown = f">{render.t(fmt_visible(a.published, a.date_style))}</a>"
        assert page.count(shown) == 1, shown
        return page.replace(shown, ">31 Febbraio 2026</a>").encode("utf-8")

    def _page_future_date(self, page: str, a: Article) -> bytes:
        # the same post rendered as if published in 2031, then given back its real permalink
        shown = dataclasses.replace(a, published=a.published.replace(year=2031),
                                    modified=a.modified.replace(year=2031))
        page = render.render_article(_SiteView(self.replica.site, shown), shown, self.base)
        real, fake = a.url(self.base), shown.url(self.base)
        for old, new in ((fake, real), (quote(fake, safe=""), quote(real, safe="")),
                         (fake.replace("/", "\\/"), real.replace("/", "\\/"))):
            page = page.replace(old, new)
        assert shown.path not in page
        return page.encode("utf-8")

    def listing(self, category: str, page: int) -> bytes | None:
        """A listing page of the hostile site, or None where the normal one is served as is."""
        r, base = self.replica, self.base
        if (category, page) == self.past_end():
            first = r.listing_page(category, 1).decode("utf-8")
            empty = _PAGINATION.sub("", _MAIN_ITEM.sub("", _HEAD_LINKS.sub("", first)))
            return empty.replace(_LIST_OPEN, _LIST_OPEN + '<p class="jeg_empty_module">Nessun articolo</p>', 1).encode()
        body = r.listing_page(category, page)
        if body is None:
            return None
        html = body.decode("utf-8")
        if category == "esteri" and page == 1:
            html = self._inject(html, self._esteri_links())
        if category == "politica" and page == 1:
            html = self._inject(html, self._politica_links())
        if (category, page + 1) == self.past_end():
            html = self._add_next(html, render.listing_url(base, category, page + 1), page)
        if (category, page) == self.loop_page():
            html = self._add_next(html, render.listing_url(base, category, 1), page)
        if (category, page) == self.bad_next_page():
            html = self._add_next(html, "http://[::1/category/economia/page/99/", page)
        return html.encode("utf-8")

    def _esteri_links(self) -> list[tuple[str, str]]:
        base, arts = self.base, self.articles()
        host = base.split("//", 1)[1]
        port = host.rsplit(":", 1)[1]
        links = []
        for case in CASES.values():
            if case.name in _POLITICA_ONLY:
                continue
            title = _TEXTS[case.name][0] if case.name in _TEXTS else case.name.replace("_", " ")
            if case.name == "link_variants":
                path = arts[case.name].path
                for form in LINK_VARIANTS:
                    links.append((form.format(base=base, host=host, path=path, path_noslash=path.rstrip("/")), title))
            elif case.path:
                links.append((base + case.path, title))
            for href in case.links:
                links.append((href.format(base=base, other=self.other.url, port=port), title))
        return links

    def _politica_links(self) -> list[tuple[str, str]]:
        links = [(self.base + CASES["cross_listed"].path, _TEXTS["cross_listed"][0])]
        for name in _POLITICA_ONLY:
            links += [(href.format(base=self.base), _TEXTS[name][0]) for href in CASES[name].links]
        return links

    @staticmethod
    def _inject(html: str, links: list[tuple[str, str]]) -> str:
        items = "".join(
            f'\n<article class="jeg_post jeg_pl_lg_2 format-standard"><div class="jeg_postblock_content">'
            f'<h3 class="jeg_post_title"><a href="{render.a_(href)}">{render.t(title)}</a></h3></div></article>'
            for href, title in links)
        wrapper = html.index('<div class="jnews_category_content_wrapper">')
        at = html.index(_LIST_OPEN, wrapper) + len(_LIST_OPEN)
        return html[:at] + items + html[at:]

    @staticmethod
    def _add_next(html: str, url: str, page: int) -> str:
        active = f"<span class='page_number active'>{page}</span>"
        link = f'<a href="{url}" class="page_nav next" data-id="{page + 1}"><span class="navtext">Next</span></a>'
        if active not in html:  # a one-page archive has no pagination: give it one
            nav = f'<div class="jeg_navigation jeg_pagination">{active}</div>'
            html = html.replace('<div class="jnews_category_content_wrapper">',
                                nav + '<div class="jnews_category_content_wrapper">', 1)
        assert html.count(active) == 1
        return html.replace(active, active + "\n" + link)

    def robots(self) -> str:
        normal = render.render_robots(self.base)
        return normal.replace("Disallow: /wp-admin/\n",
                              f"Disallow: /wp-admin/\nDisallow: {CASES['robots_disallowed'].path}\n", 1)

    def bomb(self) -> bytes:
        with self.lock:
            if self._bomb is None:
                c = zlib.compressobj(9, zlib.DEFLATED, 31)
                parts = [c.compress(b"<!doctype html><html><head><meta charset='utf-8'></head><body>")]
                chunk = b" " * MIB
                parts += [c.compress(chunk) for _ in range(BOMB_SIZE // MIB)]
                parts += [c.compress(b"</body></html>"), c.flush()]
                self._bomb = b"".join(parts)
            return self._bomb

    # ---- stats
    def count(self, path: str) -> int:
        with self.lock:
            self.hits[path] = self.hits.get(path, 0) + 1
            return self.hits[path]

    def stats(self) -> dict:
        with self.lock, self.other.lock:
            return {
                "cases": {c.name: {"kind": c.kind, "url": self.base + c.path if c.path else None,
                                   "what": c.what} for c in CASES.values()},
                "hits": dict(self.hits),
                "other_host": {"url": self.other.url, "hits": sum(self.other.hits.values()),
                               "by_path": dict(self.other.hits)},
                "slow_durations": list(self.slow_durations),
                "sent_bytes": dict(self.sent_bytes),
                "retry_page": render.listing_url(self.base, *self.retry_page()),
                "loop_page": render.listing_url(self.base, *self.loop_page()),
                "bad_next_page": render.listing_url(self.base, *self.bad_next_page()),
                "past_end_page": render.listing_url(self.base, *self.past_end()),
            }

    # ---- HTTP
    def serve(self, h, u, head_only: bool) -> bool:
        """Serve ``u`` on handler ``h`` if it is hostile; False lets the normal site answer."""
        path, r = u.path, self.replica
        if path.startswith("/__replica__/"):
            return self._control(h, u, head_only)
        if path == "/robots.txt":
            h.robots(self.robots(), head_only)
            return True
        m = re.match(r"^/category/(?P<cat>[a-z0-9\-/]+?)/(?:page/(?P<page>\d+)/)?$", path)
        if m:
            return self._listing(h, path, m["cat"], int(m["page"] or 1), head_only)
        if any(c.path and unquote(path) == unquote(c.path.rstrip("/")) for c in CASES.values()):
            r.count("article", path, 301)
            h._redirect(self.base + path + "/", head_only)
            return True
        # any spelling of a case's path (escapes in either case, needless ones) is that case,
        # counted under the case's own path
        name = next((c.name for c in CASES.values() if c.path and unquote(path) == unquote(c.path)), None)
        if name is not None:
            path = CASES[name].path
            u = u._replace(path=path)
        if name is None and path == _p(15, "giro-b"):
            name = "redirect_loop_b"
        if name is None:
            return False
        self.count(path)
        getattr(self, f"_serve_{name}", self._serve_article)(h, name, u, head_only)
        return True

    def _control(self, h, u, head_only: bool) -> bool:
        r, q = self.replica, parse_qs(u.query)
        if u.path == "/__replica__/hostile.json":
            h._send(200, json.dumps(self.stats()).encode(), "application/json", head_only=head_only)
        elif u.path == "/__replica__/truth.jsonl":
            extra = "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in self.truth()).encode("utf-8")
            h._send(200, r.truth_jsonl() + extra, "application/x-ndjson; charset=UTF-8", head_only=head_only)
        elif u.path == "/__replica__/archive.json":
            path = (q.get("path") or [""])[0].strip("/")
            if path not in render.CATEGORIES:
                return False
            urls = [a.url(r.base_url) for a in r.site.archive(path)] + self.listed(path)
            h._send(200, json.dumps(urls).encode(), "application/json", head_only=head_only)
        else:
            return False
        return True

    def _listing(self, h, path: str, category: str, page: int, head_only: bool) -> bool:
        r = self.replica
        if category not in render.CATEGORIES:
            return False
        if (category, page) == self.retry_page():
            n = self.count(path)
            if n <= 2:
                r.count("listing", path, 503 if n == 1 else 500)
                status = 503 if n == 1 else 500
                h._send(status, b"<html><body><h1>Service Unavailable</h1></body></html>",
                        headers={"Retry-After": "1"}, head_only=head_only)
                return True
        if (category, page) == self.past_end():
            self.count(path)
        body = self.listing(category, page)
        if body is None:
            return False
        r.count("listing", path, 200)
        h._send(200, body, head_only=head_only)
        return True

    # one method per bad case (good cases and robots_disallowed: _serve_article)
    def _serve_article(self, h, name, u, head_only):
        self.replica.count("article", u.path, 200)
        ctype = "text/html; charset=" + {"charset_latin1_declared": "ISO-8859-1"}.get(name, "UTF-8")
        h._send(200, self.article_page(name), ctype, head_only=head_only)

    def _serve_not_found(self, h, name, u, head_only):
        self.replica.count("article", u.path, 404)
        h._not_found(head_only)

    def _serve_gone(self, h, name, u, head_only):
        self.replica.count("article", u.path, 410)
        h._send(410, render.render_404(self.base).encode(), head_only=head_only)

    def _redirect(self, h, u, location: str, status: int = 302):
        self.replica.count("article", u.path, status)
        h.send_response(status)
        h.send_header("Location", location)
        h.send_header("Content-Length", "0")
        h.end_headers()

    def _serve_redirect_loop(self, h, name, u, head_only):
        self._redirect(h, u, self.base + _p(15, "giro-b"))

    def _serve_redirect_loop_b(self, h, name, u, head_only):
        self._redirect(h, u, self.base + CASES["redirect_loop"].path)

    def _serve_redirect_chain(self, h, name, u, head_only):
        hop = int((parse_qs(u.query).get("hop") or ["0"])[0]) + 1
        self._redirect(h, u, f"{self.base}{CASES[name].path}?hop={hop}")

    def _serve_redirect_other_host(self, h, name, u, head_only):
        self._redirect(h, u, self.other.url + CASES[name].path, 301)

    def _serve_redirect_https(self, h, name, u, head_only):
        self._redirect(h, u, "https://" + self.base.split("//", 1)[1] + CASES[name].path, 301)

    def _serve_pdf(self, h, name, u, head_only):
        self.replica.count("article", u.path, 200)
        h._send(200, PDF, "application/pdf", head_only=head_only)

    def _serve_image(self, h, name, u, head_only):
        self.replica.count("article", u.path, 200)
        h._send(200, JPEG, "image/jpeg", head_only=head_only)

    def _serve_empty(self, h, name, u, head_only):
        self.replica.count("article", u.path, 200)
        h._send(200, b"", head_only=head_only)

    def _serve_gzip_bomb(self, h, name, u, head_only):
        self.replica.count("article", u.path, 200)
        h._send(200, self.bomb(), headers={"Content-Encoding": "gzip"}, head_only=head_only)

    def _stream(self, h, name, u, head_only, length: int | None, chunk: bytes, pause: float, limit: float):
        """Headers at once, then ``chunk`` every ``pause`` s until the client hangs up."""
        self.replica.count("article", u.path, 200)
        start, sent = time.monotonic(), 0
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=UTF-8")
        if length is None:
            h.send_header("Connection", "close")
            h.close_connection = True
        else:
            h.send_header("Content-Length", str(length))
        h.end_headers()
        try:
            if not head_only:
                h.wfile.write(b"<!doctype html><html><head><title>x</title></head><body>")
                while time.monotonic() - start < limit and (length is None or sent + len(chunk) <= length):
                    if pause:
                        time.sleep(pause)
                    h.wfile.write(chunk)
                    sent += len(chunk)
                    if length is None and sent >= HUGE_SIZE:
                        break
        except OSError:
            pass  # the client gave up: what this case is for
        finally:
            h.close_connection = True
            with self.lock:
                self.sent_bytes[name] = self.sent_bytes.get(name, 0) + sent
                if name == "slow":
                    self.slow_durations.append(round(time.monotonic() - start, 2))

    def _serve_slow(self, h, name, u, head_only):
        self._stream(h, name, u, head_only, SLOW_BYTES, b" " * 64, 0.2, SLOW_LIMIT)

    def _serve_huge(self, h, name, u, head_only):
        self._stream(h, name, u, head_only, HUGE_SIZE, b" " * 65536, 0, SLOW_LIMIT)

    def _serve_endless(self, h, name, u, head_only):
        self._stream(h, name, u, head_only, None, b" " * 65536, 0, SLOW_LIMIT)


def endless_listing(replica, category: str, page: int) -> str:
    """A category archive whose pagination never ends (``POST /__replica__/endless``).

    Its last page links a next one, and every page past it answers 200 with a "Next":
    shape "repeat" lists the last page's posts again; shape "fresh" lists ten posts never
    listed before (dated before the site began; their links answer 404).
    """
    site, base = replica.site, replica.base_url
    total = site.pages(category, render.PER_PAGE)
    next_url = render.listing_url(base, category, page + 1)
    if page <= total or replica.endless[category] == "repeat":
        html = render.render_listing(site, category, min(page, total), base)
        return Hostile._add_next(html, next_url, min(page, total))
    first = render.render_listing(site, category, 1, base)
    empty = _PAGINATION.sub("", _MAIN_ITEM.sub("", _HEAD_LINKS.sub("", first)))
    day = (datetime(2026, 3, 19, tzinfo=ROME) - timedelta(days=page)).strftime("%Y/%m/%d")
    links = [(f"{base}/{day}/{category}/archivio-senza-fine-{page}-{k}/", f"Archivio senza fine, pagina {page}, {k}")
             for k in range(render.PER_PAGE)]
    return Hostile._add_next(Hostile._inject(empty, links), next_url, page)
