"""alanews settings: politeness, feeds, pipelines. Every ALANEWS_* setting is here.

Every ALANEWS_* and DELTAFETCH_* setting can also come from the environment (see the end).
"""

import os
from pathlib import Path

from scrapy.utils.conf import closest_scrapy_cfg

from alanews.items import Article

BOT_NAME = "alanews"
SPIDER_MODULES = ["alanews.spiders"]
NEWSPIDER_MODULE = "alanews.spiders"

# --- alanews -------------------------------------------------------------------
# Site root; every URL and the allowed domain derive from it (a replica: http://127.0.0.1:8123).
ALANEWS_BASE_URL = "https://www.alanews.it"
# Category path overrides by spider name, e.g. {"video": "video"} if the site moves a category.
ALANEWS_CATEGORY_PATHS = {}
# Where feeds (feeds/<spider>/<timestamp>.jsonl) and incremental state live: data/ beside the
# project's scrapy.cfg (the one Scrapy found, from the working directory up), whatever directory of
# the checkout a command runs from. Without a scrapy.cfg (a Scrapyd job runs from the egg): data/
# in the working directory, unless the environment sets ALANEWS_DATA_DIR. A relative value given
# with -s or the environment is taken from the working directory.
ALANEWS_DATA_DIR = str(Path(closest_scrapy_cfg() or "scrapy.cfg").parent / "data")
# A bound on a category walk, for a pagination that never ends: listing pages read per category
# (the walk then stops with a WARNING and alanews/listing/max_pages, and is not complete).
# 10,000 pages hold 100,000 posts; raise it for a larger archive.
ALANEWS_MAX_LISTING_PAGES = 10000
# Sitemap spiders and the audit (alanews/spiders/sitemaps.py, `scrapy audit`): hours after which a
# post of the sitemaps the feeds lack makes the audit fail (exit 3); younger ones may still be on
# their way through the hourly category crawls.
ALANEWS_AUDIT_GRACE = 6
# `scrapy crawl updates` on sitemaps without lastmod (WordPress core): articles published in the
# last this many hours are fetched again, and written again when their content changed.
ALANEWS_UPDATES_MAX_AGE = 48
# `scrapy crawl updates`: a post the sitemaps list that answers 404/410 is recorded removed only when it
# answered so on an updates run at least this many hours before (0: at once); a first answer is retried.
ALANEWS_REMOVAL_CONFIRM_HOURS = 3
# `scrapy crawl updates`: a post whose state is uncertain is requested again at most once in this many
# hours (0: every run): a written post the sitemaps leave out while its page answers (noindex), after
# it last answered; a listed post recorded removed, after it was last asked (at once when it reappears).
ALANEWS_UPDATES_RECHECK_HOURS = 24
# `scrapy crawl latest` (the site's RSS feed): hours the feed's newest post may be older than the
# newest post the state knows (of that category, with -a category) before the feed is judged stale
# (a cache serving an old copy) and page 1 of each category archive is walked instead.
ALANEWS_FEED_MAX_LAG = 6
# `scrapy crawl latest`: hours the feed's newest post (publication dates in the future ignored) may be
# older than now before the feed is judged stale (a frozen cache while only latest runs), unless a
# complete walk of every archive started within as many hours; 0: not judged by age (the default:
# with the category crawls scheduled, ALANEWS_FEED_MAX_LAG sees a frozen feed; set e.g. 24 when
# latest runs alone).
ALANEWS_FEED_MAX_AGE = 0

# Every ALANEWS_*/DELTAFETCH_* name and value checked before any request (alanews/checks.py); then
# the default feed under ALANEWS_DATA_DIR for `scrapy crawl`; Scrapy's tools (shell, fetch, view,
# parse) write no feed and leave the incremental state alone (alanews/addons.py).
ADDONS = {"alanews.addons.CheckedSettings": 0, "alanews.addons.DataRun": 100}
ITEM_PIPELINES = {
    # in-run duplicates, known posts under another URL, unchanged content dropped; every item's version
    "alanews.decision.WriteDecisionPipeline": 100,
    "alanews.validation.ArticleValidationPipeline": 200,  # JSON Schema; see "data quality" below
    # last: the article claimed (and the one before it recorded) just before the feeds take it
    "alanews.ledger.Claim": 900,
}
DOWNLOADER_MIDDLEWARES = {
    "alanews.middlewares.SameSiteMiddleware": 40,  # before any request leaves, redirects included
    # on responses: after decompression and redirects, before MetaRefreshMiddleware (580) reads the text
    "alanews.middlewares.CharsetMiddleware": 585,
    # retries wait 1, 2, 4 s (ALANEWS_RETRY_BACKOFF) and are logged; Scrapy's own retries at once
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "alanews.middlewares.BackoffRetryMiddleware": 550,
    "alanews.middlewares.RedirectLoopMiddleware": 610,  # sees a 3xx before RedirectMiddleware (600)
    # robots.txt read as RFC 9309 says: 5xx or no answer disallows all for the run, 4xx allows all
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "alanews.middlewares.RobotsTxtMiddleware": 100,
    # the site unreachable before its first answer (DNS, refused): the run stops, not retried
    "alanews.reachability.SiteReachability": 555,
}

# --- incremental recrawls (alanews/ledger.py, alanews/known.py) --------------------------------------
# Our DeltaFetch replaces scrapy-deltafetch's: SQLite state, keys stored once written.
SPIDER_MIDDLEWARES = {
    "scrapy_deltafetch.DeltaFetch": None,
    # scrapy-deltafetch on the article ledger: requests of articles written before are not sent
    "alanews.known.KnownArticles": 100,
}
DELTAFETCH_ENABLED = True
# State directory; None: <ALANEWS_DATA_DIR>/deltafetch. Made absolute (never data_path()).
DELTAFETCH_DIR = None
# A full crawl that forgets the state (per run: -a deltafetch_reset=1).
DELTAFETCH_RESET = False
# Where a recrawl stops walking an archive, if the previous walk was complete:
# "oldest_known": at the first listing page whose oldest main-list post an earlier run wrote
# (new posts sit above it; older ones were all read): 1 listing page per category.
# "all_known": one page later, at the first page whose main-list posts are all known
# (also finds a post back-dated onto the next page). "off": walk every page, fetch only the new.
DELTAFETCH_EARLY_STOP = "oldest_known"
# An article that failed (HTTP error, no answer, robots.txt, invalid item) is requested again
# by this many later runs, whatever their walks read; then given up (a WARNING, counted in
# deltafetch/failed/given_up), fetched again only when a listing page a walk reads lists it.
DELTAFETCH_RETRY_RUNS = 3
# The article ledger (alanews/ledger.py) fsyncs the feeds then commits the state every this many
# articles, and at least every ALANEWS_LEDGER_FLUSH_INTERVAL seconds: a kill or a power cut
# makes the next run write again at most this many articles (1: only the one being written).
ALANEWS_LEDGER_FLUSH_ITEMS = 1
ALANEWS_LEDGER_FLUSH_INTERVAL = 1.0
# Sitemap indexes nested deeper than this (an index naming an index naming ...) are not read: a
# WARNING, the stat alanews/sitemap/max_depth, an inventory that is not complete.
ALANEWS_SITEMAP_MAX_DEPTH = 2
# At most this many post sitemap files are read (the newest; the rest: one WARNING, the stat
# alanews/sitemap/bound/files, an inventory that is not complete), each at most this many bytes
# (the sitemap protocol's 50 MiB; a longer one fails as too large: that file is not read whole).
ALANEWS_SITEMAP_MAX_FILES = 1000
ALANEWS_SITEMAP_MAX_BYTES = 50 * 1024 * 1024
# Scrapy's storages that say whether they stored (alanews/feeds.py): deltafetch records an article
# only once every feed holds it for good. Local files and stdout are written through at once.
FEED_STORAGES = {
    "": "alanews.feeds.FileFeedStorage",
    "file": "alanews.feeds.FileFeedStorage",
    "stdout": "alanews.feeds.StdoutFeedStorage",
    "ftp": "alanews.feeds.FTPFeedStorage",
    "ftps": "alanews.feeds.FTPFeedStorage",
    "s3": "alanews.feeds.S3FeedStorage",
    "gs": "alanews.feeds.GCSFeedStorage",
}

# --- politeness (turn off for a replica: -s DOWNLOAD_DELAY=0 -s AUTOTHROTTLE_ENABLED=False) ---
USER_AGENT = "alanews-crawler/1.0 (Italian news archive; +https://github.com/alanews/alanews)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# Callback outputs processed in parallel per response: Scrapy starts this many asyncio tasks for
# every response (default 100). Nothing in our pipelines waits, so one task does the same work
# (an article page yields its item and a request or two): 30 us a page instead of 60 us at 8.
CONCURRENT_ITEMS = 1
# Scrapy re-reads and re-parses a generator callback's source for every response to warn about
# `return value` (its cache is keyed by the bound method, new each time): ~0.3 ms a page.
# Our callbacks return nothing; tests/test_crawl.py checks them once.
WARN_ON_GENERATOR_RETURN_VALUE = False
DOWNLOAD_DELAY = 1.0
# Pages are read anonymously: no session to keep. Scrapy's broad-crawl advice; saves the
# cookie jar's work on every request and response.
COOKIES_ENABLED = False
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
# A stop (Ctrl-C, SIGTERM) cancels the downloads in flight rather than wait for them, one a
# delay apart; their requests go back to the scheduler (alanews/downloader.py). False: Scrapy's wait.
DOWNLOADER = "alanews.downloader.Downloader"
ALANEWS_STOP_CANCELS_DOWNLOADS = True

# --- limits ----------------------------------------------------------------------
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024  # an article page is ~150 KB; also bounds decompressed size
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_TIMES = 3
REDIRECT_MAX_TIMES = 5  # WordPress needs one or two (slash, /category/ base)
# Retry n of a request waits ALANEWS_RETRY_BACKOFF * 2**(n-1) s, at most ALANEWS_RETRY_BACKOFF_MAX:
# with RETRY_TIMES = 3, a site down for up to 7 s loses nothing.
ALANEWS_RETRY_BACKOFF = 1.0
ALANEWS_RETRY_BACKOFF_MAX = 30.0
# Before the site's first answer, a DNS failure or a refused connection ends the run at once
# (finish reason site_unreachable, exit status 4: alanews/reachability.py); False: retried.
ALANEWS_STOP_IF_UNREACHABLE = True

# --- feeds -------------------------------------------------------------------------
FEED_EXPORT_ENCODING = "utf-8"
# A run that writes nothing makes no feed file and leaves an existing one as it was (alanews/feeds.py).
FEED_STORE_EMPTY = False
FEED_EXPORT_FIELDS = list(Article.fields)

# --- attack surface: no remote code execution or console in production runs -------
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

LOG_LEVEL = "INFO"

# --- data quality: schema validation, field coverage, monitors, run summary ----------
# Every item is checked against alanews/schema/article.schema.json before it is written;
# an invalid one is dropped, logged (WARNING, URL and failing fields), counted in
# spidermon/validation/*. Coverage per field: alanews/fields/*, alanews/coverage/*.
# Spidermon (monitors at spider close; no stats-history collector: it fails under Scrapyd)
# and the run summary (logged, and written as <feed name>.summary.json beside the feed).
EXTENSIONS = {
    # Scrapy's FeedExporter, telling which items every feed holds for good (alanews/feeds.py)
    "scrapy.extensions.feedexport.FeedExporter": None,
    "alanews.feeds.FeedExporter": 0,
    # the state: run mode, lock, what was written (recorded once the feeds hold it on disk), failures
    "alanews.ledger.ArticleLedger": 10,
    # resuming: a JOBDIR left by a killed crawl is walked again, not trusted
    "alanews.jobdir.JobDirGuard": 0,
    "alanews.monitors.Monitors": 500,
    "alanews.summary.RunSummary": 600,
    # archive, audit --fetch, updates: done/total, rate, time left (a bar on a terminal)
    "alanews.progress.Progress": 0,
}
# Seconds between the sitemap spiders' progress lines (alanews/progress.py), as LogStats's
# LOGSTATS_INTERVAL; 0: only the line at close.
ALANEWS_PROGRESS_INTERVAL = 60.0
# `scrapy crawl` exits 3 when a monitor failed, 4 when the site is unreachable, 5/6 when stopped
# by the user (alanews/commands/crawl.py); `scrapy parse` guesses the callback (alanews/commands/parse.py).
COMMANDS_MODULE = "alanews.commands"
# ALANEWS_MONITORS turns the monitors and the summary on; ALANEWS_DATA_RUN the default feed and
# the incremental state (alanews/addons.py). Not set here: `scrapy crawl` (so Scrapyd) sets them;
# shell/fetch/view/parse/check leave them off; a CrawlerProcess script sets them itself.
SPIDERMON_ENABLED = True
SPIDERMON_SPIDER_CLOSE_MONITORS = ["alanews.monitors.RunMonitors"]
SPIDERMON_EXPECTED_FINISH_REASONS = ["finished"]
SPIDERMON_MAX_ERRORS = 0  # any ERROR line (an exception, a page given up after retries) fails the run
# Articles written + skipped as already known: a quiet incremental run writes none and passes.
ALANEWS_MONITOR_MIN_ITEMS = 1
# Invalid items tolerated: this share of the items checked, and never fewer than this many.
ALANEWS_MONITOR_MAX_INVALID = 0.02
ALANEWS_MONITOR_MAX_INVALID_ITEMS = 1
# Items whose title, published date or category came from its last resort (<title> or the one h1,
# the permalink), per field: this share of the items extracted, and never fewer than this many.
# More means the field's usual source moved (a theme update): the "Field sources" monitor fails.
ALANEWS_MONITOR_MAX_FALLBACK = 0.02
ALANEWS_MONITOR_MAX_FALLBACK_ITEMS = 1
# Minimum share of extracted items holding each field (null, "" and [] do not count),
# judged once ALANEWS_COVERAGE_MIN_ITEMS items were extracted. Normal variation on the
# site: subtitle, image, caption, tags, author each missing on ~10-25% of articles; a
# selector that stops matching takes a field to ~0%. body and video_url are not ruled
# (video posts have no text; the schema requires body on the others).
ALANEWS_COVERAGE_MIN_ITEMS = 20
# A run with fewer items is judged over the last this many articles any run of the data
# directory wrote (the state keeps which fields each filled): hourly runs are judged too.
ALANEWS_COVERAGE_WINDOW = 20
ALANEWS_COVERAGE_RULES = {
    "url": 0.98, "title": 0.98, "published": 0.98, "category_path": 0.98, "category": 0.98,
    "modified": 0.5, "subtitle": 0.5, "author": 0.5, "tags": 0.5,
    "image_url": 0.5, "image_caption": 0.4, "related_urls": 0.5, "post_id": 0.9,
}
# Minimum share of extracted items whose published carries a time of day (not the permalink's date
# alone): the "Time of day" monitor, judged as the coverage rules are.
ALANEWS_TIME_OF_DAY_MIN = 0.5

# --- from the environment ------------------------------------------------------------
# Any ALANEWS_* or DELTAFETCH_* setting above may be set in the environment instead, e.g.
# `ALANEWS_DATA_DIR=/srv/alanews scrapy crawl esteri`, or in Scrapyd's environment file.
# Precedence: -s NAME=VALUE, then the environment, then this file. A value is read as its -s
# form would be: DELTAFETCH_RESET=1, ALANEWS_CATEGORY_PATHS='{"video": "video"}'. A variable of
# these prefixes that is no setting (ALANEWS_DAT_DIR) stops the run (alanews/checks.py).
globals().update({name: value for name, value in os.environ.items()
                  if name.startswith(("ALANEWS_", "DELTAFETCH_")) and name in globals()})
