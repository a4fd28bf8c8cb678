"""The replica's sitemap fault switches (replica/sitemap_faults.py), each switched on a running replica
and read over real HTTP as raw bytes, against the files it serves whole and the inventory's truth."""

from __future__ import annotations

import gzip
import http.client
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from replica.harness import ReplicaProcess, ReplicaThread  # noqa: E402
from replica.sitemap_faults import FAULTS  # noqa: E402

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
ROME = ZoneInfo("Europe/Rome")
N, ENTRIES = 45, 10  # five post sitemap files, the last one of 5 posts


def request(url: str, method: str = "GET") -> tuple[int, bytes, dict]:
    """One request over a fresh connection, redirects not followed, the body as sent (a body cut
    short is returned as far as it came)."""
    u = urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        conn.request(method, u.path + (f"?{u.query}" if u.query else ""), body=b"" if method == "POST" else None)
        response = conn.getresponse()
        try:
            body = response.read()
        except http.client.IncompleteRead as error:
            body = error.partial
        return response.status, body, dict(response.getheaders())
    finally:
        conn.close()


@pytest.fixture(scope="module")
def site():
    server = ReplicaThread(n_articles=N, sitemap_entries=ENTRIES)
    yield server
    server.stop()


@pytest.fixture
def yoast(site):
    """The module's replica, every sitemap fault off after the test."""
    yield site
    site.post("/__replica__/sitemap?fault=none")


def switch(server, query: str) -> list[dict]:
    status, body, _ = request(f"{server.url}/__replica__/sitemap?{query}", "POST")
    assert status == 200, body
    return json.loads(body)


def whole(server) -> dict[str, bytes]:
    """Every sitemap file as served with no fault on, by path."""
    state = server.sitemap_truth()["faults"]
    assert state == []
    paths = ["/sitemap_index.xml", *(urlsplit(f["url"]).path for f in server.sitemap_truth()["files"]),
             "/page-sitemap.xml", "/category-sitemap.xml"]
    return {path: request(server.url + path)[1] for path in paths}


def locs(body: bytes, tag: str = "url") -> list[str]:
    return [e.findtext("s:loc", namespaces=NS) for e in etree.fromstring(body).findall(f"s:{tag}", NS)]


def lastmods(body: bytes, tag: str = "url") -> list[datetime]:
    return [datetime.fromisoformat(e.findtext("s:lastmod", namespaces=NS))
            for e in etree.fromstring(body).findall(f"s:{tag}", NS)]


def parses(body: bytes) -> bool:
    try:
        etree.fromstring(body)
    except etree.XMLSyntaxError:
        return False
    return True


def test_every_fault_is_tested_here():
    tested = {"fatal", "cut", "dataloss", "error", "empty", "declaration", "short", "html", "bom", "whitespace",
              "php-warning", "gzip",
              "trailing-slash", "stale", "index-no-lastmod", "index-offset", "extra-file", "missing-file",
              "nested", "overlap", "date-only", "url-offset", "future-lastmod", "scheduled", "noindex"}
    assert set(FAULTS) == tested


def test_truth_is_the_complete_inventory(yoast):
    truth, items = yoast.sitemap_truth(), yoast.truth()
    assert truth["mode"] == "yoast" and truth["index"] == yoast.url + "/sitemap_index.xml"
    assert [f["count"] for f in truth["files"]] == [10, 10, 10, 10, 5]
    assert sorted(p["url"] for p in truth["posts"]) == sorted(items)
    files = whole(yoast)
    index = etree.fromstring(files["/sitemap_index.xml"])
    listed = {e.findtext("s:loc", namespaces=NS): e.findtext("s:lastmod", namespaces=NS)
              for e in index.findall("s:sitemap", NS)}
    for f in truth["files"]:
        body = files[urlsplit(f["url"]).path]
        assert len(locs(body)) == f["count"] and listed[f["url"]] == f["lastmod"]
        assert locs(body) == [p["url"] for p in truth["posts"] if p["file"] == f["url"]]
    for post in truth["posts"]:
        assert post["lastmod"] == post["modified"]  # no fault on: the entry says post_modified_gmt
        assert post["post_id"] == items[post["url"]]["post_id"]
    assert truth["moved"] == {} and truth["removed"] == [] and truth["faults"] == []


@pytest.mark.parametrize("file", [None, 2])
def test_fatal_error_cuts_the_file_mid_xml(yoast, file):
    files = whole(yoast)
    state = switch(yoast, "fault=fatal" + (f"&file={file}" if file else ""))
    hit = [f"/post-sitemap{n}.xml" if n > 1 else "/post-sitemap.xml" for n in ([file] if file else range(1, 6))]
    assert [urlsplit(u).path for u in state[0]["files"]] == hit
    for path, good in files.items():
        status, body, headers = request(yoast.url + path)
        assert status == 200
        if path in hit:
            head, sep, _ = body.partition(b"<br />\n<b>Fatal error</b>:  Allowed memory size")
            assert sep and good.startswith(head) and len(head) < len(good) and not parses(body)
            assert head.count(b"<url>") > head.count(b"</url>")  # stopped inside an entry
            assert headers["Content-Type"].startswith("text/xml")
        else:
            assert body == good


def test_cut_and_dataloss_leave_part_of_the_file(yoast):
    good = whole(yoast)["/post-sitemap3.xml"]
    switch(yoast, "fault=cut&file=3")
    status, body, headers = request(yoast.url + "/post-sitemap3.xml")
    assert status == 200 and int(headers["Content-Length"]) == len(body) < len(good)
    assert good.startswith(body) and not parses(body)
    switch(yoast, "off=cut")
    switch(yoast, "fault=dataloss&file=3")
    status, body, headers = request(yoast.url + "/post-sitemap3.xml")
    assert status == 200 and int(headers["Content-Length"]) == len(good) > len(body) > 0
    assert good.startswith(body) and headers["Connection"] == "close"
    assert request(yoast.url + "/post-sitemap2.xml")[1] == whole_file(yoast, 2)


def whole_file(server, n: int) -> bytes:
    """Post sitemap ``n`` as the live site makes it (the replica's own renderer, no fault)."""
    r = server.replica
    return r.sitemap(r.sitemaps.post_file_path(n))


def test_error_status_and_transient_error(yoast):
    switch(yoast, "fault=error&file=4")
    status, body, headers = request(yoast.url + "/post-sitemap4.xml")
    assert status == 500 and headers["Content-Type"].startswith("text/html") and b"errore critico" in body
    assert request(yoast.url + "/post-sitemap3.xml")[0] == 200
    switch(yoast, "fault=error&status=503&times=2")  # replaces the one before: every post file, two answers
    first, second = request(yoast.url + "/post-sitemap.xml"), request(yoast.url + "/post-sitemap4.xml")
    assert first[0] == second[0] == 503 and first[2]["Retry-After"] == "600"
    assert request(yoast.url + "/post-sitemap.xml")[0] == 200 and yoast.sitemap_truth()["faults"] == []


def test_empty_html_and_php_warnings(yoast):
    good = whole_file(yoast, 1)
    switch(yoast, "fault=empty&file=1")
    status, body, headers = request(yoast.url + "/post-sitemap.xml")
    assert (status, body, headers["Content-Length"]) == (200, b"", "0")
    switch(yoast, "fault=none")
    switch(yoast, "fault=html&file=1")
    status, body, headers = request(yoast.url + "/post-sitemap.xml")
    assert status == 200 and headers["Content-Type"].startswith("text/html") and b"<html" in body[:100]
    switch(yoast, "fault=none")
    switch(yoast, "fault=php-warning&file=1")
    status, body, headers = request(yoast.url + "/post-sitemap.xml")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert body.startswith(b"<br />\n<b>Warning</b>") and body.endswith(good) and not parses(body)


def test_a_declaration_alone_and_a_short_file(yoast):
    good = whole_file(yoast, 2)
    switch(yoast, "fault=declaration&file=2")
    status, body, _ = request(yoast.url + "/post-sitemap2.xml")
    assert status == 200 and body.startswith(b"<?xml") and b"<urlset" not in body and good.startswith(body.strip())
    switch(yoast, "fault=none")
    switch(yoast, "fault=short&file=2")
    status, body, _ = request(yoast.url + "/post-sitemap2.xml")
    root = etree.fromstring(body)
    assert status == 200 and len(root.findall("s:url", NS)) == 5 and body.rstrip().endswith(good.rstrip()[-60:])
    assert [u.findtext("s:loc", namespaces=NS) for u in root.findall("s:url", NS)] == [
        u.findtext("s:loc", namespaces=NS) for u in etree.fromstring(good).findall("s:url", NS)][:5]


def test_bom_and_blank_line_before_the_declaration_on_every_file(yoast):
    files = whole(yoast)
    switch(yoast, "fault=bom&file=all")
    for path, good in files.items():
        assert request(yoast.url + path)[1] == b"\xef\xbb\xbf" + good
    switch(yoast, "fault=none")
    switch(yoast, "fault=whitespace&file=index")
    body = request(yoast.url + "/sitemap_index.xml")[1]
    assert body == b"\n" + files["/sitemap_index.xml"] and not parses(body)
    assert request(yoast.url + "/post-sitemap.xml")[1] == files["/post-sitemap.xml"]


def test_gzip_twice(yoast):
    good = whole_file(yoast, 5)
    switch(yoast, "fault=gzip&file=5")
    status, body, headers = request(yoast.url + "/post-sitemap5.xml")
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    once = gzip.decompress(body)
    assert once[:2] == b"\x1f\x8b" and gzip.decompress(once) == good


def test_post_sitemaps_301_to_a_trailing_slash(yoast):
    files = whole(yoast)
    assert request(yoast.url + "/post-sitemap.xml/")[0] == 404  # no fault: no such URL
    switch(yoast, "fault=trailing-slash")
    assert request(yoast.url + "/sitemap_index.xml")[1] == files["/sitemap_index.xml"]  # names them unslashed
    for path in [p for p in files if p.startswith("/post-sitemap")]:
        status, _, headers = request(yoast.url + path)
        assert status == 301 and headers["Location"] == yoast.url + path + "/"
        status, body, _ = request(yoast.url + path + "/")
        assert (status, body) == (200, files[path])
    assert request(yoast.url + "/page-sitemap.xml")[0] == 200
    assert request(yoast.url + "/page-sitemap.xml/")[0] == 404
    switch(yoast, "fault=trailing-slash&file=2")
    assert request(yoast.url + "/post-sitemap.xml")[0] == 200
    assert request(yoast.url + "/post-sitemap2.xml")[0] == 301


def test_stale_file_older_than_its_index_and_stale_index():
    server = ReplicaThread(n_articles=N, sitemap_entries=ENTRIES)
    try:
        before = whole(server)
        switch(server, "fault=stale")
        oldest = server.sitemap_truth()["posts"][0]
        server.post(f"/__replica__/posts?action=edit&post_id={oldest['post_id']}&title=Rivisto")
        index = request(server.url + "/sitemap_index.xml")[1]
        assert index != before["/sitemap_index.xml"]  # the index is live
        newest_file = lastmods(index, "sitemap")[4]
        stale = request(server.url + "/post-sitemap5.xml")[1]
        assert stale == before["/post-sitemap5.xml"] and max(lastmods(stale)) < newest_file
        assert oldest["url"] in locs(request(server.url + "/post-sitemap.xml")[1])  # still listed first
        truth = server.sitemap_truth()
        assert truth["posts"][-1]["post_id"] == oldest["post_id"] and truth["files"][4]["lastmod"] > oldest["lastmod"]
        switch(server, "fault=none")
        switch(server, "fault=stale&file=index")
        index = request(server.url + "/sitemap_index.xml")[1]
        server.post("/__replica__/posts?action=publish&count=6")  # a sixth file
        assert request(server.url + "/sitemap_index.xml")[1] == index and len(locs(index, "sitemap")) == 7
        assert request(server.url + "/post-sitemap6.xml")[0] == 200
        assert len(server.sitemap_truth()["files"]) == 6
    finally:
        server.stop()


def test_index_without_lastmod_and_with_a_wrong_offset(yoast):
    files = whole(yoast)
    truth = {f["url"]: datetime.fromisoformat(f["lastmod"]) for f in yoast.sitemap_truth()["files"]}
    switch(yoast, "fault=index-no-lastmod")
    index = request(yoast.url + "/sitemap_index.xml")[1]
    assert b"<lastmod>" not in index and locs(index, "sitemap") == locs(files["/sitemap_index.xml"], "sitemap")
    assert request(yoast.url + "/post-sitemap.xml")[1] == files["/post-sitemap.xml"]
    switch(yoast, "fault=none")
    switch(yoast, "fault=index-offset")
    index = etree.fromstring(request(yoast.url + "/sitemap_index.xml")[1])
    for entry in index.findall("s:sitemap", NS):
        loc = entry.findtext("s:loc", namespaces=NS)
        said = datetime.fromisoformat(entry.findtext("s:lastmod", namespaces=NS))
        if loc in truth:
            real = truth[loc]
            assert real - said == real.astimezone(ROME).utcoffset() in (timedelta(hours=1), timedelta(hours=2))
            assert said.replace(tzinfo=None) == real.astimezone(timezone.utc).replace(tzinfo=None)


def test_index_counts_a_file_too_many_or_too_few(yoast):
    files = whole(yoast)
    switch(yoast, "fault=extra-file")
    listed = locs(request(yoast.url + "/sitemap_index.xml")[1], "sitemap")
    assert listed == locs(files["/sitemap_index.xml"], "sitemap") + [yoast.url + "/post-sitemap6.xml"]
    assert request(yoast.url + "/post-sitemap6.xml")[0] == 404
    switch(yoast, "fault=none")
    switch(yoast, "fault=missing-file")
    listed = locs(request(yoast.url + "/sitemap_index.xml")[1], "sitemap")
    assert yoast.url + "/post-sitemap5.xml" not in listed and len(listed) == 6
    assert request(yoast.url + "/post-sitemap5.xml")[1] == files["/post-sitemap5.xml"]
    assert len(yoast.sitemap_truth()["files"]) == 5


def test_nested_indexes_without_end(yoast):
    switch(yoast, "fault=nested")
    url, seen = yoast.url + "/nested-sitemap1.xml", set()
    assert url in locs(request(yoast.url + "/sitemap_index.xml")[1], "sitemap")
    for _ in range(60):
        status, body, _ = request(url)
        assert status == 200 and url not in seen
        seen.add(url)
        (url,) = locs(body, "sitemap")
    switch(yoast, "fault=none")
    assert request(yoast.url + "/nested-sitemap1.xml")[0] == 404


def test_entries_lastmod_with_a_wrong_offset(yoast):
    good = whole_file(yoast, 2)
    switch(yoast, "fault=url-offset")
    said = lastmods(request(yoast.url + "/post-sitemap2.xml")[1])
    for real, wrong in zip(lastmods(good), said):
        assert real - wrong == real.astimezone(ROME).utcoffset()
    assert locs(request(yoast.url + "/post-sitemap2.xml")[1]) == locs(good)


def test_files_overlapping_by_one_entry(yoast):
    files = whole(yoast)
    switch(yoast, "fault=overlap")
    assert request(yoast.url + "/post-sitemap.xml")[1] == files["/post-sitemap.xml"]
    for n in range(2, 6):
        path, before = f"/post-sitemap{n}.xml", "/post-sitemap.xml" if n == 2 else f"/post-sitemap{n - 1}.xml"
        served = locs(request(yoast.url + path)[1])
        assert served == [locs(files[before])[-1], *locs(files[path])]
    assert len(locs(request(yoast.url + "/post-sitemap2.xml")[1])) == ENTRIES + 1


def test_entries_lastmod_as_a_day(yoast):
    good = whole_file(yoast, 3)
    switch(yoast, "fault=date-only")
    body = request(yoast.url + "/post-sitemap3.xml")[1]
    days = [e.findtext("s:lastmod", namespaces=NS) for e in etree.fromstring(body).findall("s:url", NS)]
    assert days == [d.astimezone(ROME).date().isoformat() for d in lastmods(good)]
    assert locs(body) == locs(good)


def test_a_post_with_a_lastmod_in_2031(yoast):
    truth = yoast.sitemap_truth()
    first = truth["posts"][0]
    state = switch(yoast, "fault=future-lastmod")
    assert state[0]["post_id"] == first["post_id"] and state[0]["lastmod"] == "2031-01-01T00:00:00+00:00"
    last = request(yoast.url + "/post-sitemap5.xml")[1]
    assert locs(last)[-1] == first["url"] and lastmods(last)[-1] == datetime(2031, 1, 1, tzinfo=timezone.utc)
    assert lastmods(request(yoast.url + "/sitemap_index.xml")[1], "sitemap")[4].year == 2031
    item = yoast.truth()[first["url"]]  # its page is unchanged
    assert item["modified"] is None or item["modified"].startswith("2026")
    now = yoast.sitemap_truth()["posts"]
    assert now[-1]["post_id"] == first["post_id"] and now[-1]["lastmod"].startswith("2031")
    assert now[-1]["modified"] == first["modified"]
    other = truth["posts"][20]
    switch(yoast, f"fault=future-lastmod&post_id={other['post_id']}&lastmod=2031-06-01T08:00:00%2B02:00")
    assert yoast.sitemap_truth()["posts"][-1]["lastmod"] == "2031-06-01T06:00:00+00:00"
    assert request(f"{yoast.url}/__replica__/sitemap?fault=future-lastmod&lastmod=2031-06-01", "POST")[0] == 400
    switch(yoast, "fault=none")
    assert yoast.sitemap_truth()["posts"] == truth["posts"]


def test_a_scheduled_post_saved_days_before_its_publication(yoast):
    newest = yoast.replica.site.articles[0]
    state = switch(yoast, "fault=scheduled&days=3")
    assert state[0]["post_id"] == newest.post_id
    entry = next(p for p in yoast.sitemap_truth()["posts"] if p["post_id"] == newest.post_id)
    published, lastmod = datetime.fromisoformat(entry["published"]), datetime.fromisoformat(entry["lastmod"])
    assert published - lastmod == timedelta(days=3)
    served = {}
    for f in yoast.sitemap_truth()["files"]:
        body = request(f["url"])[1]
        served.update(zip(locs(body), lastmods(body)))
    assert served[entry["url"]] == lastmod and published.date() > lastmod.date()
    assert yoast.truth()[entry["url"]]["published"] == newest.published.isoformat()  # the page says D


def test_switches_on_and_off_and_bad_switches(yoast):
    switch(yoast, "fault=bom&file=1")
    state = switch(yoast, "fault=index-no-lastmod")
    assert [f["fault"] for f in state] == ["bom", "index-no-lastmod"]
    assert [f["fault"] for f in switch(yoast, "off=bom")] == ["index-no-lastmod"]
    assert switch(yoast, "fault=none") == []
    for bad in ("fault=nope", "fault=error&status=200", "fault=fatal&file=0", "fault=fatal&file=x",
                "fault=fatal&colour=red", "fault=scheduled&post_id=1", "fault="):
        status, body, _ = request(f"{yoast.url}/__replica__/sitemap?{bad}", "POST")
        assert status == 400 and body.startswith(b"bad sitemap switch:"), bad
    assert yoast.sitemap_truth()["faults"] == []


def test_faults_on_wordpress_core_sitemaps():
    server = ReplicaThread(n_articles=30, sitemaps="core", sitemap_entries=10)
    try:
        index = request(server.url + "/wp-sitemap.xml")[1]
        switch(server, "fault=extra-file")
        listed = locs(request(server.url + "/wp-sitemap.xml")[1], "sitemap")
        assert listed[-1] == server.url + "/wp-sitemap-posts-post-4.xml"
        assert request(server.url + "/wp-sitemap-posts-post-4.xml")[0] == 404
        switch(server, "fault=none")
        switch(server, "fault=missing-file")
        listed = locs(request(server.url + "/wp-sitemap.xml")[1], "sitemap")
        assert server.url + "/wp-sitemap-posts-post-3.xml" not in listed
        switch(server, "fault=none")
        switch(server, "fault=fatal&file=3")
        assert b"Fatal error" in request(server.url + "/wp-sitemap-posts-post-3.xml")[1]
        assert request(server.url + "/wp-sitemap.xml")[1] == index
        truth = server.sitemap_truth()
        assert truth["index"] == server.url + "/wp-sitemap.xml" and all(p["lastmod"] is None for p in truth["posts"])
    finally:
        server.stop()


def test_article_answering_404_once(yoast):
    post = yoast.sitemap_truth()["posts"][7]
    yoast.post(f"/__replica__/break?post_id={post['post_id']}&status=404&times=1")
    assert post["url"] in yoast.truth()  # the post is live
    assert request(post["url"])[0] == 404
    assert request(post["url"])[0] == 200 and request(post["url"])[0] == 200


def test_command_line_switches():
    server = ReplicaProcess("--articles", "25", "--sitemap-entries", "10",
                            "--sitemap-fault", "fatal,file=2", "--sitemap-fault", "index-no-lastmod").ready()
    try:
        assert b"Fatal error" in request(server.url + "/post-sitemap2.xml")[1]
        assert parses(request(server.url + "/post-sitemap.xml")[1])
        assert b"<lastmod>" not in request(server.url + "/sitemap_index.xml")[1]
        assert [f["fault"] for f in server.sitemap_truth()["faults"]] == ["fatal", "index-no-lastmod"]
    finally:
        server.stop()
    proc = subprocess.run([sys.executable, "-m", "replica", "--sitemap-fault", "fatal,file"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stderr.splitlines()[-1] == (
        "python -m replica: error: --sitemap-fault: 'file' is no KEY=VALUE")


def test_a_noindex_post_is_in_no_post_sitemap_and_its_page_answers(yoast):
    truth = yoast.sitemap_truth()
    post = truth["posts"][0]
    switch(yoast, f"fault=noindex&post_id={post['post_id']}")
    first = locs(request(yoast.url + "/post-sitemap.xml")[1])
    assert post["url"] not in first and first == [p["url"] for p in truth["posts"][1:len(first) + 1]]
    assert request(post["url"])[0] == 200
