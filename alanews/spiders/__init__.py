"""The 12 category spiders and ``alanews``, which crawls them all; ``latest``, which reads the RSS feed;
``archive``, ``updates`` and ``audit``, which read the sitemaps."""
