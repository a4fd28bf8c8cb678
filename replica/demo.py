"""Offline demo: serve the replica on loopback and crawl it with a real `scrapy crawl`.

    python -m replica.demo esteri -o demo.jsonl [--articles 300] [more scrapy crawl options]

The demo's site and state stay the same for a given output, so that `-o FILE` twice adds nothing
the second time, as any `-o` run promises. The crawl's state (ALANEWS_DATA_DIR) is
:func:`state_dir`, one directory per output and site size under ``$XDG_CACHE_HOME/alanews/demo/``
(``~/.cache`` by default), apart from the real crawls' ``data/``. The site's URLs name its port:
the first run serves on :data:`PORT` (a free one when that is taken) and the state remembers it
(``port``); a later run whose port is taken stops with one line and exit 1 rather than crawl a
site of other URLs, whose articles the state would not know. `scrapy crawl` runs in the caller's
working directory (relative -o/-O paths are the caller's) and finds the project through
SCRAPY_SETTINGS_MODULE and PYTHONPATH, so the demo works from any directory. Its exit status is
the crawl's.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import socket
import subprocess
import sys
from pathlib import Path

from replica.harness import ROOT, ReplicaProcess

# politeness off: the replica is ours and on loopback
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16"]
PORT = 8765  # the demo's site keeps its URLs from run to run
FEED_OPTIONS = ("-o", "-O", "--output", "--overwrite-output")


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """The demo's own options; every other argument goes to `scrapy crawl` as given."""
    parser = argparse.ArgumentParser(
        prog="python -m replica.demo", allow_abbrev=False,
        usage="%(prog)s SPIDER [--articles N] [scrapy crawl options, e.g. -O esteri.jsonl -a max_pages=2]",
        description=f"Start the replica of www.alanews.it on loopback port {PORT} (another if taken; later runs "
                    "for the same output use the port their state remembers), crawl it with `scrapy crawl SPIDER` "
                    "(politeness off; the state for each output under $XDG_CACHE_HOME/alanews/demo/, so -o twice "
                    "adds nothing), stop the replica. Without -o/-O it writes SPIDER.jsonl (-O). Exits with the "
                    "crawl's status.",
        epilog="Every argument but --articles and -h goes to `scrapy crawl` (see `scrapy crawl -h`); "
               "spiders: `scrapy list`.")
    parser.add_argument("--articles", type=int, default=300, help="articles the replica serves (default 300)")
    args, crawl_args = parser.parse_known_args(argv)
    if not crawl_args:
        parser.error("a spider is needed, e.g. esteri")
    if args.articles < 1:
        parser.error("--articles must be a positive integer")
    if not outputs(crawl_args):
        # the state lives in a cache: without a feed of the user's, the articles would go nowhere
        crawl_args += ["-O", f"{crawl_args[0]}.jsonl"]
        print(f"No -o/-O given: writing {crawl_args[-1]}", file=sys.stderr)
    return args, crawl_args


def outputs(crawl_args: list[str]) -> list[str]:
    """The feed URIs of ``-o``/``-O`` (``-o FILE``, ``-oFILE``, ``--output=FILE``), as given."""
    found = []
    for i, arg in enumerate(crawl_args):
        if arg in FEED_OPTIONS:
            found += crawl_args[i + 1:i + 2]
        elif arg.startswith(("--output=", "--overwrite-output=")):
            found.append(arg.split("=", 1)[1])
        elif arg.startswith(("-o", "-O")) and not arg.startswith("--"):
            found.append(arg[2:])
    return found


def state_dir(crawl_args: list[str], articles: int) -> Path:
    """``$XDG_CACHE_HOME/alanews/demo/<key>``: the key names the outputs (absolute, so the same file
    from any directory is one key) and the site's size (another size is another site)."""
    feeds = sorted(uri if "://" in uri else os.path.abspath(uri) for uri in outputs(crawl_args))
    key = hashlib.sha256(repr((feeds, articles)).encode()).hexdigest()[:16]
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(cache) / "alanews" / "demo" / key


def free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def start(articles: int, port: int, fallback: bool) -> ReplicaProcess | None:
    """The replica serving on ``port``, or with ``fallback`` on a free one if another process took
    ``port`` meanwhile (two demos starting at once); None, the reason printed, if it did not start."""
    server = ReplicaProcess("--articles", str(articles), port=port)
    try:
        return server.ready()
    except RuntimeError as error:
        if fallback and port:
            return start(articles, 0, fallback=False)
        print(error, file=sys.stderr)
        return None


def main(argv: list[str]) -> int:
    args, crawl_args = parse_args(argv)
    data = state_dir(crawl_args, args.articles)
    remembered = data / "port"
    if remembered.exists():
        port = int(remembered.read_text())
        if not free(port):
            print(f"Not started: port {port} of this output's demo site is taken (another demo of it "
                  f"running?); wait, or remove {data} to start afresh", file=sys.stderr)
            return 1
    else:
        port = PORT if free(PORT) else 0
    server = start(args.articles, port, fallback=not remembered.exists())
    if server is None:
        return 1
    try:
        data.mkdir(parents=True, exist_ok=True)
        remembered.write_text(server.url.rsplit(":", 1)[1])
        print(f"Replica of www.alanews.it serving {args.articles} articles at {server.url}; "
              f"the demo's state for this output: {data} (remove it to start afresh)", file=sys.stderr)
        path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "alanews.settings", "PYTHONPATH": path}
        return subprocess.call([
            sys.executable, "-m", "scrapy", "crawl", *crawl_args,
            "-s", f"ALANEWS_BASE_URL={server.url}", "-s", f"ALANEWS_DATA_DIR={data}", *FAST,
        ], env=env)
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
