"""ArticleLoader: which processor normalises which field.

Page classes add candidate values in priority order (structured data first);
input processors clean each candidate and drop the unusable ones, and
``TakeFirst`` keeps the best that survived.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import ClassVar

from itemloaders.processors import Compose, Identity, MapCompose, TakeFirst
from scrapy.loader import ItemLoader

from alanews.dates import ROME, parse_date, repeated, second_occurrence, to_iso
from alanews.items import Article
from alanews.processors import MAX_POST_ID, absolute_url, canonical_url, clean_text, join_blocks, post_id

logger = logging.getLogger(__name__)

# A date later than the fetch by more than this is a typo or a clock error, not news.
FUTURE_TOLERANCE = timedelta(days=1)

LIST_FIELDS = ("tags", "related_urls")


def _count(loader_context, stat: str) -> None:
    """``stat`` counted, when the page is read with the crawl's stats (``ArticlePage.to_item(stats)``)."""
    stats = loader_context.get("stats_collector")
    if stats is not None:
        stats.inc_value(stat)


def _canonical(value, loader_context):
    return canonical_url(value, loader_context["base_url"])


def _absolute(value, loader_context):
    """``value`` made absolute; one that is no http(s) URL (a lazy-load ``about:blank``, ``data:``,
    ``//[::1/``) is dropped, not the item the schema would then reject (WARNING, stat
    ``alanews/links/not_url``): the next candidate gives the field."""
    value = (value or "").strip()
    if not value:
        return None
    url = absolute_url(value, loader_context["base_url"])
    if url is None or canonical_url(url) is None:
        logger.warning("Ignored %r on %s: not an http(s) URL", value, loader_context["base_url"])
        _count(loader_context, "alanews/links/not_url")
        return None
    return url


def _post_id(value, loader_context):
    """The post id in ``value``; one no post has is dropped, with a WARNING and the stat
    ``alanews/article/bad_post_id``, and the next candidate gives the field: 0 made the schema
    reject the article, and past ``MAX_POST_ID`` the state could not record it."""
    found = post_id(value)
    if found is None or 0 < found <= MAX_POST_ID:
        return found
    logger.warning("Ignored post id %r on %s: no post has it", value, loader_context["base_url"])
    _count(loader_context, "alanews/article/bad_post_id")
    return None


def _first_date(values, loader_context):
    """The first candidate that reads as a date, as ``[iso]``, or ``[]``.

    Candidates come best first; only those up to the first usable one are judged, so a
    lower-ranked source that cannot be read costs nothing and is never reported once a better
    one gave the field. Each judged candidate that is unreadable or in the future gets a
    warning and a stat (``alanews/date/unreadable``, ``alanews/date/future``).
    """
    now = loader_context["now"]
    for i, value in enumerate(values):
        parsed = parse_date(value, now)
        if repeated(parsed):  # the autumn hour: the later sources may say which of its two instants
            parsed = second_occurrence(parsed, value, values[i + 1:], now)
        iso = None if parsed is None else to_iso(parsed)
        if iso is None and clean_text(value):
            problem = "unreadable"
        elif iso is not None and iso[:10] > (now + FUTURE_TOLERANCE).astimezone(ROME).date().isoformat():
            problem = "future"
        else:
            if iso is not None:
                return [iso]
            continue
        logger.warning("%s date %r on %s", problem.capitalize(), value, loader_context["base_url"])
        _count(loader_context, f"alanews/date/{problem}")
    return []


def _unique(values):
    return list(dict.fromkeys(values))


class ArticleLoader(ItemLoader):
    default_item_class = Article
    default_input_processor = MapCompose(clean_text)
    default_output_processor = TakeFirst()

    url_in = MapCompose(_canonical)
    published_in = Compose(_first_date)
    modified_in = Compose(_first_date)
    tags_out = Compose(_unique)
    body_in = Identity()
    body_out = Compose(join_blocks)
    image_url_in = MapCompose(_absolute)
    video_url_in = MapCompose(_absolute)
    related_urls_in = MapCompose(_canonical)
    related_urls_out = Compose(_unique)
    post_id_in = MapCompose(_post_id)

    # The processor of a field never changes: looked up once per field, not per value
    # (itemloaders looks up attributes and the item's field metadata on every add_value).
    _processors: ClassVar[dict[tuple[type, str, str], Callable]] = {}

    def get_input_processor(self, field_name: str) -> Callable:
        key = (type(self), field_name, "in")
        if key not in self._processors:
            self._processors[key] = super().get_input_processor(field_name)
        return self._processors[key]

    def get_output_processor(self, field_name: str) -> Callable:
        key = (type(self), field_name, "out")
        if key not in self._processors:
            self._processors[key] = super().get_output_processor(field_name)
        return self._processors[key]

    def load_item(self):
        """Every field present: None, or [] for lists, where the page had nothing."""
        item = super().load_item()
        for name in item.fields:
            if name not in item:
                item[name] = [] if name in LIST_FIELDS else None
        return item
