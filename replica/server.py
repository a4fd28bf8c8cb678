"""HTTP server for the replica (loopback, stdlib only)."""
from __future__ import annotations

import json
import re
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from . import render
from .feed import Feeds
from .model import CATEGORIES, CATEGORY_NAMES, Site, expected_item
from .sitemap_faults import SitemapFaults, parse_switch
from .sitemaps import Sitemaps

_CAT_RE = re.compile(r"^/category/(?P<path>[a-z0-9\-]+(?:/[a-z0-9\-]+)*?)(?:/page/(?P<page>\d+))?/?$")
_ART_RE = re.compile(r"^/\d{4}/\d{2}/\d{2}/[a-z0-9\-/]+$")
_SITEMAP_RE = re.compile(r"^/[A-Za-z0-9_\-]+\.xml/?$")  # a sitemap file, or its slashed URL
# break statuses that are not an HTTP status (see Replica.change)
_PAGE_BREAKS = ("drifted", "untitled", "cut", "standfirst", "to_category", "to_home")


class Replica:
    """Site + renderer + cache + stats, shared by all handler threads."""

    theme = "jnews"  # "drifted": article pages after a theme update (render.drift_article); "untitled":
    # those pages without any title source (render.untitle_article)
    drifted_every = 1  # with "drifted" or "untitled", only posts whose id is a multiple of it (a partial roll-out)
    hostile = None  # --hostile: a replica.hostile.Hostile, serving bad pages beside the site
    robots_status = 200  # POST /__replica__/robots?status=503: robots.txt answers an error page
    # POST /__replica__/slow?seconds=S&path=P: answers to paths starting with P wait S seconds first
    slow: tuple[str, float] | None = None

    def __init__(self, site: Site, base_url: str = "", sitemaps: str = "yoast", sitemap_entries: int | None = None):
        self.site = site
        self.robots_disallow: list[str] = []
        # post id -> status its page answers, though listed, or one of _PAGE_BREAKS (see change())
        self.broken: dict[int, int | str] = {}
        self.broken_left: dict[int, int] = {}  # post id -> answers left before its break repairs itself
        self.gone: dict[str, int] = {}  # permalink path of a deleted post -> its status when not 404 (410)
        self.endless: dict[str, str] = {}  # category -> "fresh" or "repeat": its pagination never ends
        self.triggers: list[tuple[str, object]] = []  # (path, change): made once that path is answered
        self.base_url = base_url.rstrip("/")
        self.sitemaps = Sitemaps(site, sitemaps, sitemap_entries)
        self.feeds = Feeds(self)  # /feed/, /category/<path>/feed/ and their faults (replica/feed.py)
        self.sitemap_faults = SitemapFaults(self)  # the sitemaps over HTTP and their faults (replica/sitemap_faults.py)
        # path -> file, served instead of the live sitemaps (a cache that missed a deletion)
        self.stale_sitemaps: dict[str, bytes] | None = None
        self.lock = threading.RLock()
        self.cache: dict[tuple, bytes | None] = {}
        self.stats_lock = threading.Lock()
        self.reset_stats()

    # ---- stats
    def reset_stats(self) -> None:
        with getattr(self, "stats_lock", threading.Lock()):
            self.kinds = {"robots": 0, "listing": 0, "article": 0, "other": 0}  # and "sitemap" once served
            self.paths: dict[str, int] = {}
            self.statuses: dict[str, int] = {}
            self.total = 0
            self.slow_waiting = 0  # answers held by the slow switch now

    def count(self, kind: str, path: str, status: int) -> None:
        with self.stats_lock:
            self.total += 1
            self.kinds[kind] = self.kinds.get(kind, 0) + 1
            self.paths[path] = self.paths.get(path, 0) + 1
            self.statuses[str(status)] = self.statuses.get(str(status), 0) + 1

    def stats(self) -> dict:
        with self.stats_lock:
            return {"total": self.total, "by_kind": dict(self.kinds), "by_path": dict(self.paths),
                    "by_status": dict(self.statuses), "slow_waiting": self.slow_waiting}

    def hold(self, path: str) -> None:
        """Wait as the slow switch says before answering ``path`` (control URLs never wait)."""
        slow = self.slow
        if slow is None or path.startswith("/__replica__/") or not path.startswith(slow[0]):
            return
        with self.stats_lock:
            self.slow_waiting += 1
        try:
            time.sleep(slow[1])
        finally:
            with self.stats_lock:
                self.slow_waiting -= 1

    # ---- rendering (cached)
    def _cached(self, key: tuple, fn):
        key = (self.site.version,) + key
        with self.lock:
            if key in self.cache:
                return self.cache[key]
        val = fn()
        data = val.encode("utf-8") if isinstance(val, str) else val  # bytes as they are; None: no page
        with self.lock:
            self.cache[key] = data
        return data

    def article_page(self, path: str) -> bytes | None:
        with self.lock:
            a = self.site.by_path.get(path)
        if a is None:
            return None
        return self._cached(("a", path), lambda: render.article_bytes(
            a, self._themed(a, render.render_article(self.site, a, self.base_url))))

    def _themed(self, a, html: str) -> str:
        if self.theme == "jnews" or a.post_id % self.drifted_every:
            return html
        return render.drift_article(html) if self.theme == "drifted" else render.untitle_article(html)

    def listing_page(self, cat: str, page: int) -> bytes | None:
        if cat in self.endless:
            from .hostile import endless_listing
            return self._cached(("e", cat, page, self.endless[cat]), lambda: endless_listing(self, cat, page))
        return self._cached(("l", cat, page), lambda: render.render_listing(self.site, cat, page, self.base_url))

    def sitemap(self, path: str) -> bytes | None:
        if self.stale_sitemaps is not None:
            return self.stale_sitemaps.get(path)
        return self._cached(("s", path), lambda: self.sitemaps.render(path, self.base_url))

    def home(self) -> bytes:
        return self._cached(("h",), lambda: render.render_home(self.site, self.base_url))

    def prerender(self) -> int:
        n = 0
        for a in list(self.site.articles):
            self.article_page(a.path)
            n += 1
        for p in CATEGORIES:
            for k in range(1, self.site.pages(p, render.PER_PAGE) + 1):
                self.listing_page(p, k)
                n += 1
        self.home()
        return n

    def publish(self, k: int, category: str | None = None):
        with self.lock:
            new = self.site.publish(k, category)
            self.cache.clear()
            self.stale_sitemaps = None
        return new

    def change(self, action: str, q: dict) -> dict:
        """A change of the site (control endpoints ``unpublish``, ``move``, ``break``), made now,
        or with ``after=PATH`` the next time PATH is answered (its body already made): the
        change then lands between two requests of a crawl, e.g. two pages of a walk."""
        post_id = int(q["post_id"][0])
        with self.lock:
            if post_id not in self.site.by_id:
                raise KeyError(post_id)
            url = self.site.by_id[post_id].url(self.base_url)
        if action == "unpublish":
            def do():
                self.site.unpublish(post_id)
        elif action == "move":
            category = q["category"][0]
            if category not in CATEGORIES:
                raise KeyError(category)

            def do():
                self.site.rename(post_id, category_path=category)
        else:  # break: listed, but its page answers this status (200 repairs it), "drifted", "untitled"
            # (the drifted page without <title> or h1), "cut" (cut inside its content, Content-Length
            # that of the cut copy), "standfirst" (only the subtitle's class renamed, as a theme update may), or 301s
            # to its category's archive ("to_category") or the home page ("to_home"), as redirect plugins
            # do, or to another post ("to_post" and to=M: WordPress's redirect_guess_404_permalink, for a
            # post listed before its page is live); with times=K only its next K answers (a transient failure)
            status = (q.get("status") or ["404"])[0]
            if status == "to_post":
                target = int(q["to"][0])
                if target not in self.site.by_id:
                    raise KeyError(target)
                status = f"to_post:{target}"
            status = status if status in _PAGE_BREAKS or status.startswith("to_post:") else int(status)
            times = int((q.get("times") or ["0"])[0])
            if times < 0:
                raise ValueError(f"times must be a positive integer, got {times}")

            def do():
                self.broken_left.pop(post_id, None)
                if status == 200:
                    self.broken.pop(post_id, None)
                else:
                    self.broken[post_id] = status
                    if times:
                        self.broken_left[post_id] = times
        after = (q.get("after") or [None])[0]
        if after:
            with self.lock:
                self.triggers.append((after, do))
        else:
            self.apply(do)
        return {"post_id": post_id, "url": url, "after": after}

    def apply(self, do) -> None:
        with self.lock:
            do()
            self.site.version += 1
            self.cache.clear()

    def fire(self, path: str) -> None:
        """Make the changes waiting for ``path``."""
        with self.lock:
            due = [do for at, do in self.triggers if at == path]
            self.triggers = [(at, do) for at, do in self.triggers if at != path]
        for do in due:
            self.apply(do)

    def broken_status(self, post_id: int) -> int | str | None:
        """What the post's page answers instead of itself, if anything (one answer of a transient break)."""
        with self.lock:
            status = self.broken.get(post_id)
            left = self.broken_left.get(post_id)
            if left is not None:
                if left <= 1:
                    self.broken.pop(post_id, None)
                    self.broken_left.pop(post_id, None)
                else:
                    self.broken_left[post_id] = left - 1
        return status

    def edit(self, post_id: int, kind: str | None, title: str | None = None, body: str | None = None):
        with self.lock:
            article = self.site.edit(post_id, kind, title, body)
            self.cache.clear()
            self.stale_sitemaps = None
        return article

    def move(self, post_id: int, category: str | None, slug: str | None, title: str | None = None):
        """A post moved by an editor: a new slug and/or category (the old permalink 301s to the new
        one, the post id stays), maybe a new title; saved now, so ``modified`` and its lastmod move."""
        with self.lock:
            old, _ = self.site.rename(post_id, slug, category)
            article = self.site.edit(post_id, "touch" if title is None else None, title=title)
            self.cache.clear()
            self.stale_sitemaps = None
        return article, old

    def delete(self, post_id: int, stale_sitemaps: bool = False, status: int = 404):
        """Take a post down: its URL answers ``status`` (404, or 410 as a plugin sends for a deleted
        post); ``stale_sitemaps``: the sitemaps keep listing it (as a page cache that missed the
        deletion would) until the next change of the site."""
        with self.lock:
            stale = None
            if stale_sitemaps:
                stale = {path: self.sitemap(path) for path in self.sitemaps.paths()}
            article = self.site.unpublish(post_id)
            if status != 404:
                self.gone[article.path] = status
            self.cache.clear()
            self.stale_sitemaps = stale
        return article

    POST_ACTIONS = ("edit", "move", "delete", "publish")

    def posts(self, q: dict) -> dict:
        """An editor's change of the running site (``POST /__replica__/posts?action=...``), made
        now, or with ``after=PATH`` the next time PATH is answered:

        - ``edit&post_id=N[&title=T][&body=B][&kind=retitle|extend|touch]``: the title and/or body
          given (without either: ``kind``, else one more paragraph); ``modified`` moves to now;
        - ``move&post_id=N[&category=PATH][&slug=S][&title=T]``: a new permalink (the old one 301s
          to it), the same post id, maybe a new title; ``modified`` moves to now;
        - ``delete&post_id=N[&status=404|410][&stale_sitemaps=1]``: off the site, its archives and
          sitemaps; its URL answers the status;
        - ``publish[&count=K]``: K new posts, newer than every other.

        Returns what changed: ``items`` (the truth of each post edited, moved or published),
        ``moved`` (old URL -> new), ``removed``. KeyError, ValueError: a bad request.
        """
        def one(key, default=None):
            return (q.get(key) or [default])[0]

        action, base = one("action"), self.base_url
        if action not in self.POST_ACTIONS:
            raise ValueError(f"action must be one of {', '.join(self.POST_ACTIONS)}, got {action!r}")
        if action == "publish":
            count = int(one("count", "1"))
            if count < 1:
                raise ValueError(f"count must be a positive integer, got {count}")

            def do():
                return {"items": self.publish(count)}
        else:
            post_id = int(one("post_id", ""))
            with self.lock:
                if post_id not in self.site.by_id:
                    raise KeyError(f"no post {post_id}")
            title = one("title")
            if action == "edit":
                kind, body = one("kind"), one("body")
                if kind is not None and kind not in Site.EDITS:
                    raise ValueError(f"unknown edit {kind!r}; known: {', '.join(Site.EDITS)}")
                if kind is None and title is None and body is None:
                    kind = "extend"

                def do():
                    return {"items": [self.edit(post_id, kind, title, body)]}
            elif action == "move":
                category, slug = one("category"), one("slug")
                if not category and not slug:
                    raise ValueError("move needs a category or a slug")
                if category and category not in CATEGORIES:
                    raise KeyError(f"no category {category!r}")
                with self.lock:
                    if not slug and self.site.by_id[post_id].category_path == category:
                        raise ValueError(f"post {post_id} is in {category} already")

                def do():
                    article, old = self.move(post_id, category, slug, title)
                    return {"items": [article], "moved": {base + old: article.url(base)}}
            else:
                status = int(one("status", "404"))
                if status not in (404, 410):
                    raise ValueError(f"status must be 404 or 410, got {status}")
                stale = one("stale_sitemaps", "0") == "1"

                def do():
                    article = self.delete(post_id, stale, status)
                    return {"removed": [{"post_id": post_id, "url": article.url(base), "status": status}]}
        answer = {"action": action, "after": one("after"), "items": [], "moved": {}, "removed": []}
        if answer["after"]:
            with self.lock:
                self.triggers.append((answer["after"], do))
            return answer
        done = do()
        answer.update(done, items=[expected_item(a, base) for a in done.get("items", [])])
        return answer

    def truth_jsonl(self, articles=None) -> bytes:
        arts = self.site.articles if articles is None else articles
        arts = [a for a in arts if a.post_id not in self.broken or a.post_id in self.broken_left]
        return "".join(json.dumps(expected_item(a, self.base_url), ensure_ascii=False) + "\n"
                       for a in arts).encode("utf-8")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Apache"

    def version_string(self):
        return "Apache"
    replica: Replica = None  # set on the subclass
    verbose = False

    def log_message(self, format, *args):  # noqa: A002
        if self.verbose:
            sys.stderr.write("%s - %s\n" % (self.address_string(), format % args))

    # ---- helpers
    def _send(self, status: int, body: bytes, ctype: str = "text/html; charset=UTF-8",
              headers: dict | None = None, head_only: bool = False) -> None:
        self.replica.fire(urlsplit(self.path).path)  # the body is made: changes waiting for this path
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if ctype.startswith("text/html"):
            self.send_header("Link", f'<{self.replica.base_url}/wp-json/>; rel="https://api.w.org/"')
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if not head_only:
            self.wfile.write(body)

    def _redirect(self, location: str, head_only: bool) -> None:
        self._send(301, b"", headers={"Location": location, "X-Redirect-By": "WordPress"}, head_only=head_only)

    def robots(self, rules: str, head_only: bool) -> None:
        """robots.txt: ``rules`` plus the paths POST /__replica__/robots?disallow= added, or the
        error page of the status it set (an HTML page, as WordPress or the web server sends)."""
        r = self.replica
        r.count("robots", "/robots.txt", r.robots_status)
        if r.robots_status == 200:
            extra = "".join(f"Disallow: {path}\n" for path in r.robots_disallow)
            body = rules.replace("User-agent: *\n", "User-agent: *\n" + extra, 1).encode()
            self._send(200, body, "text/plain; charset=UTF-8", head_only=head_only)
        elif r.robots_status == 404:
            self._not_found(head_only)
        else:
            body = f"<html><body><h1>{r.robots_status} {HTTPStatus(r.robots_status).phrase}</h1></body></html>".encode()
            self._send(r.robots_status, body, head_only=head_only)

    def _not_found(self, head_only: bool) -> None:
        body = self.replica._cached(("404",), lambda: render.render_404(self.replica.base_url))
        self._send(404, body, head_only=head_only)

    # ---- verbs
    def do_HEAD(self):
        self._serve(head_only=True)

    def do_GET(self):
        self._serve(head_only=False)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        u = urlsplit(self.path)
        q = parse_qs(u.query)
        r = self.replica
        if u.path == "/__replica__/publish":
            k = int((q.get("count") or ["1"])[0])
            category = (q.get("category") or [None])[0]
            if category is not None and category not in CATEGORIES:
                self._send(400, f"bad category: {category}".encode(), "text/plain; charset=UTF-8")
                return
            new = r.publish(k, category)
            self._send(200, r.truth_jsonl(new), "application/x-ndjson; charset=UTF-8")
        elif u.path in ("/__replica__/edit", "/__replica__/delete"):
            try:
                post_id = int((q.get("post_id") or [""])[0])
                if u.path.endswith("/delete"):
                    article = r.delete(post_id, stale_sitemaps=(q.get("stale_sitemaps") or ["0"])[0] == "1")
                else:
                    article = r.edit(post_id, (q.get("kind") or [""])[0])
            except (KeyError, ValueError) as error:
                self._send(400, f"bad edit: {error}".encode(), "text/plain; charset=UTF-8")
                return
            self._send(200, r.truth_jsonl([article]), "application/x-ndjson; charset=UTF-8")
        elif u.path == "/__replica__/posts":
            try:
                done = r.posts(parse_qs(u.query, keep_blank_values=True))  # title= is an empty title
            except (KeyError, ValueError) as error:
                self._send(400, f"bad change: {error}".encode(), "text/plain; charset=UTF-8")
                return
            self._send(200, json.dumps(done, ensure_ascii=False).encode("utf-8"), "application/json")
        elif u.path == "/__replica__/sitemap":
            r.sitemap_faults.control(self, q)
        elif u.path == "/__replica__/rename":
            # ?post_id=N&slug=new-slug and/or &category=path: the old URL 301s to the new one
            with r.lock:
                old, new = r.site.rename(int(q["post_id"][0]), (q.get("slug") or [None])[0],
                                         (q.get("category") or [None])[0])
                r.cache.clear()
            self._send(200, json.dumps({"old": r.base_url + old, "new": r.base_url + new}).encode(), "application/json")
        elif u.path == "/__replica__/canonical":
            # ?post_id=N&url=U: the post's canonical link and og:url name U (a path is made absolute)
            url = q["url"][0]
            with r.lock:
                r.site.set_canonical(int(q["post_id"][0]), r.base_url + url if url.startswith("/") else url)
                r.cache.clear()
            self._send(200, b'{"ok": true}', "application/json")
        elif u.path == "/__replica__/stats/reset":
            r.reset_stats()
            self._send(200, b'{"ok": true}', "application/json")
        elif u.path in ("/__replica__/unpublish", "/__replica__/move", "/__replica__/break"):
            try:
                done = r.change(u.path.rsplit("/", 1)[1], q)
            except (KeyError, ValueError, IndexError) as error:
                self._send(400, f"bad request: {error!r}".encode(), "text/plain; charset=UTF-8")
                return
            self._send(200, json.dumps(done).encode(), "application/json")
        elif u.path == "/__replica__/endless":
            category, shape = (q.get("category") or [""])[0], (q.get("shape") or ["fresh"])[0]
            with r.lock:
                if shape == "off":
                    r.endless.pop(category, None)
                else:
                    r.endless[category] = shape
                r.cache.clear()
            self._send(200, b'{"ok": true}', "application/json")
        elif u.path == "/__replica__/feed":
            r.feeds.control(self, q)
        elif u.path == "/__replica__/slow":
            seconds = float((q.get("seconds") or ["0"])[0])
            r.slow = ((q.get("path") or ["/"])[0], seconds) if seconds > 0 else None
            self._send(200, b'{"ok": true}', "application/json")
        elif u.path == "/__replica__/robots":
            r.robots_status = int((q.get("status") or ["200"])[0])
            r.robots_disallow = q.get("disallow") or []
            self._send(200, b'{"ok": true}', "application/json")
        else:
            self._send(405, b"Method Not Allowed", "text/plain; charset=UTF-8")

    def _control(self, u, head_only: bool) -> None:
        r = self.replica
        q = parse_qs(u.query)
        if u.path == "/__replica__/truth.jsonl":
            self._send(200, r.truth_jsonl(), "application/x-ndjson; charset=UTF-8", head_only=head_only)
        elif u.path == "/__replica__/archive.json":
            path = (q.get("path") or [""])[0].strip("/")
            if path not in CATEGORY_NAMES:
                self._send(404, b"[]", "application/json", head_only=head_only)
                return
            urls = [a.url(r.base_url) for a in r.site.archive(path)]
            self._send(200, json.dumps(urls).encode(), "application/json", head_only=head_only)
        elif u.path == "/__replica__/stats":
            self._send(200, json.dumps(r.stats()).encode(), "application/json", head_only=head_only)
        elif u.path == "/__replica__/sitemap.json":
            r.sitemap_faults.serve_truth(self, head_only)
        else:
            self._send(404, b"unknown control endpoint", "text/plain; charset=UTF-8", head_only=head_only)

    def _serve(self, head_only: bool) -> None:
        u = urlsplit(self.path)
        path = u.path
        r = self.replica
        r.hold(path)
        if r.hostile is not None and r.hostile.serve(self, u, head_only):
            return
        if r.feeds.serve(self, u, head_only):
            return
        if path.startswith("/__replica__/"):
            self._control(u, head_only)
            return
        base = r.base_url
        if path == "/robots.txt":
            self.robots(render.render_robots(base, r.sitemaps.index_path()), head_only)
            return
        if _SITEMAP_RE.match(path):
            r.sitemap_faults.serve(self, path, head_only)
            return
        if path == "/":
            r.count("other", path, 200)
            self._send(200, r.home(), head_only=head_only)
            return
        m = _CAT_RE.match(path)
        if m and m.group("path") in CATEGORY_NAMES:
            cat, page = m.group("path"), int(m.group("page") or 1)
            if m.group("page") is not None and page == 1:
                r.count("listing", path, 301)
                self._redirect(render.listing_url(base, cat, 1), head_only)
                return
            if not path.endswith("/"):
                r.count("listing", path, 301)
                self._redirect(render.listing_url(base, cat, page), head_only)
                return
            body = r.listing_page(cat, page) if page >= 1 else None
            if body is None:
                r.count("listing", path, 404)
                self._not_found(head_only)
                return
            r.count("listing", path, 200)
            self._send(200, body, head_only=head_only)
            return
        if _ART_RE.match(path):
            canon = path if path.endswith("/") else path + "/"
            with r.lock:
                a = r.site.by_path.get(canon)
                status = r.broken_status(a.post_id) if a else None
                gone = r.gone.get(canon) if a is None else None
                moved = r.site.by_id.get(r.site.moved.get(canon))
            if status in ("to_category", "to_home") or str(status).startswith("to_post:"):
                r.count("article", path, 301)
                target = (f"{base}/category/{a.category_path}/" if status == "to_category" else f"{base}/"
                          if status == "to_home" else r.site.by_id[int(status.split(":")[1])].url(base))
                self._redirect(target, head_only)
                return
            if status == "standfirst":
                r.count("article", path, 200)
                self._send(200, r.article_page(canon).replace(b'class="jeg_post_subtitle"',
                                                              b'class="jeg_post_standfirst"'), head_only=head_only)
                return
            if status in ("drifted", "untitled"):
                r.count("article", path, 200)
                themed = render.drift_article if status == "drifted" else render.untitle_article
                self._send(200, themed(r.article_page(canon).decode()).encode(), head_only=head_only)
                return
            if status == "cut":
                r.count("article", path, 200)
                self._send(200, render.cut_article(r.article_page(canon)), head_only=head_only)
                return
            if status:
                r.count("article", path, status)
                if status == 404:
                    self._not_found(head_only)
                else:
                    self._send(status, f"<html><body><h1>{status} {HTTPStatus(status).phrase}</h1></body></html>"
                               .encode(), head_only=head_only)
                return
            if gone:
                r.count("article", path, gone)
                self._send(gone, f"<html><body><h1>{gone} {HTTPStatus(gone).phrase}</h1></body></html>".encode(),
                           head_only=head_only)
                return
            if a is None and moved is not None:
                r.count("article", path, 301)
                self._redirect(moved.url(base), head_only)
                return
            body = r.article_page(canon)
            if body is not None:
                if canon != path:
                    r.count("article", path, 301)
                    self._redirect(base + canon, head_only)
                    return
                r.count("article", path, 200)
                self._send(200, body, head_only=head_only)
                return
        r.count("other", path, 404)
        self._not_found(head_only)


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    verbose = False

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)) and not self.verbose:
            return
        super().handle_error(request, client_address)


def make_server(host: str = "127.0.0.1", port: int = 0, n_articles: int = 300, seed: int = 1,
                verbose: bool = False, prerender: bool = False, theme: str = "jnews",
                drifted_every: int = 1, sitemaps: str = "yoast", sitemap_entries: int | None = None,
                unlisted: int = 0, feed_summary: bool = False, feed_fault: str | None = None,
                sitemap_faults: tuple[str, ...] = ()) -> tuple[ThreadingHTTPServer, Replica]:
    """Bind a server (port 0 = free port). Returns (server, replica); call server.serve_forever()."""
    site = Site(n_articles, seed, unlisted=unlisted)
    replica = Replica(site, sitemaps=sitemaps, sitemap_entries=sitemap_entries)
    replica.feeds.summary = feed_summary
    replica.feeds.set_fault(feed_fault)
    replica.theme, replica.drifted_every = theme, drifted_every
    handler = type("ReplicaHandler", (Handler,), {"replica": replica, "verbose": verbose})
    server = QuietServer((host, port), handler)
    server.verbose = verbose
    h, p = server.server_address[:2]
    replica.base_url = f"http://{h}:{p}"
    try:
        for switch in sitemap_faults:  # NAME[,KEY=VALUE...]
            replica.sitemap_faults.switch(*parse_switch(switch))
    except ValueError:
        server.server_close()
        raise
    if prerender:
        replica.prerender()
    return server, replica
