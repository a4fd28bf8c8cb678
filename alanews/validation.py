"""Every article is validated against its JSON Schema before it is written; field coverage.

:data:`ARTICLE_SCHEMA` is ``alanews/schema/article.schema.json`` (read as package data,
so it works from a Scrapyd egg and from any working directory).

:class:`ArticleValidationPipeline` is Spidermon's ``ItemValidationPipeline`` (JSON Schema,
``spidermon/validation/*`` stats), on its public methods only, with:

* field coverage counted on every item that reaches it, valid or not, *before* validation
  drops the invalid ones (so a field the site stopped serving shows its real coverage, not
  100% of the survivors), written to the stats when the spider closes:
  ``alanews/fields/items``, ``alanews/fields/<field>`` (items where the field is not
  null/""/[]) and ``alanews/coverage/<field>`` (ratio 0..1). ``published_time`` is a derived field:
  ``published`` carries a time of day,
  not the date alone (the date alone comes from the permalink when every dated source is gone);
* a null in a field the schema wants non-null reads "Missing required field" (every key is
  always present in our items, so "missing" is null), as an absent key does;
* an invalid item is logged on one WARNING line with its URL and failing fields, and dropped
  quietly (Scrapy's own "Dropped:" line would dump the whole item);
* speed: the schema is also compiled by fastjsonschema (Python code generated once), which
  checks a valid item in ~15 µs; jsonschema (~200 µs) runs only on an item that check rejects,
  to give Spidermon its messages, and its verdict is the one kept. The item is read once, as a
  shallow dict (Spidermon's ``asdict()`` deep-copies every list).

The schema is always the article schema and an invalid article is always dropped
(``SPIDERMON_VALIDATION_*`` settings are not read).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from importlib import resources
from typing import ClassVar

import fastjsonschema
from itemadapter import ItemAdapter
from scrapy.exceptions import NotConfigured
from spidermon.contrib.scrapy.pipelines import ItemValidationPipeline
from spidermon.contrib.validation import JSONSchemaValidator, messages
from spidermon.contrib.validation.jsonschema.translator import JSONSchemaMessageTranslator

from alanews.decision import InvalidArticle
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


def filled_fields(item) -> tuple[str, ...]:
    """The coverage fields (:data:`COVERAGE_FIELDS`) an item fills, derived ones included."""
    values = dict(ItemAdapter(item).items())
    values.update(derived_values(values))
    return tuple(name for name in COVERAGE_FIELDS if present(values.get(name)))


def derived_values(values: dict) -> dict:
    """The derived coverage fields of an item's ``values``."""
    published = values.get("published")
    return {"published_time": published if isinstance(published, str) and "T" in published else None}


class _Translator(JSONSchemaMessageTranslator):
    messages: ClassVar[dict[str, str]] = {
        r"^None is not of type ": messages.MISSING_REQUIRED_FIELD,
        **JSONSchemaMessageTranslator.messages,
    }


class CompiledJSONSchemaValidator(JSONSchemaValidator):
    """Spidermon's JSON Schema validator behind a compiled check (see the module doc).

    ``validate(data) -> (ok, {field: [message, ...]})``: a valid item passes fastjsonschema's
    check alone; an item it rejects is judged by jsonschema, whose verdict and messages are kept.
    """

    def __init__(self, schema, translator=None):
        super().__init__(schema, translator=translator or _Translator())
        self.compiled_check = fastjsonschema.compile(schema)

    def validate(self, data, strict=False):
        try:
            self.compiled_check(data)
        except fastjsonschema.JsonSchemaException:
            return super().validate(data, strict=strict)
        return True, {}


class ArticleValidationPipeline(ItemValidationPipeline):
    """Spidermon's validation pipeline on :data:`ARTICLE_SCHEMA`: coverage first, then the schema;
    invalid items dropped (:class:`alanews.decision.InvalidArticle`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.present_fields = Counter()  # field -> items where it is present; written at close

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("SPIDERMON_ENABLED"):
            raise NotConfigured("SPIDERMON_ENABLED is off")
        return cls({Article.__name__: [CompiledJSONSchemaValidator(ARTICLE_SCHEMA)]}, crawler.stats)

    def process_item(self, item, spider=None):
        """Spidermon's ``process_item``, on one shallow dict of the item, coverage counted first."""
        validators = self.find_validators(item)
        if not validators:
            return item
        values = dict(ItemAdapter(item).items())
        self.present_fields["items"] += 1
        self.present_fields.update(filled_fields(values))
        self.stats.add_item()
        self.stats.add_fields(len(values))
        for validator in validators:
            ok, errors = validator.validate(values)
            if not ok:
                for field, messages_ in errors.items():
                    for message in messages_:
                        self.stats.add_field_error(field, message)
                self.stats.add_item_with_errors()
                self.stats.add_dropped_item()
                url = values.get("url")
                failing = "; ".join(f"{field} ({', '.join(dict.fromkeys(msgs))})"
                                    for field, msgs in sorted(errors.items()))
                logger.warning("Invalid article, not written: %s: %s", url, failing)
                raise InvalidArticle(f"Invalid article {url}: {failing}")
        return item

    def close_spider(self, spider=None):
        stats = self.stats.stats
        for name, count in self.present_fields.items():
            stats.set_value(f"alanews/fields/{name}", count)
        total = self.present_fields["items"]
        if not total:
            return
        for name in COVERAGE_FIELDS:
            stats.set_value(f"alanews/coverage/{name}", round(self.present_fields[name] / total, 4))
