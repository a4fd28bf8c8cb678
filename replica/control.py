"""python -m replica.control [--port P | --url URL] ACTION ...: change a running replica as an editor
(edit, move, delete, publish) or break its sitemaps, through its control URLs; prints the answer."""
from __future__ import annotations

import argparse
import sys
import urllib.error
import urllib.request
from urllib.parse import urlencode

from .sitemap_faults import FAULTS, parse_switch


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m replica.control",
        description="Change a running replica (python -m replica): the same as POST /__replica__/posts?action=... "
                    "and POST /__replica__/sitemap?fault=.... Prints the replica's JSON answer.",
        epilog="Then watch the crawler see it: scrapy crawl updates, scrapy audit (README, offline).")
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--port", type=int, default=8123, help="the replica's port on 127.0.0.1 (default 8123)")
    where.add_argument("--url", help="the replica's URL, e.g. http://127.0.0.1:8123")
    ap.add_argument("--after", metavar="PATH",
                    help="make the change once PATH is next answered (e.g. /sitemap_index.xml)")
    actions = ap.add_subparsers(dest="action", required=True)
    edit = actions.add_parser("edit", help="a new title and/or body (else one more paragraph); modified moves to now")
    edit.add_argument("post_id", type=int)
    edit.add_argument("--title")
    edit.add_argument("--body", help="paragraphs separated by a blank line")
    edit.add_argument("--kind", choices=("retitle", "extend", "touch"), help="touch: saved with no change")
    move = actions.add_parser("move", help="a new category and/or slug: the old URL 301s to the new, same post id")
    move.add_argument("post_id", type=int)
    move.add_argument("--category", help="category path, e.g. politica or sport/calcio")
    move.add_argument("--slug")
    move.add_argument("--title")
    delete = actions.add_parser("delete", help="off the site and its sitemaps; its URL answers 404 (or 410)")
    delete.add_argument("post_id", type=int)
    delete.add_argument("--status", type=int, choices=(404, 410), default=404)
    publish = actions.add_parser("publish", help="new posts, newer than every other")
    publish.add_argument("--count", type=int, default=1)
    fault = actions.add_parser("sitemap-fault", help="switch a sitemap fault on (none: all off)",
                               description="; ".join(f"{k}: {v}" for k, v in FAULTS.items()))
    fault.add_argument("switch", metavar="NAME[,KEY=VALUE...]", help="e.g. fatal,file=2 or error,status=503,times=1")
    args = ap.parse_args(argv)

    base = (args.url or f"http://127.0.0.1:{args.port}").rstrip("/")
    if args.action == "sitemap-fault":
        if args.after:
            ap.error("--after is for changes of posts")
        try:
            name, params = parse_switch(args.switch)
        except ValueError as error:
            ap.error(str(error))
        path, query = "/__replica__/sitemap", {"fault": name, **params}
    else:
        path = "/__replica__/posts"
        query = {"action": args.action, **{k: v for k, v in vars(args).items()
                                           if k not in ("port", "url", "action", "switch") and v is not None}}
    request = urllib.request.Request(f"{base}{path}?{urlencode(query)}", data=b"", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            sys.stdout.write(response.read().decode("utf-8") + "\n")
    except urllib.error.HTTPError as error:
        sys.stderr.write(f"python -m replica.control: {error.read().decode('utf-8', 'replace')}\n")
        return 1
    except urllib.error.URLError as error:
        sys.stderr.write(f"python -m replica.control: no replica at {base} ({error.reason}); start one: "
                         f"python -m replica --port {args.port}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
