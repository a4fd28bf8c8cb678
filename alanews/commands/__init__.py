"""alanews's Scrapy commands (``COMMANDS_MODULE``): ``crawl`` with a data-quality exit status."""
