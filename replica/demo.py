"""Offline demo: serve the replica on loopback and crawl it with a real `scrapy crawl`.

    python -m replica.demo esteri -O esteri.jsonl [--articles 300] [more scrapy crawl options]

The crawl's state (ALANEWS_DATA_DIR: deltafetch) is a temporary directory, removed after:
the replica's port changes every run, so its URLs would only clutter the real crawls' state
in data/ (and a reused port would make a demo find every article "known" and write nothing).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile

from replica.harness import ReplicaProcess


def main(argv: list[str]) -> int:
    articles = "300"
    if "--articles" in argv:
        at = argv.index("--articles")
        articles = argv[at + 1]
        del argv[at:at + 2]
    server = ReplicaProcess("--articles", articles)
    try:
        try:
            server.ready()
        except RuntimeError as error:
            print(error, file=sys.stderr)
            return 1
        print(f"Replica of www.alanews.it serving {articles} articles at {server.url}", file=sys.stderr)
        with tempfile.TemporaryDirectory(prefix="alanews-demo-") as data:
            return subprocess.call([
                sys.executable, "-m", "scrapy", "crawl", *argv,
                "-s", f"ALANEWS_BASE_URL={server.url}", "-s", f"ALANEWS_DATA_DIR={data}",
                "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
                "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16",
            ])
    finally:
        server.stop()

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
