"""Editors' changes of a running replica (POST /__replica__/posts, python -m replica.control): what the
pages, archives, sitemaps and truths say after each, over real HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from replica.harness import ReplicaProcess, ReplicaThread  # noqa: E402

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def fetch(url: str, method: str = "GET") -> tuple[int, bytes, dict]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args):
            return None

    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=30) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


@pytest.fixture
def server():
    replica = ReplicaThread(n_articles=60, sitemap_entries=20)
    yield replica
    replica.stop()


def change(server, query: str) -> dict:
    status, body, _ = fetch(f"{server.url}/__replica__/posts?{query}", "POST")
    assert status == 200, body
    return json.loads(body)


def listed(server) -> dict[str, str]:
    """Every <url> of the post sitemaps as served: URL -> lastmod."""
    out = {}
    for f in server.sitemap_truth()["files"]:
        for u in etree.fromstring(fetch(f["url"])[1]).findall("s:url", NS):
            out[u.findtext("s:loc", namespaces=NS)] = u.findtext("s:lastmod", namespaces=NS)
    return out


def post_of(server, post_id: int) -> dict:
    return next(p for p in server.sitemap_truth()["posts"] if p["post_id"] == post_id)


def test_edit_a_title_and_body(server):
    before = {item["post_id"]: item for item in server.truth().values()}
    pid = 10007
    title, body = quote("Titolo nuovo"), quote("Primo.\n\nSecondo.")
    answer = change(server, f"action=edit&post_id={pid}&title={title}&body={body}")
    (item,) = answer["items"]
    assert item["title"] == "Titolo nuovo" and item["body"] == "Primo.\n\nSecondo."
    assert item["url"] == before[pid]["url"] and item == server.truth()[item["url"]]
    was = before[pid]["modified"] or before[pid]["published"]
    assert datetime.fromisoformat(item["modified"]) > datetime.fromisoformat(was)
    page = fetch(item["url"])[1].decode()
    assert "Titolo nuovo" in page and "Secondo." in page
    entry = post_of(server, pid)
    assert datetime.fromisoformat(listed(server)[item["url"]]) == datetime.fromisoformat(item["modified"])
    assert entry["file"].endswith("/post-sitemap3.xml") and server.sitemap_truth()["posts"][-1]["post_id"] == pid
    # no title or body: one more paragraph
    (again,) = change(server, f"action=edit&post_id={pid}")["items"]
    assert again["body"].startswith("Primo.\n\nSecondo.\n\nAggiornamento delle ")
    (touched,) = change(server, f"action=edit&post_id={pid}&kind=touch")["items"]
    assert touched["body"] == again["body"] and touched["modified"] >= again["modified"]


def test_move_to_another_category_retitled(server):
    truth = server.truth()
    old = next(u for u, item in truth.items() if item["category_path"] == "esteri")
    pid = truth[old]["post_id"]
    answer = change(server, f"action=move&post_id={pid}&category=politica&title={quote('Spostato e rivisto')}")
    (item,) = answer["items"]
    new = item["url"]
    assert answer["moved"] == {old: new} and new == old.replace("/esteri/", "/politica/")
    assert item["post_id"] == pid and item["title"] == "Spostato e rivisto" and item["category"] == "Politica"
    status, _, headers = fetch(old)
    assert status == 301 and headers["Location"] == new and fetch(new)[0] == 200
    assert old not in server.truth() and server.truth()[new] == item
    assert new in server.archive("politica") and old not in server.archive("esteri")
    sitemaps = listed(server)
    assert old not in sitemaps and datetime.fromisoformat(sitemaps[new]) == datetime.fromisoformat(item["modified"])
    assert server.sitemap_truth()["moved"] == {old: new}
    # a new slug only
    (renamed,) = change(server, f"action=move&post_id={pid}&slug=nuovo-nome")["items"]
    assert renamed["url"].endswith("/politica/nuovo-nome/") and renamed["post_id"] == pid
    assert fetch(old)[2]["Location"] == renamed["url"] and fetch(new)[2]["Location"] == renamed["url"]
    assert server.sitemap_truth()["moved"] == {old: renamed["url"], new: renamed["url"]}


@pytest.mark.parametrize("status", [404, 410])
def test_delete(server, status):
    url = next(iter(server.truth()))
    pid = server.truth()[url]["post_id"]
    related = [u for u, item in server.truth().items() if url in item["related_urls"]]
    answer = change(server, f"action=delete&post_id={pid}" + ("&status=410" if status == 410 else ""))
    assert answer["removed"] == [{"post_id": pid, "url": url, "status": status}]
    assert fetch(url)[0] == status and url not in server.truth() and url not in listed(server)
    assert all(url not in server.truth()[u]["related_urls"] for u in related if u in server.truth())
    assert server.sitemap_truth()["removed"] == [{"post_id": pid, "url": url, "status": status}]
    assert len(server.sitemap_truth()["posts"]) == 59


def test_publish(server):
    answer = change(server, "action=publish&count=3")
    assert len(answer["items"]) == 3
    truth, sitemaps = server.truth(), listed(server)
    for item in answer["items"]:
        assert truth[item["url"]] == item and item["url"] in sitemaps and fetch(item["url"])[0] == 200
    assert len(server.sitemap_truth()["posts"]) == 63


def test_a_change_made_once_a_path_is_answered(server):
    pid = 10011
    url = post_of(server, pid)["url"]
    answer = change(server, f"action=delete&post_id={pid}&after=/sitemap_index.xml")
    assert answer["after"] == "/sitemap_index.xml" and answer["removed"] == []
    assert fetch(url)[0] == 200
    fetch(server.url + "/sitemap_index.xml")  # that answer still lists the post's file as it was
    assert fetch(url)[0] == 404 and url not in server.truth()


def test_bad_changes(server):
    for bad in ("action=nope&post_id=10001", "post_id=10001", "action=edit&post_id=1", "action=edit&post_id=x",
                "action=edit&post_id=10001&kind=nope", "action=edit&post_id=10001&title=", "action=move&post_id=10001",
                "action=move&post_id=10001&category=nowhere", "action=delete&post_id=10001&status=500",
                "action=publish&count=0"):
        status, body, _ = fetch(f"{server.url}/__replica__/posts?{bad}", "POST")
        assert status == 400 and body.startswith(b"bad change:"), bad
    item = server.truth()[post_of(server, 10001)["url"]]
    same = f"action=move&post_id=10001&category={item['category_path']}"
    status, body, _ = fetch(f"{server.url}/__replica__/posts?{same}", "POST")
    assert status == 400 and b"already" in body
    assert fetch(f"{server.url}/__replica__/posts?action=publish")[0] == 404  # POST only
    assert len(server.truth()) == 60


def test_command_line(server):
    def control(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "replica.control", "--url", server.url, *args], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)

    edit = control("edit", "10003", "--title", "Dal terminale")
    assert edit.returncode == 0 and json.loads(edit.stdout)["items"][0]["title"] == "Dal terminale"
    item = server.truth()[post_of(server, 10004)["url"]]
    target = "cronaca" if item["category_path"] != "cronaca" else "esteri"
    move = control("move", "10004", "--category", target)
    assert move.returncode == 0 and json.loads(move.stdout)["moved"] == {item["url"]: item["url"].replace(
        f"/{item['category_path']}/", f"/{target}/")}
    delete = control("delete", "10005", "--status", "410")
    assert delete.returncode == 0 and json.loads(delete.stdout)["removed"][0]["status"] == 410
    assert control("publish", "--count", "2").returncode == 0 and len(server.truth()) == 61
    fault = control("sitemap-fault", "error,status=503,file=1")
    assert fault.returncode == 0 and json.loads(fault.stdout)[0]["status"] == 503
    assert fetch(server.url + "/post-sitemap.xml")[0] == 503
    bad = control("delete", "1")
    assert bad.returncode == 1 and bad.stderr.startswith("python -m replica.control: bad change:")
    nobody = subprocess.run([sys.executable, "-m", "replica.control", "--port", "9", "publish"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert nobody.returncode == 1 and "no replica at http://127.0.0.1:9" in nobody.stderr


def test_the_replica_process_takes_changes_too():
    server = ReplicaProcess("--articles", "20").ready()
    try:
        (item,) = json.loads(server.post("/__replica__/posts?action=edit&post_id=10002&title=Vero"))["items"]
        assert server.truth()[item["url"]]["title"] == "Vero"
        assert urlsplit(item["url"]).path in fetch(server.url + "/post-sitemap.xml")[1].decode()
    finally:
        server.stop()
