"""alanews settings: politeness, feeds, pipelines. Every ALANEWS_* setting is here."""

from alanews.items import Article

BOT_NAME = "alanews"
SPIDER_MODULES = ["alanews.spiders"]
NEWSPIDER_MODULE = "alanews.spiders"

# --- alanews -------------------------------------------------------------------
# Site root; every URL and the allowed domain derive from it (a replica: http://127.0.0.1:8123).
ALANEWS_BASE_URL = "https://www.alanews.it"
# Category path overrides by spider name, e.g. {"video": "video"} if the site moves a category.
ALANEWS_CATEGORY_PATHS = {}
# Where feeds (feeds/<spider>/<timestamp>.jsonl) and incremental state live.
ALANEWS_DATA_DIR = "data"

ADDONS = {"alanews.addons.DataDirFeeds": 100}
ITEM_PIPELINES = {"alanews.pipelines.DuplicatesPipeline": 100}
DOWNLOADER_MIDDLEWARES = {
    "alanews.middlewares.SameSiteMiddleware": 40,  # before any request leaves, redirects included
    "alanews.middlewares.CharsetMiddleware": 560,  # on responses: after decompression and redirects
}

# --- incremental recrawls (alanews/incremental.py) --------------------------------------
# Our DeltaFetch replaces scrapy-deltafetch's: SQLite state, keys stored once written.
SPIDER_MIDDLEWARES = {
    "scrapy_deltafetch.DeltaFetch": None,
    "alanews.incremental.DeltaFetch": 100,
}
DELTAFETCH_ENABLED = True
# State directory; None: <ALANEWS_DATA_DIR>/deltafetch. Made absolute (never data_path()).
DELTAFETCH_DIR = None
# A full crawl that forgets the state (per run: -a deltafetch_reset=1).
DELTAFETCH_RESET = False
# Feed lines reach the OS as they are exported, before deltafetch records the article.
FEED_STORAGES = {
    "": "alanews.feeds.FileFeedStorage",
    "file": "alanews.feeds.FileFeedStorage",
}

# --- politeness (turn off for a replica: -s DOWNLOAD_DELAY=0 -s AUTOTHROTTLE_ENABLED=False) ---
USER_AGENT = "alanews-crawler/1.0 (Italian news archive; +https://github.com/alanews/alanews)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# --- limits ----------------------------------------------------------------------
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024  # an article page is ~150 KB; also bounds decompressed size
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_TIMES = 3
REDIRECT_MAX_TIMES = 5  # WordPress needs one or two (slash, /category/ base)

# --- feeds -------------------------------------------------------------------------
FEED_EXPORT_ENCODING = "utf-8"
FEED_EXPORT_FIELDS = list(Article.fields)

# --- attack surface: no remote code execution or console in production runs -------
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

LOG_LEVEL = "INFO"

