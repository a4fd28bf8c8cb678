"""The 12 category spiders and ``alanews``, which crawls them all."""
