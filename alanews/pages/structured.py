"""JSON-LD blocks of a WordPress page: Yoast's graph and JNews's own NewsArticle."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

ARTICLE_TYPES = {"NewsArticle", "Article", "BlogPosting", "ReportageNewsArticle", "VideoObject"}


def _types(node: dict) -> set[str]:
    value = node.get("@type", ())
    return {value} if isinstance(value, str) else set(value)


@dataclass
class JsonLd:
    """The article and image nodes found in one page's JSON-LD, and how many blocks were broken."""

    yoast_article: dict = field(default_factory=dict)
    other_article: dict = field(default_factory=dict)
    primary_image: dict = field(default_factory=dict)
    people: dict = field(default_factory=dict)
    invalid_blocks: int = 0

    @classmethod
    def from_scripts(cls, scripts: list[tuple[str, str]]) -> JsonLd:
        """``scripts`` are (class attribute, text) of every ld+json script, in page order."""
        found = cls()
        for css_class, text in scripts:
            try:
                data = json.loads(text)
            except ValueError:
                found.invalid_blocks += 1
                continue
            nodes = data.get("@graph", [data]) if isinstance(data, dict) else data
            for node in nodes if isinstance(nodes, list) else ():
                if not isinstance(node, dict):
                    continue
                types = _types(node)
                if "Person" in types and node.get("@id"):
                    found.people[node["@id"]] = node
                if "ImageObject" in types and str(node.get("@id", "")).endswith("#primaryimage"):
                    found.primary_image = node
                if types & ARTICLE_TYPES:
                    target = "yoast_article" if "yoast" in (css_class or "") else "other_article"
                    if not getattr(found, target):
                        setattr(found, target, node)
        return found

    @property
    def articles(self) -> list[dict]:
        """Article nodes, Yoast's (UTC, complete) before the theme's (local time)."""
        return [n for n in (self.yoast_article, self.other_article) if n]

    def author_names(self) -> list[str]:
        names = []
        for node in self.articles:
            authors = node.get("author") or []
            for author in authors if isinstance(authors, list) else [authors]:
                if isinstance(author, str):
                    names.append(author)
                elif isinstance(author, dict):
                    person = self.people.get(author.get("@id"), {})
                    name = author.get("name") or person.get("name")
                    if isinstance(name, str):
                        names.append(name)
        return names

    def values(self, key: str) -> list[str]:
        """String values of ``key`` in the article nodes, in priority order."""
        return [n[key] for n in self.articles if isinstance(n.get(key), str)]
