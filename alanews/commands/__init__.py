"""alanews's Scrapy commands (``COMMANDS_MODULE``): ``crawl`` and ``parse`` with exit statuses scripts can rely on."""
