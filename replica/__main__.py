"""python -m replica --port 0 --articles 300 --seed 1 [--host 127.0.0.1] [--prerender] [--verbose]
                     [--theme jnews|drifted|untitled] [--drifted-every K] [--sitemaps yoast|core|none]
                     [--sitemap-entries N] [--unlisted N] [--feed-summary] [--feed-fault NAME]
                     [--sitemap-fault NAME[,KEY=VALUE...]]..."""
from __future__ import annotations

import argparse
import signal
import sys
import threading

from .feed import FAULTS as FEED_FAULTS
from .server import make_server
from .sitemap_faults import FAULTS as SITEMAP_FAULTS
from .sitemaps import MODES


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m replica",
        description="Serve a local replica of www.alanews.it (same pages, URLs and archives, generated "
                    "from a seed) until Ctrl-C or SIGTERM. Prints `REPLICA_URL http://HOST:PORT` once ready.",
        epilog="Crawl it fast: scrapy crawl esteri -O esteri.jsonl -s ALANEWS_BASE_URL=http://127.0.0.1:PORT "
               "-s DOWNLOAD_DELAY=0 -s AUTOTHROTTLE_ENABLED=False -s CONCURRENT_REQUESTS_PER_DOMAIN=16. "
               "Or all in one: python -m replica.demo esteri -O esteri.jsonl")
    ap.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    ap.add_argument("--port", type=int, default=0, help="port; 0 (the default) picks a free one")
    ap.add_argument("--articles", type=int, default=300, help="articles on the site (default 300)")
    ap.add_argument("--seed", type=int, default=1, help="the same seed gives the same site (default 1)")
    ap.add_argument("--prerender", action="store_true", help="render every page at start")
    ap.add_argument("--verbose", action="store_true", help="log requests to stderr")
    ap.add_argument("--theme", choices=("jnews", "drifted", "untitled"), default="jnews",
                    help="drifted: article pages after a theme update (title and date classes renamed, "
                         "structured data and social meta gone); untitled: those pages without <title> or h1")
    ap.add_argument("--drifted-every", type=int, default=1, metavar="K",
                    help="with --theme drifted or untitled, only posts whose id is a multiple of K (default 1: all)")
    ap.add_argument("--hostile", action="store_true",
                    help="the site plus bad pages and links (replica/hostile.py); --port N may reuse a port")
    ap.add_argument("--sitemaps", choices=MODES, default="yoast",
                    help="yoast: /sitemap_index.xml and post-sitemapN.xml with lastmod (default); "
                         "core: WordPress's /wp-sitemap.xml, no lastmod; none: no sitemap")
    ap.add_argument("--sitemap-entries", type=int, default=None, metavar="N",
                    help="posts per sitemap file (Yoast's wpseo_sitemap_entries_per_page; default 1000, core 2000)")
    ap.add_argument("--unlisted", type=int, default=0, metavar="N",
                    help="N posts no archive lists (half in a category outside the menu): only the sitemaps list them")
    ap.add_argument("--feed-summary", action="store_true",
                    help="feed items carry the excerpt only, no content:encoded (WordPress's 'For each post "
                         "in a feed, include: Summary')")
    ap.add_argument("--feed-fault", choices=tuple(FEED_FAULTS), default=None, metavar="NAME",
                    help="every feed answers this way (POST /__replica__/feed?fault=NAME switches it on a "
                         "running replica): " + "; ".join(f"{k}: {v}" for k, v in FEED_FAULTS.items()))
    ap.add_argument("--sitemap-fault", action="append", default=[], metavar="NAME[,KEY=VALUE...]",
                    help="the sitemaps answer this way (repeatable; POST /__replica__/sitemap?fault=NAME&KEY=VALUE "
                         "switches one on a running replica, fault=none all off). Keys: file=N|index|all (default: "
                         "every post sitemap file), times=K (then off), status, post_id, lastmod, days. Faults: "
                         + "; ".join(f"{k}: {v}" for k, v in SITEMAP_FAULTS.items()))
    args = ap.parse_args(argv)
    if args.drifted_every < 1:
        ap.error("--drifted-every must be a positive integer")
    if args.sitemap_entries is not None and args.sitemap_entries < 1:
        ap.error("--sitemap-entries must be a positive integer")
    if args.unlisted < 0:
        ap.error("--unlisted must be 0 or a positive integer")

    try:
        server, replica = make_server(args.host, args.port, args.articles, args.seed,
                                      verbose=args.verbose, prerender=args.prerender,
                                      theme=args.theme, drifted_every=args.drifted_every,
                                      sitemaps=args.sitemaps, sitemap_entries=args.sitemap_entries,
                                      unlisted=args.unlisted, feed_summary=args.feed_summary,
                                      feed_fault=args.feed_fault, sitemap_faults=tuple(args.sitemap_fault))
    except ValueError as error:
        ap.error(f"--sitemap-fault: {error}")
    except OSError as error:  # the port taken, or the host not this machine's
        ap.error(f"cannot serve on {args.host}:{args.port}: {error.strerror}")
    if args.hostile:
        from .hostile import Hostile
        replica.hostile = Hostile(replica)

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sys.stdout.write(f"REPLICA_URL {replica.base_url}\n")
    sys.stdout.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
