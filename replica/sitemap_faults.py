"""The replica's sitemaps over HTTP, and the shapes real Yoast SEO and WordPress core sitemaps take
when they go wrong, switched on and off on a running replica.

Switches (:data:`FAULTS`): ``python -m replica --sitemap-fault NAME[,KEY=VALUE...]`` (repeatable), or
on a running replica ``POST /__replica__/sitemap?fault=NAME[&KEY=VALUE...]``; ``fault=none`` switches
every fault off, ``off=NAME`` one. Several may be on at once (one answer shows at most one of the
faults that damage a file's body: the first switched on). Keys:

- ``file``: which sitemap file a fault hits: ``N`` (post sitemap N, 1-based), ``index``, ``all``
  (every sitemap file); default: every post sitemap file;
- ``times``: the fault answers K times, then switches itself off (a transient failure);
- ``status`` (``error``; default 500), ``post_id`` and ``lastmod`` (``future-lastmod``), ``post_id``
  and ``days`` (``scheduled``), ``post_id`` (``noindex``).

``GET /__replica__/sitemap.json`` is the truth: the complete inventory (every published post, its
file, its lastmod), the files as a correct site lists them, moved and removed posts, the faults on.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from xml.sax.saxutils import escape

from .model import ROME
from .sitemaps import _sitemap_row, w3c

FAULTS: dict[str, str] = {
    # a file's answer
    "fatal": "200, the file stops inside a <url> with PHP's fatal error text (memory exhausted) appended",
    "cut": "200, the file cut inside a <url>, its Content-Length that of the cut copy (a cache stored "
           "a truncated copy)",
    "dataloss": "the whole file's Content-Length, the connection closed half way through the body",
    "error": "STATUS (default 500), WordPress's 'critical error' page; 503 with Retry-After",
    "empty": "200, an empty body",
    "declaration": "200, the XML declaration and Yoast's stylesheet line, no element (PHP stopped before the "
                   "<urlset>)",
    "short": "200, well-formed, the file's first half of entries only (a query cut short by a timeout)",
    "html": "200, the home page's HTML instead of the XML (a page cache gone wrong)",
    "bom": "a UTF-8 byte order mark before the XML declaration",
    "whitespace": "a blank line before the XML declaration: 'XML declaration allowed only at the "
                  "start of the document'",
    "php-warning": "two PHP warnings before the XML declaration, Content-Type text/html (headers "
                   "already sent)",
    "gzip": "compressed twice (a cache plugin and the server): Content-Encoding gzip over a gzip file",
    "trailing-slash": "the file's URL 301s to the same URL with a trailing slash, which serves it",
    "stale": "the file as it was when the fault was switched on (a page cache missing later "
             "changes): a post file older than its index, or (file=index) an index older than its files",
    # the index
    "index-no-lastmod": "the index has no <lastmod>",
    "index-offset": "the index's lastmods are the GMT time labelled with Rome's offset: one or two "
                    "hours early",
    "extra-file": "the index names one post sitemap more than there are; that file answers 404",
    "missing-file": "the index leaves out the last post sitemap file (which is still served)",
    "nested": "the index also names nested-sitemap1.xml, an index naming nested-sitemap2.xml, and so "
              "on without end",
    "overlap": "every post sitemap after the first starts with the last entry of the one before again "
               "(one entry more than a file holds: Yoast's off-by-one)",
    # entries (Yoast: core has no lastmod)
    "date-only": "every <url>'s lastmod is the post's modification day in Rome, no time (2026-11-20)",
    "url-offset": "every <url>'s lastmod is the GMT time labelled with Rome's offset: one or two hours early",
    "future-lastmod": "post POST_ID (default: the first listed) has lastmod LASTMOD (default "
                      "2031-01-01T00:00:00+00:00) in its entry, and sorts by it; its page is unchanged",
    "noindex": "post POST_ID (default: the first listed) is left out of the post sitemaps (a noindex "
               "post); its page answers",
    "scheduled": "post POST_ID (default: the newest) was scheduled: its entry's lastmod is DAYS "
                 "(default 2) days before its publication, when it was saved",
}
_BODY = ("fatal", "cut", "dataloss", "error", "empty", "declaration", "short", "html", "bom", "whitespace",
         "php-warning", "gzip")
_INDEX = ("index-no-lastmod", "index-offset", "extra-file", "missing-file", "nested")
_ENTRIES = ("overlap", "date-only", "url-offset", "noindex")  # rewrite every post sitemap file
_LASTMOD = ("future-lastmod", "scheduled")
_KEYS = {"file", "times", "status", "post_id", "lastmod", "days"}
FUTURE = datetime(2031, 1, 1, tzinfo=timezone.utc)
_NESTED_RE = re.compile(r"^/nested-sitemap(\d+)\.xml$")
_LASTMOD_RE = re.compile(r"<lastmod>([^<]+)</lastmod>")

_PHP_WARNINGS = (
    '<br />\n<b>Warning</b>:  Undefined array key "HTTP_ACCEPT_LANGUAGE" in '
    "<b>/var/www/html/wp-content/plugins/lingua-auto/lingua-auto.php</b> on line <b>42</b><br />\n"
    "<br />\n<b>Warning</b>:  Cannot modify header information - headers already sent by (output started at "
    "/var/www/html/wp-content/plugins/lingua-auto/lingua-auto.php:42) in "
    "<b>/var/www/html/wp-content/plugins/wordpress-seo/src/sitemaps/class-sitemaps-renderer.php</b> on line "
    "<b>143</b><br />\n").encode()
_PHP_FATAL = ("<br />\n<b>Fatal error</b>:  Allowed memory size of 134217728 bytes exhausted (tried to allocate "
              "20480 bytes) in <b>/var/www/html/wp-includes/class-wpdb.php</b> on line <b>2316</b><br />\n"
              "<p>There has been a critical error on this website.</p>").encode()
_CRITICAL = ('<!DOCTYPE html>\n<html lang="it-IT">\n<head>\n\t<meta http-equiv="Content-Type" content="text/html; '
             'charset=utf-8" />\n\t<meta name=\'robots\' content=\'max-image-preview:large, noindex, follow\' />\n'
             '\t<title>Errore di WordPress</title>\n</head>\n<body id="error-page">\n\t<div class="wp-die-message">'
             "<p>Si &egrave; verificato un errore critico sul tuo sito web.</p></div></body>\n</html>\n").encode()


@dataclass
class Fault:
    name: str
    file: int | str | None = None  # post sitemap N, "index", "all"; None: every post sitemap file
    times: int | None = None       # answers left before it switches itself off; None: until switched off
    status: int = 500
    post_id: int | None = None
    lastmod: datetime | None = None
    days: float = 2.0
    snapshot: dict[str, bytes | None] = field(default_factory=dict, repr=False)  # stale: path -> file

    def state(self, files: list[str]) -> dict:
        out = {"fault": self.name, "file": self.file, "times": self.times, "files": files}
        if self.name == "error":
            out["status"] = self.status
        if self.name in _LASTMOD:
            out["post_id"] = self.post_id
            out["lastmod"] = w3c(self.lastmod)
        return out


def parse_switch(text: str) -> tuple[str, dict[str, str]]:
    """``NAME[,KEY=VALUE...]`` (the command line's form) as (name, params)."""
    name, *pairs = text.split(",")
    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"{pair!r} is no KEY=VALUE")
        params[key.strip()] = value.strip()
    return name.strip(), params


class SitemapFaults:
    """The sitemap files of a :class:`replica.server.Replica` over HTTP, and their fault switches."""

    def __init__(self, replica):
        self.replica = replica
        self.faults: dict[str, Fault] = {}

    @property
    def sitemaps(self):
        return self.replica.sitemaps

    # ---- switches
    def switch(self, name: str, params: dict[str, str] | None = None) -> list[dict]:
        """Switch ``name`` on with ``params`` (replacing its earlier switch), or every fault off
        (``none``). ValueError: an unknown name or key, a bad value."""
        params = params or {}
        if name == "none":
            self._set({})
            return self.state()
        if name not in FAULTS:
            raise ValueError(f"unknown sitemap fault {name!r}; known: {', '.join(FAULTS)}")
        unknown = set(params) - _KEYS
        if unknown:
            raise ValueError(f"unknown key {', '.join(sorted(unknown))}; known: {', '.join(sorted(_KEYS))}")
        fault = Fault(name)
        file = params.get("file")
        if file in ("index", "all"):
            fault.file = file
        elif file:
            fault.file = _positive(file, "file")
        if params.get("times"):
            fault.times = _positive(params["times"], "times")
        if params.get("status"):
            fault.status = int(params["status"])
            if not 400 <= fault.status <= 599:
                raise ValueError(f"status must be an HTTP error status, got {fault.status}")
        if params.get("days"):
            fault.days = float(params["days"])
        r = self.replica
        with r.lock:
            if name in (*_LASTMOD, "noindex"):
                self._pick_post(fault, params)
            if name == "stale":
                fault.snapshot = {path: r.sitemap(path) for path in self.sitemaps.paths() if self._hits(fault, path)}
            faults = dict(self.faults)
            faults.pop(name, None)
            faults[name] = fault
            self._set(faults)
        return self.state()

    def off(self, name: str) -> list[dict]:
        with self.replica.lock:
            self._set({k: f for k, f in self.faults.items() if k != name})
        return self.state()

    def _pick_post(self, fault: Fault, params: dict[str, str]) -> None:
        site = self.replica.site
        if params.get("post_id"):
            fault.post_id = int(params["post_id"])
            if fault.post_id not in site.by_id:
                raise ValueError(f"no post {fault.post_id}")
        elif fault.name == "scheduled":
            fault.post_id = site.articles[0].post_id
        else:
            fault.post_id = self.sitemaps.posts()[0].post_id
        post = site.by_id[fault.post_id]
        if fault.name == "scheduled":
            fault.lastmod = post.published - timedelta(days=fault.days)
        else:
            fault.lastmod = datetime.fromisoformat(params["lastmod"]) if params.get("lastmod") else FUTURE
            if fault.lastmod.utcoffset() is None:
                raise ValueError("lastmod needs an offset, e.g. 2031-01-01T00:00:00+00:00")

    def _set(self, faults: dict[str, Fault]) -> None:
        """The faults on now; the per-post lastmods follow them (a change of the site's sitemaps)."""
        r = self.replica
        with r.lock:
            self.faults = faults
            self.sitemaps.lastmods = {f.post_id: f.lastmod for f in faults.values() if f.name in _LASTMOD}
            r.site.version += 1
            r.cache.clear()

    def state(self) -> list[dict]:
        paths = self.sitemaps.paths()
        base = self.replica.base_url
        return [f.state([base + p for p in paths if self._hits(f, p)]) for f in self.faults.values()]

    # ---- which file a fault hits
    def _hits(self, fault: Fault, path: str) -> bool:
        if fault.name in _INDEX:
            return path == self.sitemaps.index_path()
        if fault.name in _ENTRIES:
            return self.sitemaps.page_of(path) is not None
        if fault.name in _LASTMOD:
            return False
        if fault.file == "all":
            return True
        if fault.file == "index":
            return path == self.sitemaps.index_path()
        page = self.sitemaps.page_of(path)
        return page is not None and (fault.file is None or fault.file == page)

    def _used(self, fault: Fault) -> None:
        """One more answer of ``fault``: it goes off after its last."""
        if fault.times is None:
            return
        with self.replica.lock:
            fault.times -= 1
            if fault.times <= 0 and self.faults.get(fault.name) is fault:
                self._set({k: f for k, f in self.faults.items() if k != fault.name})

    # ---- HTTP
    def serve(self, h, path: str, head_only: bool) -> None:
        """Answer ``path`` (a sitemap-looking path: ``/NAME.xml`` or ``/NAME.xml/``) on handler ``h``.
        /sitemap.xml redirects to the index (Yoast and WordPress do), and so does WordPress's
        /wp-sitemap.xml when Yoast is on (Yoast turns core's sitemaps off)."""
        r = self.replica
        index = self.sitemaps.index_path()
        redirected = {"yoast": ("/sitemap.xml", "/wp-sitemap.xml"), "core": ("/sitemap.xml",)}
        if path in redirected.get(self.sitemaps.mode, ()):
            r.count("sitemap", path, 301)
            h._redirect(r.base_url + index, head_only)
            return
        slash = self.faults.get("trailing-slash")
        if path.endswith("/"):  # served only as a trailing-slash fault's target
            if slash is None or not self._hits(slash, path[:-1]):
                r.count("sitemap", path, 404)
                h._not_found(head_only)
                return
            path = path[:-1]
        elif slash is not None and self._hits(slash, path):
            self._used(slash)
            r.count("sitemap", path, 301)
            h._redirect(r.base_url + path + "/", head_only)
            return
        body = self._body(path)
        if body is None:
            r.count("sitemap", path, 404)
            h._not_found(head_only)
            return
        ctype = "text/xml; charset=UTF-8" if self.sitemaps.mode == "yoast" else "application/xml; charset=UTF-8"
        headers = {"X-Robots-Tag": "noindex, follow"}
        damage = next((f for f in self.faults.values() if f.name in _BODY and self._hits(f, path)), None)
        if damage is not None:
            self._used(damage)
            status, body, ctype, headers = self._damaged(damage, body, ctype, headers)
            if damage.name == "dataloss":
                r.count("sitemap", path, 200)
                self._send_short(h, body, ctype, headers, head_only)
                return
        else:
            status = 200
        r.count("sitemap", path, status)
        h._send(status, body, ctype, headers=headers, head_only=head_only)

    def _body(self, path: str) -> bytes | None:
        """The file as the site serves it now: its stale copy, the index's and entries' faults."""
        r = self.replica
        stale = self.faults.get("stale")
        if stale is not None and path in stale.snapshot:
            self._used(stale)
            body = stale.snapshot[path]
        else:
            nested = _NESTED_RE.match(path)
            if nested and "nested" in self.faults:
                return self._nested(int(nested[1])).encode()
            body = r.sitemap(path)
        if body is None:
            return None
        for fault in list(self.faults.values()):
            if fault.name in _INDEX and self._hits(fault, path):
                self._used(fault)
                body = self._index(fault.name, body.decode()).encode()
            elif fault.name in _ENTRIES and self._hits(fault, path):
                self._used(fault)
                body = self._entries(fault.name, path, body.decode()).encode()
        return body

    def _entries(self, name: str, path: str, text: str) -> str:
        if name == "url-offset":
            return _LASTMOD_RE.sub(lambda m: f"<lastmod>{_gmt_as_rome(m[1])}</lastmod>", text)
        if name == "date-only":
            return _LASTMOD_RE.sub(lambda m: f"<lastmod>{_rome_day(m[1])}</lastmod>", text)
        if name == "noindex":
            fault = self.faults["noindex"]
            loc = escape(self.replica.site.by_id[fault.post_id].url(self.replica.base_url))
            return re.sub(rf"[ \t]*<url>\s*<loc>{re.escape(loc)}</loc>.*?</url>\n?", "", text, flags=re.S)
        page = self.sitemaps.page_of(path)
        before = self.replica.sitemap(self.sitemaps.post_file_path(page - 1)) if page > 1 else None
        rows = re.findall(r"[ \t]*<url>.*?</url>\n?", before.decode(), re.S) if before else []
        at = re.search(r"[ \t]*<url>", text)
        return text[:at.start()] + rows[-1] + text[at.start():] if rows and at else text

    def _index(self, name: str, text: str) -> str:
        s, base = self.sitemaps, self.replica.base_url
        if name == "index-no-lastmod":
            return re.sub(r"[ \t]*<lastmod>[^<]*</lastmod>\n?", "", text)
        if name == "index-offset":
            return _LASTMOD_RE.sub(lambda m: f"<lastmod>{_gmt_as_rome(m[1])}</lastmod>", text)
        if name == "missing-file":
            loc = escape(base + s.post_file_path(s.files()))
            entry = rf"[ \t]*<sitemap>\s*<loc>{re.escape(loc)}</loc>.*?</sitemap>\n?"
            return re.sub(entry, "", text, count=1, flags=re.S)
        extra = (s.post_file_path(s.files() + 1) if name == "extra-file" else "/nested-sitemap1.xml")
        newest = max((a.modified for a in self.replica.site.by_id.values()), default=None)
        if s.mode == "yoast":
            row = _sitemap_row(base + extra, newest)
        else:
            row = f"<sitemap><loc>{escape(base + extra)}</loc></sitemap>"
        return text.replace("</sitemapindex>", row + "</sitemapindex>", 1)

    def _nested(self, n: int) -> str:
        base = self.replica.base_url
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                + _sitemap_row(f"{base}/nested-sitemap{n + 1}.xml", None) + "</sitemapindex>\n")

    def _damaged(self, fault: Fault, body: bytes, ctype: str, headers: dict) -> tuple[int, bytes, str, dict]:
        name = fault.name
        if name == "fatal":
            return 200, body[:_cut_point(body)] + _PHP_FATAL, ctype, headers
        if name in ("cut", "dataloss"):
            return 200, body[:_cut_point(body)] if name == "cut" else body, ctype, headers
        if name == "error":
            extra = {"Retry-After": "600"} if fault.status == 503 else {}
            return fault.status, _CRITICAL, "text/html; charset=UTF-8", extra
        if name == "empty":
            return 200, b"", ctype, headers
        if name == "declaration":
            return 200, body[:body.find(b"?>", body.find(b"<?xml-stylesheet")) + 2] + b"\n", ctype, headers
        if name == "short":
            rows = re.findall(rb"[ \t]*<url>.*?</url>\n?", body, re.S)
            kept = rows[:len(rows) // 2]
            at, end = body.find(rows[0]) if rows else 0, body.rfind(rows[-1]) + len(rows[-1]) if rows else 0
            return 200, body[:at] + b"".join(kept) + body[end:], ctype, headers
        if name == "html":
            return 200, self.replica.home(), "text/html; charset=UTF-8", {}
        if name == "bom":
            return 200, b"\xef\xbb\xbf" + body, ctype, headers
        if name == "whitespace":
            return 200, b"\n" + body, ctype, headers
        if name == "php-warning":
            return 200, _PHP_WARNINGS + body, "text/html; charset=UTF-8", {}
        # gzip: compressed by a cache plugin, then again by the server
        return 200, gzip.compress(gzip.compress(body, mtime=0), mtime=0), ctype, {**headers, "Content-Encoding": "gzip"}

    @staticmethod
    def _send_short(h, body: bytes, ctype: str, headers: dict, head_only: bool) -> None:
        """The whole file's length announced, part of it sent, the connection closed."""
        h.replica.fire(h.path.split("?", 1)[0])
        h.send_response(200)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            h.send_header(k, v)
        h.send_header("Connection", "close")
        h.end_headers()
        if not head_only:
            h.wfile.write(body[:_cut_point(body)])
            h.wfile.flush()
        h.close_connection = True

    # ---- truth
    def truth(self) -> dict:
        """The complete inventory as a correct site lists it, whatever fault is on."""
        r, s = self.replica, self.sitemaps
        base = r.base_url
        with r.lock:
            files, posts = [], []
            for page in range(1, s.files() + 1):
                url = base + s.post_file_path(page)
                chunk = s.chunk(page)
                lastmods = [s.lastmod(a) for a in chunk] if s.mode == "yoast" else []
                files.append({"url": url, "count": len(chunk), "lastmod": w3c(max(lastmods)) if lastmods else None})
                posts += [{"post_id": a.post_id, "url": a.url(base), "file": url,
                           "lastmod": w3c(s.lastmod(a)) if s.mode == "yoast" else None,
                           "modified": w3c(a.modified), "published": w3c(a.published)} for a in chunk]
            moved = {base + old: r.site.by_id[pid].url(base) for old, pid in r.site.moved.items()
                     if pid in r.site.by_id and old not in r.site.by_path}
            removed = [{"post_id": a.post_id, "url": a.url(base), "status": r.gone.get(a.path, 404)}
                       for a in r.site.removed.values()]
        index = s.index_path()
        return {"mode": s.mode, "index": base + index if index else None, "files": files, "posts": posts,
                "moved": moved, "removed": removed, "faults": self.state()}

    def control(self, h, q: dict) -> None:
        """``POST /__replica__/sitemap?fault=NAME[&KEY=VALUE...]`` or ``?off=NAME``."""
        try:
            if "off" in q:
                state = self.off(q["off"][0])
            else:
                params = {k: v[0] for k, v in q.items() if k != "fault"}
                state = self.switch((q.get("fault") or [""])[0], params)
        except (ValueError, KeyError) as error:
            h._send(400, f"bad sitemap switch: {error}".encode(), "text/plain; charset=UTF-8")
            return
        h._send(200, json.dumps(state).encode(), "application/json")

    def serve_truth(self, h, head_only: bool) -> None:
        h._send(200, json.dumps(self.truth()).encode(), "application/json", head_only=head_only)


def _positive(value: str, key: str) -> int:
    n = int(value)
    if n < 1:
        raise ValueError(f"{key} must be a positive integer, got {value!r}")
    return n


def _gmt_as_rome(text: str) -> str:
    """Yoast News' index bug: the GMT time, labelled with the site's offset."""
    dt = datetime.fromisoformat(text).astimezone(timezone.utc)
    return dt.replace(tzinfo=timezone(dt.astimezone(ROME).utcoffset())).isoformat(timespec="seconds")


def _rome_day(text: str) -> str:
    return datetime.fromisoformat(text).astimezone(ROME).date().isoformat()


def _cut_point(body: bytes) -> int:
    """Inside an entry's <loc> in the file's second half (else its middle)."""
    at = body.find(b"<loc>", len(body) // 2)
    at = body.find(b"<loc>") if at < 0 else at
    return at + 12 if at >= 0 else len(body) // 2

