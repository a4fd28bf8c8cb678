"""The one item alanews produces: an article, one JSON object per line."""

import scrapy


class Article(scrapy.Item):
    url = scrapy.Field()  # canonical absolute URL, no utm_* parameters, no fragment
    title = scrapy.Field()  # headline, entities decoded once, no trailing " - <site name>"
    subtitle = scrapy.Field()  # the standfirst under the title, or None
    author = scrapy.Field()  # byline name, or None
    published = scrapy.Field()  # ISO 8601, Europe/Rome offset; the date alone when the page gives no time
    modified = scrapy.Field()  # same form, or None when the page gives none
    category = scrapy.Field()  # display name of the primary category ("Esteri", "Calcio")
    category_path = scrapy.Field()  # category path in the permalink ("esteri", "sport/calcio")
    tags = scrapy.Field()  # tag display names in page order (the links shown, else JSON-LD keywords); [] when none
    body = scrapy.Field()  # paragraphs and sub-headings separated by a blank line, or None
    image_url = scrapy.Field()  # full-size featured image URL, or None
    image_caption = scrapy.Field()  # the featured image's caption, or None
    video_url = scrapy.Field()  # the embedded video's URL, or None
    related_urls = scrapy.Field()  # canonical URLs of the "Related Posts" block, in order
    post_id = scrapy.Field()  # WordPress post id, or None
    language = scrapy.Field()  # always "it"
    scraped_at = scrapy.Field()  # ISO 8601 UTC time of the fetch
    version = scrapy.Field()  # 1 for the article's first write, then 2, 3, ... when its content changed
