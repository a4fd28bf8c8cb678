"""The replica's sitemaps (Yoast, WordPress core, none), its hidden posts and its edits between runs."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path

import pytest
from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from replica.harness import ReplicaProcess  # noqa: E402
from replica.model import OFF_MENU, Site  # noqa: E402
from replica.sitemaps import Sitemaps  # noqa: E402

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "image": "http://www.google.com/schemas/sitemap-image/1.1"}


def fetch(url: str) -> tuple[int, bytes, dict]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=30) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def xml(body: bytes) -> etree._Element:
    return etree.fromstring(body)


def index_entries(body: bytes) -> list[tuple[str, str | None]]:
    return [(s.findtext("s:loc", namespaces=NS), s.findtext("s:lastmod", namespaces=NS))
            for s in xml(body).findall("s:sitemap", NS)]


def url_entries(body: bytes) -> list[dict]:
    return [{"loc": u.findtext("s:loc", namespaces=NS), "lastmod": u.findtext("s:lastmod", namespaces=NS),
             "images": [i.text for i in u.findall("image:image/image:loc", NS)]}
            for u in xml(body).findall("s:url", NS)]


@pytest.fixture(scope="module")
def yoast():
    server = ReplicaProcess("--articles", "230", "--sitemap-entries", "100", "--unlisted", "6").ready()
    yield server
    server.stop()


def test_yoast_sitemaps_list_every_post_once_oldest_modified_first_with_lastmod_and_image(yoast):
    robots = yoast.get("/robots.txt").decode()
    assert f"Sitemap: {yoast.url}/sitemap_index.xml\n" in robots
    status, body, headers = fetch(yoast.url + "/sitemap_index.xml")
    assert status == 200 and headers["Content-Type"].startswith("text/xml")
    index = index_entries(body)
    posts = [(loc, mod) for loc, mod in index if "/post-sitemap" in loc]
    assert [loc for loc, _ in posts] == [yoast.url + p for p in
                                         ("/post-sitemap.xml", "/post-sitemap2.xml", "/post-sitemap3.xml")]
    assert {loc for loc, _ in index} - {loc for loc, _ in posts} == {
        yoast.url + "/page-sitemap.xml", yoast.url + "/category-sitemap.xml"}
    truth = yoast.truth()
    seen, previous = [], None
    for loc, lastmod in posts:
        entries = url_entries(yoast.get(loc.removeprefix(yoast.url)))
        assert len(entries) <= 100
        mods = [datetime.fromisoformat(e["lastmod"]) for e in entries]
        assert all(m.utcoffset() is not None for m in mods)  # W3C with offset
        assert mods == sorted(mods) and (previous is None or previous <= mods[0])  # oldest first
        assert datetime.fromisoformat(lastmod) == mods[-1]  # the index's lastmod: the file's newest
        previous = mods[-1]
        for entry, mod in zip(entries, mods):
            item = truth[entry["loc"]]
            if item["modified"] and len(item["modified"]) > 10:  # the page gives the time
                assert mod == datetime.fromisoformat(item["modified"])
            assert entry["images"] == ([item["image_url"]] if item["image_url"] else [])
        seen += [e["loc"] for e in entries]
    assert sorted(seen) == sorted(truth)  # every post once, the hidden ones included
    categories = [e["loc"] for e in url_entries(yoast.get("/category-sitemap.xml"))]
    assert f"{yoast.url}/category/comunicati/" in categories
    assert fetch(yoast.url + "/post-sitemap4.xml")[0] == 404
    assert fetch(yoast.url + "/wp-sitemap.xml")[2]["Location"] == yoast.url + "/sitemap_index.xml"


def test_hidden_posts_are_in_the_truth_and_sitemaps_but_in_no_archive_and_no_related_block(yoast):
    truth = yoast.truth()
    listed = {url for path in ["cronaca", "politica", "economia", "esteri", "sport", "spettacoli", "salute",
                               "tecnologia", "cultura", "ambiente"] for url in yoast.archive(path)}
    related = {url for item in truth.values() for url in item["related_urls"]}
    hidden = set(truth) - listed
    assert len(hidden) == 6
    assert sum(truth[url]["category_path"] in OFF_MENU for url in hidden) == 3
    assert {truth[url]["category"] for url in hidden if truth[url]["category_path"] in OFF_MENU} == {"Comunicati stampa"}
    assert hidden & related == set()
    for url in hidden:  # their pages are served as any other
        assert fetch(url)[0] == 200


def test_core_sitemaps_have_no_lastmod_and_list_by_post_id(make_replica):
    server = make_replica("--articles", "120", "--sitemaps", "core", "--sitemap-entries", "50")
    assert f"Sitemap: {server.url}/wp-sitemap.xml\n" in server.get("/robots.txt").decode()
    index = index_entries(server.get("/wp-sitemap.xml"))
    assert all(mod is None for _, mod in index)
    posts = [loc for loc, _ in index if "posts-post" in loc]
    assert posts == [f"{server.url}/wp-sitemap-posts-post-{n}.xml" for n in (1, 2, 3)]
    truth = server.truth()
    entries = [e for loc in posts for e in url_entries(server.get(loc.removeprefix(server.url)))]
    assert all(e["lastmod"] is None and not e["images"] for e in entries)
    ids = [truth[e["loc"]]["post_id"] for e in entries]
    assert ids == sorted(truth[u]["post_id"] for u in truth)
    assert fetch(server.url + "/sitemap_index.xml")[0] == 404
    assert fetch(server.url + "/sitemap.xml")[2]["Location"] == server.url + "/wp-sitemap.xml"


def test_no_sitemaps(make_replica):
    server = make_replica("--articles", "40", "--sitemaps", "none")
    assert "Sitemap:" not in server.get("/robots.txt").decode()
    assert fetch(server.url + "/sitemap_index.xml")[0] == 404
    assert fetch(server.url + "/wp-sitemap.xml")[0] == 404


def test_edits_between_runs_reach_pages_sitemaps_and_truth(make_replica):
    server = make_replica("--articles", "150", "--sitemap-entries", "50")
    before = server.truth()
    by_id = {item["post_id"]: item for item in before.values()}
    retitled, extended, touched, deleted = 10003, 10040, 10041, 10042
    for post_id, kind in ((retitled, "retitle"), (extended, "extend"), (touched, "touch")):
        answer = json.loads(server.post(f"/__replica__/edit?post_id={post_id}&kind={kind}"))
        assert answer["post_id"] == post_id
    server.post(f"/__replica__/delete?post_id={deleted}")
    after = server.truth()
    new = {item["post_id"]: item for item in after.values()}
    content = ("title", "subtitle", "author", "body", "tags", "image_url", "video_url", "category")
    changed = lambda pid: {f for f in content if new[pid][f] != by_id[pid][f]}  # noqa: E731
    assert changed(retitled) == {"title"} and new[retitled]["url"] == by_id[retitled]["url"]
    assert changed(extended) == {"body"} and new[extended]["body"].startswith(by_id[extended]["body"] or "")
    assert changed(touched) == set()
    for pid in (retitled, extended, touched):
        assert datetime.fromisoformat(new[pid]["modified"]) > datetime.fromisoformat(
            by_id[pid]["modified"] or by_id[pid]["published"])
    assert deleted not in new and len(after) == len(before) - 1
    gone = by_id[deleted]["url"]
    assert fetch(gone)[0] == 404
    assert all(gone not in item["related_urls"] for item in after.values())
    # the edited posts are now the newest entries of the last post sitemap
    index = index_entries(server.get("/sitemap_index.xml"))
    last = url_entries(server.get(index[2][0].removeprefix(server.url)))
    assert [e["loc"] for e in last[-3:]] == [new[p]["url"] for p in (retitled, extended, touched)]
    everywhere = [e["loc"] for loc, _ in index[:3] for e in url_entries(server.get(loc.removeprefix(server.url)))]
    assert gone not in everywhere and sorted(everywhere) == sorted(after)
    # a deletion the sitemaps miss (a stale cache): the page is gone, the sitemaps still list it
    stale = new[extended]
    server.post(f"/__replica__/delete?post_id={extended}&stale_sitemaps=1")
    assert fetch(stale["url"])[0] == 404
    assert stale["url"] in [e["loc"] for e in url_entries(server.get(index[2][0].removeprefix(server.url)))]
    server.post(f"/__replica__/edit?post_id={touched}&kind=touch")  # the next change refreshes them
    assert stale["url"] not in [e["loc"] for loc, _ in index_entries(server.get("/sitemap_index.xml"))[:3]
                                for e in url_entries(server.get(loc.removeprefix(server.url)))]
    page = server.get(new[retitled]["url"].removeprefix(server.url)).decode()
    assert "(aggiornamento 1)" in page
    assert fetch(server.url + "/__replica__/edit?post_id=1&kind=touch")[0] == 404  # POST only
    for bad in ("/__replica__/edit?post_id=1&kind=touch", f"/__replica__/edit?post_id={retitled}&kind=nope",
                f"/__replica__/delete?post_id={deleted}"):
        with pytest.raises(urllib.error.HTTPError) as error:
            server.post(bad)
        assert error.value.code == 400


def test_hidden_posts_leave_the_rest_of_the_site_as_it_was():
    plain, hidden = Site(200, 1), Site(200, 1, unlisted=4)
    moved = {a.post_id for a in hidden.articles if a.hidden}
    assert len(moved) == 4
    for a in plain.articles:
        b = hidden.by_id[a.post_id]
        assert (a.title, a.body_text, a.published) == (b.title, b.body_text, b.published)
        if a.post_id not in moved:
            assert (a.category_path, a.listed_in) == (b.category_path, b.listed_in)


def test_sitemap_order_is_sorted_once_per_change_of_the_site():
    site = Site(300, 2)
    sitemaps = Sitemaps(site, "yoast", entries=40)
    first = sitemaps.posts()
    assert sitemaps.posts() is first and sitemaps.files() == 8
    site.edit(first[0].post_id, "touch")
    assert sitemaps.posts() is not first and sitemaps.posts()[-1] is first[0]
