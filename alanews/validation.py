"""Every article is validated against its JSON Schema before it is written; field coverage.

:data:`ARTICLE_SCHEMA` is ``alanews/schema/article.schema.json`` (read as package data,
so it works from a Scrapyd egg and from any working directory).

:class:`ArticleValidationPipeline` is Spidermon's ``ItemValidationPipeline`` (JSON Schema,
``spidermon/validation/*`` stats, ``SPIDERMON_VALIDATION_DROP_ITEMS_WITH_ERRORS``) with:

* field coverage counted on every item that reaches it, valid or not, *before* validation
  drops the invalid ones (so a field the site stopped serving shows its real coverage, not
  100% of the survivors): ``alanews/fields/items``, ``alanews/fields/<field>`` (items where
  the field is not null/""/[]) and, when the spider closes, ``alanews/coverage/<field>``
  (ratio 0..1). ``published_time`` is a derived field: ``published`` carries a time of day,
  not the date alone (the date alone comes from the permalink when every dated source is gone);
* a null in a field the schema wants non-null reads "Missing required field" (every key is
  always present in our items, so "missing" is null), as an absent key does;
* an invalid item is logged on one WARNING line with its URL and failing fields, and dropped
  quietly (Scrapy's own "Dropped:" line would dump the whole item).
"""

from __future__ import annotations

import json
import logging
from importlib import resources
from typing import ClassVar

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem, NotConfigured
from spidermon.contrib.scrapy.pipelines import ItemValidationPipeline
from spidermon.contrib.validation import JSONSchemaValidator, messages
from spidermon.contrib.validation.jsonschema.tools import get_schema_from
from spidermon.contrib.validation.jsonschema.translator import JSONSchemaMessageTranslator

from alanews.items import Article

logger = logging.getLogger(__name__)

ARTICLE_SCHEMA: dict = json.loads(
    resources.files("alanews").joinpath("schema", "article.schema.json").read_text("utf-8")
)

#: fields whose coverage is counted: the item's, then the derived ones
COVERAGE_FIELDS = (*Article.fields, "published_time")


_FIELD_ERRORS = "spidermon/validation/fields/errors/"


def field_errors(stats: dict) -> dict[tuple[str, str], int]:
    """Validation failures by (field, error), from Spidermon's ``…/fields/errors/<error>/<field>`` stats."""
    found = {}
    for key, value in stats.items():
        if key.startswith(_FIELD_ERRORS) and key.count("/") == 5:
            error, field = key[len(_FIELD_ERRORS):].split("/")
            found[(field, error)] = value
    return found


def present(value) -> bool:
    return value is not None and value != "" and value != [] and value != {}


def field_values(item) -> dict:
    """The item's fields and the derived ones, for coverage."""
    values = dict(ItemAdapter(item).items())  # shallow: asdict() would copy every list, twice per item
    published = values.get("published")
    values["published_time"] = published if isinstance(published, str) and "T" in published else None
    return values


class _Translator(JSONSchemaMessageTranslator):
    messages: ClassVar[dict[str, str]] = {
        r"^None is not of type ": messages.MISSING_REQUIRED_FIELD,
        **JSONSchemaMessageTranslator.messages,
    }


class ArticleValidationPipeline(ItemValidationPipeline):
    """Spidermon's validation pipeline: coverage first, then the schema; invalid items dropped."""

    @classmethod
    def _load_jsonschema_validator(cls, schema):
        if isinstance(schema, str):  # a JSON file, a URL, or an object path (ours)
            schema = get_schema_from(schema)
        if not isinstance(schema, dict):
            raise NotConfigured(f"Invalid JSON Schema: {schema!r}")
        return JSONSchemaValidator(schema, translator=_Translator())

    def process_item(self, item, spider=None):
        self._count_coverage(item)
        return super().process_item(item, spider)

    def _count_coverage(self, item) -> None:
        stats = self.stats.stats
        stats.inc_value("alanews/fields/items")
        for name, value in field_values(item).items():
            if present(value):
                stats.inc_value(f"alanews/fields/{name}")

    def close_spider(self, spider=None):
        stats = self.stats.stats
        total = stats.get_value("alanews/fields/items", 0)
        if not total:
            return
        for name in COVERAGE_FIELDS:
            stats.set_value(f"alanews/coverage/{name}", round(stats.get_value(f"alanews/fields/{name}", 0) / total, 4))

    def _drop_item(self, item, errors):
        url = ItemAdapter(item).get("url")
        failing = "; ".join(f"{field} ({', '.join(dict.fromkeys(msgs))})" for field, msgs in sorted(errors.items()))
        logger.warning("Invalid article, not written: %s: %s", url, failing)
        self.stats.add_dropped_item()
        raise DropItem(f"Invalid article {url}: {failing}", log_level="DEBUG")
