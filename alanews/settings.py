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
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_TIMES = 3

# --- feeds -------------------------------------------------------------------------
FEED_EXPORT_ENCODING = "utf-8"
FEED_EXPORT_FIELDS = list(Article.fields)

# --- attack surface: no remote code execution or console in production runs -------
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

LOG_LEVEL = "INFO"
