"""Tests of the local replica of www.alanews.it (replica/), not of the crawler."""
from __future__ import annotations

import http.client
import json
import re
import sys
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import pytest
from parsel import Selector

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from replica.harness import ReplicaProcess  # noqa: E402
from replica.model import CATEGORIES, MONTHS, Site, expected_item  # noqa: E402
from replica.render import article_bytes, render_article  # noqa: E402

N = 60
ROME = ZoneInfo("Europe/Rome")


@pytest.fixture(scope="module")
def replica_url():
    replica = ReplicaProcess("--articles", str(N))
    try:
        url = replica.ready().url
        assert url.startswith("http://127.0.0.1:"), url
        yield url
    finally:
        replica.stop()


def fetch(url: str, method: str = "GET") -> tuple[int, bytes, dict]:
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def test_article_page(replica_url):
    site = Site(N, 1)
    a = next(x for x in site.articles if not x.no_yoast)
    status, body, headers = fetch(replica_url + a.path)
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=UTF-8"
    assert 100_000 <= len(body) <= 200_000
    html = body.decode("utf-8")
    assert f'<link rel="canonical" href="{replica_url}{a.path}" />' in html
    assert 'class="yoast-schema-graph"' in html
    assert f"postid-{a.post_id}" in html
    assert '<html lang="it-IT">' in html
    assert "venerdì 20 Novembre 2026" in html


def test_routes(replica_url):
    site = Site(N, 1)
    a = site.articles[3]
    assert fetch(replica_url + a.path + "?utm_source=x")[0] == 200
    wrong = a.path.replace(f"/{a.published.year}/", f"/{a.published.year - 1}/", 1)
    assert fetch(replica_url + wrong)[0] == 404
    assert fetch(replica_url + "/robots.txt")[1].decode().startswith("# START YOAST BLOCK")
    pages = site.pages("cronaca")
    assert fetch(f"{replica_url}/category/cronaca/page/{pages}/")[0] == 200
    assert fetch(f"{replica_url}/category/cronaca/page/{pages + 1}/")[0] == 404
    assert fetch(f"{replica_url}/category/nope/")[0] == 404
    # keep-alive: two requests on one connection, redirects not followed
    u = urlsplit(replica_url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
    c.request("GET", a.path.rstrip("/"))
    r = c.getresponse()
    r.read()
    assert r.status == 301 and r.getheader("Location") == replica_url + a.path
    c.request("GET", "/category/cronaca/page/1/")
    r = c.getresponse()
    r.read()
    assert r.status == 301 and r.getheader("Location") == replica_url + "/category/cronaca/"
    c.close()


def test_hero_same_on_every_page(replica_url):
    site = Site(N, 1)
    path = next(p for p in CATEGORIES if site.pages(p) >= 2)
    h1 = Selector(text=fetch(f"{replica_url}/category/{path}/")[1].decode())
    h2 = Selector(text=fetch(f"{replica_url}/category/{path}/page/2/")[1].decode())
    hero = ".jnews_category_hero_container h2.jeg_post_title a::attr(href)"
    assert h1.css(hero).getall() == h2.css(hero).getall()
    assert len(h1.css(hero).getall()) == 4
    assert h1.css(".jeg_pagination a.page_nav.next")
    assert not h2.css(".jeg_pagination a.page_nav.next") or site.pages(path) > 2
    listed = []
    for k in range(1, site.pages(path) + 1):
        s = Selector(text=fetch(f"{replica_url}/category/{path}/" + (f"page/{k}/" if k > 1 else ""))[1].decode())
        listed += s.css(".jnews_category_content_wrapper article.jeg_pl_lg_2 h3.jeg_post_title a::attr(href)").getall()
    assert listed == [a.url(replica_url) for a in site.archive(path)]
    single = next(p for p in CATEGORIES if site.pages(p) == 1)
    s = Selector(text=fetch(f"{replica_url}/category/{single}/")[1].decode())
    assert not s.css(".jeg_pagination")


def test_control_endpoints(replica_url):
    site = Site(N, 1)
    status, body, _ = fetch(replica_url + "/__replica__/truth.jsonl")
    truth = [json.loads(x) for x in body.decode("utf-8").splitlines()]
    assert truth == [expected_item(a, replica_url) for a in site.articles]
    urls = json.loads(fetch(replica_url + "/__replica__/archive.json?path=esteri")[1])
    assert urls == [a.url(replica_url) for a in site.archive("esteri")]
    fetch(replica_url + "/__replica__/stats/reset", "POST")
    fetch(replica_url + "/robots.txt")
    fetch(replica_url + site.articles[0].path)
    fetch(replica_url + "/category/esteri/")
    stats = json.loads(fetch(replica_url + "/__replica__/stats")[1])
    assert stats["by_kind"] == {"robots": 1, "listing": 1, "article": 1, "other": 0}
    assert stats["by_path"]["/category/esteri/"] == 1


def test_publish(replica_url):
    status, body, _ = fetch(replica_url + "/__replica__/publish?count=3", "POST")
    new = [json.loads(x) for x in body.decode("utf-8").splitlines()]
    assert status == 200 and len(new) == 3
    truth = [json.loads(x) for x in fetch(replica_url + "/__replica__/truth.jsonl")[1].decode().splitlines()]
    assert truth[:3] == new and len(truth) == N + 3
    assert new[-1]["published"] > truth[3]["published"][:10]
    assert fetch(new[0]["url"])[0] == 200


def test_site_changes_made_now_or_once_a_path_is_answered():
    replica = ReplicaProcess("--articles", str(N)).ready()
    try:
        url = replica.url
        esteri = replica.archive("esteri")
        truth = replica.truth()
        first, second, third = esteri[0], esteri[1], esteri[2]
        post = {u: truth[u]["post_id"] for u in (first, second, third)}

        def status(u: str) -> int:
            return fetch(u)[0]

        # unpublish, once /category/esteri/ is answered: that answer still lists it
        replica.post(f"/__replica__/unpublish?post_id={post[first]}&after=/category/esteri/")
        assert first in replica.archive("esteri") and status(first) == 200
        assert first in fetch(url + "/category/esteri/")[1].decode()
        assert first not in replica.archive("esteri") and first not in replica.truth() and status(first) == 404
        assert first not in fetch(url + "/category/esteri/")[1].decode()
        # move: a new permalink, the old one 301s to it, the archives follow
        moved = json.loads(replica.post(f"/__replica__/move?post_id={post[second]}&category=politica"))
        new_url = second.replace(f"/{truth[second]['category_path']}/", "/politica/")
        assert moved["url"] == second and new_url in replica.truth() and second not in replica.truth()
        assert new_url in replica.archive("politica") and second not in replica.archive("esteri")
        with urllib.request.urlopen(second, timeout=10) as response:  # follows the 301
            assert response.url == new_url and response.status == 200
        # break: listed, its page an error; not in the truth until repaired
        replica.post(f"/__replica__/break?post_id={post[third]}&status=410")
        assert third in replica.archive("esteri") and third not in replica.truth() and status(third) == 410
        replica.post(f"/__replica__/break?post_id={post[third]}&status=200")
        assert third in replica.truth() and status(third) == 200
        # robots.txt: an error status, or more rules
        replica.post("/__replica__/robots?status=503")
        assert status(url + "/robots.txt") == 503
        replica.post("/__replica__/robots?disallow=/2026/")
        code, body, _ = fetch(url + "/robots.txt")
        assert code == 200 and "Disallow: /2026/\n" in body.decode()
        # endless pagination: past the last page, pages of posts never listed before
        pages = -(-len(replica.archive("esteri")) // 10)
        replica.post("/__replica__/endless?category=esteri&shape=fresh")
        page = Selector(text=fetch(f"{url}/category/esteri/page/{pages + 5}/")[1].decode())
        assert page.css(".jeg_pagination a.page_nav.next::attr(href)").get() == f"{url}/category/esteri/page/{pages + 6}/"
        links = page.css(".jnews_category_content_wrapper .jeg_post_title a::attr(href)").getall()
        assert len(links) == 10 and all(status(link) == 404 for link in links[:2])
        replica.post("/__replica__/endless?category=esteri&shape=off")
        assert status(f"{url}/category/esteri/page/{pages + 1}/") == 404
        assert status(f"{url}/__replica__/unpublish?post_id=1") == 404  # control changes are POST only
        assert fetch(url + "/__replica__/unpublish?post_id=1", "POST")[0] == 400  # no such post
    finally:
        replica.stop()


def test_variant_flags_coverage():
    required = ["no_structured", "no_yoast", "no_meta", "no_jnews_ld", "no_subtitle", "no_author",
                "no_image", "image_no_caption", "no_tags", "date_std", "date_lower", "date_ordinal",
                "date_time", "shows_modified", "video_iframe", "video_video", "video_no_text",
                "related_utm", "related_respond", "related_utm+respond", "cross_listed",
                "combo_nosd_modified_time", "dst_edge", "day_one",
                # shapes seen on other real JNews sites (issue 15)
                "seo_aioseo", "seo_rankmath", "title_suffix", "template_2", "template_custom",
                "author_box_jnews", "author_box_molongui", "callouts", "featured_video_iframe",
                "featured_video_video", "video_ld", "caption_figcaption", "caption_featured_caption",
                "caption_figcaption_markup_only", "caption_featured_caption_markup_only", "entities",
                "stray_byte", "date_numeric", "date_ampm", "date_utc"]
    for n, least in ((300, 3), (60, 1)):
        c = Site(n, 1).flag_counts()
        for f in required:
            assert c.get(f, 0) >= least, (n, f, c.get(f, 0))
    site = Site(300, 1)
    assert site.pages("esteri") >= 3
    assert all(site.archive(p) for p in CATEGORIES)
    stamps = [a.published.timestamp() for a in site.articles]
    assert stamps == sorted(stamps, reverse=True) and len(set(stamps)) == len(stamps)
    assert Site(300, 1).flag_counts() == site.flag_counts()  # deterministic


# ---- the truth is derivable from the page by an ideal extractor -----------------
_MON = {m.lower(): i + 1 for i, m in enumerate(MONTHS)}


def _visible(text: str) -> str:
    """A byline date in any of the replica's styles, as ISO (Rome), the date alone without a time."""
    m = re.fullmatch(r"(\d\d)/(\d\d)/(\d{4})", text)
    if m:
        return f"{m[3]}-{m[2]}-{m[1]}"
    m = re.fullmatch(r"(\d+) (\w{3}) (\d{4}) (\d\d):(\d\d):(\d\d) UTC", text)
    if m:
        mo = next(i + 1 for i, name in enumerate(MONTHS) if name.lower().startswith(m[2]))
        return datetime(int(m[3]), mo, int(m[1]), int(m[4]), int(m[5]), int(m[6]),
                        tzinfo=timezone.utc).astimezone(ROME).isoformat()
    m = re.fullmatch(r"(\d+)°?\s+(\w+)\s+(\d{4})(?:\s*-\s*(\d\d):(\d\d)| (\d+):(\d\d) ([ap])m)?", text)
    d, mo, yr = int(m[1]), _MON[m[2].lower()], int(m[3])
    if m[4]:
        return datetime(yr, mo, d, int(m[4]), int(m[5]), tzinfo=ROME).isoformat()
    if m[6]:
        return datetime(yr, mo, d, int(m[6]) % 12 + (12 if m[8] == "p" else 0), int(m[7]), tzinfo=ROME).isoformat()
    return f"{yr:04d}-{mo:02d}-{d:02d}"


def _ideal_extract(html: str) -> dict:
    s = Selector(text=html)
    url = s.css("link[rel=canonical]::attr(href)").get()
    pub = mod = None
    # Yoast's and Rank Math's graphs are right; All in One SEO's dates are hours off (the meta is right)
    y = s.css("script.yoast-schema-graph::text, script.rank-math-schema::text").get()
    if y:
        art = next(g for g in json.loads(y)["@graph"] if g["@type"] == "NewsArticle")
        pub, mod = (datetime.fromisoformat(art[k]).astimezone(ROME).isoformat()
                    for k in ("datePublished", "dateModified"))
    elif s.css('meta[property="article:published_time"]'):
        pub, mod = (datetime.fromisoformat(s.css(f'meta[property="article:{k}_time"]::attr(content)').get())
                    .astimezone(ROME).isoformat() for k in ("published", "modified"))
    else:
        for j in s.xpath("//script[@type='application/ld+json' and not(@class)]/text()").getall():
            o = json.loads(j)
            if o.get("@type") == "article":  # the theme's: published in Rome local time, modified in GMT
                pub, mod = (datetime.strptime(o[k], "%Y-%m-%d %H:%M:%S").replace(tzinfo=zone).astimezone(ROME).isoformat()
                            for k, zone in (("datePublished", ROME), ("dateModified", timezone.utc)))
    if pub is None:
        vis = _visible(s.css(".jeg_meta_date a::text").get().strip())
        udate = "-".join(urlsplit(url).path.split("/")[1:4])
        pub, mod = (vis, None) if vis[:10] == udate else (udate, vis)
    blocks = ["".join(x.css("::text").getall()).strip() for x in s.css(".content-inner > p, .content-inner > h2")]
    rel = s.css(".jnews_related_post_container h3.jeg_post_title a::attr(href)").getall()
    return {
        "url": url, "title": s.css("h1.jeg_post_title::text").get(),
        "subtitle": s.css("h2.jeg_post_subtitle::text").get(), "author": s.css(".jeg_meta_author a::text").get(),
        "published": pub, "modified": mod, "category": s.css(".jeg_meta_category a::text").get(),
        "category_path": "/".join(urlsplit(url).path.strip("/").split("/")[3:-1]),
        "tags": s.css(".jeg_post_tags a[rel=tag]::text").getall(),
        "body": "\n\n".join(b for b in blocks if b) or None,
        "image_url": s.css(".jeg_featured a::attr(href)").get() or s.css('meta[property="og:image"]::attr(content)').get(),
        "image_caption": s.css(".jeg_featured .wp-caption-text::text, .jeg_featured figcaption::text, "
                               ".featured_caption::text").get(),
        "video_url": s.css(".jeg_featured iframe::attr(src), .jeg_featured video source::attr(src), "
                           ".content-inner iframe::attr(src), .content-inner video source::attr(src)").get(),
        "related_urls": [urlunsplit(urlsplit(u)._replace(query="", fragment="")) for u in rel],
        "post_id": int(re.search(r"postid-(\d+)", s.css("body::attr(class)").get())[1]),
        "language": s.css("html::attr(lang)").get()[:2],
    }


def test_truth_matches_markup():
    base = "http://127.0.0.1:8000"
    site = Site(N, 2)
    site.publish(2)
    for a in site.articles:
        assert _ideal_extract(render_article(site, a, base)) == expected_item(a, base), a.flags()


def test_stray_byte_is_one_windows_1252_apostrophe_in_the_served_page():
    site = Site(N, 1)
    flagged = [a for a in site.articles if a.stray_byte]
    assert flagged
    for a in site.articles:
        page = render_article(site, a, "http://127.0.0.1:8000")
        data = article_bytes(a, page)
        if a in flagged:
            assert data.count(b"\x92") == 1 and data.decode("utf-8", "replace").count("\ufffd") == 1
            assert data.replace(b"\x92", b"&#8217;") == page.encode("utf-8")
        else:
            assert data == page.encode("utf-8")
