"""Offline demo: serve the replica on loopback and crawl it with a real `scrapy crawl`.

    python -m replica.demo esteri -O esteri.jsonl [--articles 300] [more scrapy crawl options]

The crawl's state (ALANEWS_DATA_DIR: deltafetch) is a temporary directory, removed after:
the replica's port changes every run, so its URLs would only clutter the real crawls' state
in data/ (and a reused port would make a demo find every article "known" and write nothing).
`scrapy crawl` runs in the caller's working directory (relative -o/-O paths are the caller's)
and finds the project through SCRAPY_SETTINGS_MODULE and PYTHONPATH, so the demo works from
any directory. Its exit status is the crawl's.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

from replica.harness import ROOT, ReplicaProcess

# politeness off: the replica is ours and on loopback
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16"]


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """The demo's own options; every other argument goes to `scrapy crawl` as given."""
    parser = argparse.ArgumentParser(
        prog="python -m replica.demo", allow_abbrev=False,
        usage="%(prog)s SPIDER [--articles N] [scrapy crawl options, e.g. -O esteri.jsonl -a max_pages=2]",
        description="Start the replica of www.alanews.it on a free loopback port, crawl it with "
                    "`scrapy crawl SPIDER` (politeness off, incremental state in a temporary directory), "
                    "stop the replica. Without -o/-O it writes SPIDER.jsonl (-O). Exits with the crawl's status.",
        epilog="Every argument but --articles and -h goes to `scrapy crawl` (see `scrapy crawl -h`); "
               "spiders: `scrapy list`.")
    parser.add_argument("--articles", type=int, default=300, help="articles the replica serves (default 300)")
    args, crawl_args = parser.parse_known_args(argv)
    if not crawl_args:
        parser.error("a spider is needed, e.g. esteri")
    if args.articles < 1:
        parser.error("--articles must be a positive integer")
    if not any(a in ("-o", "-O", "--output", "--overwrite-output") or a.startswith(("-o", "-O", "--output"))
               for a in crawl_args):
        # the data directory is temporary: without a feed of the user's, the articles would go with it
        crawl_args += ["-O", f"{crawl_args[0]}.jsonl"]
        print(f"No -o/-O given: writing {crawl_args[-1]}", file=sys.stderr)
    return args, crawl_args


def main(argv: list[str]) -> int:
    args, crawl_args = parse_args(argv)
    server = ReplicaProcess("--articles", str(args.articles))
    try:
        try:
            server.ready()
        except RuntimeError as error:
            print(error, file=sys.stderr)
            return 1
        print(f"Replica of www.alanews.it serving {args.articles} articles at {server.url}", file=sys.stderr)
        path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "alanews.settings", "PYTHONPATH": path}
        with tempfile.TemporaryDirectory(prefix="alanews-demo-") as data:
            return subprocess.call([
                sys.executable, "-m", "scrapy", "crawl", *crawl_args,
                "-s", f"ALANEWS_BASE_URL={server.url}", "-s", f"ALANEWS_DATA_DIR={data}", *FAST,
            ], env=env)
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
