"""The 12 category spiders and ``alanews``, which crawls them all; ``archive``, ``updates`` and ``audit``, which read the sitemaps."""
