"""JSON-LD blocks of a WordPress page, ranked by who wrote them.

Yoast's graph (``class="yoast-schema-graph"``) is the most trusted source of a post's data: complete,
its dates in UTC with their offset. Every other block ranks below the ``article:*`` meta: All in
One SEO's (``aioseo-schema``: dates seen hours off, the UTC clock time with the local offset), Rank
Math's (``rank-math-schema*``: its ``keywords`` is the SEO focus keyword, not the tags), then any
other, then the JNews theme's own (no class: ``"@type": "article"`` in lower case,
``datePublished`` in Rome local time and ``dateModified`` in GMT, both without an offset).
Types compare case-insensitively. String values come back with their HTML entities decoded once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from alanews.processors import decode_entities

YOAST, AIOSEO, RANK_MATH, OTHER, THEME = "yoast", "aioseo", "rank_math", "other", "theme"
# Below Yoast, in this order of trust
_OTHERS_RANK = {AIOSEO: 0, RANK_MATH: 1, OTHER: 2, THEME: 3}

ARTICLE_TYPES = frozenset((
    "article", "newsarticle", "blogposting", "reportagenewsarticle", "analysisnewsarticle",
    "opinionnewsarticle", "backgroundnewsarticle", "reviewnewsarticle", "liveblogposting", "report",
))
_NAIVE_TIME_LENGTHS = (16, 19)  # "2025-12-11 10:15", "2025-12-11 10:15:00"


def source_of(css_class: str | None) -> str:
    """Who wrote a JSON-LD block, from its script's class attribute."""
    tokens = (css_class or "").split()
    if not tokens:
        return THEME
    if any(t.startswith("yoast-schema-graph") for t in tokens):
        return YOAST
    if any(t.startswith("aioseo-schema") for t in tokens):
        return AIOSEO
    if any(t.startswith("rank-math-schema") for t in tokens):
        return RANK_MATH
    return OTHER


def _types(node: dict) -> set[str]:
    """The node's ``@type`` values, lower case; nothing for a null or other odd value."""
    value = node.get("@type")
    values = value if isinstance(value, list) else [value]
    return {v.lower() for v in values if isinstance(v, str)}


def _nodes(data) -> list:
    """The nodes of a block: a node, a list of nodes, or either holding an ``@graph`` list."""
    nodes = []
    for item in data if isinstance(data, list) else [data]:
        if not isinstance(item, dict):
            continue
        graph = item.get("@graph")
        if graph is None:
            nodes.append(item)
        else:
            nodes.extend(graph if isinstance(graph, list) else [graph])
    return [n for n in nodes if isinstance(n, dict)]


def _text(value) -> str | None:
    return decode_entities(value) if isinstance(value, str) else None


@dataclass(frozen=True)
class Node:
    """One article node and who wrote it."""

    source: str
    data: dict

    def strings(self, key: str) -> list[str]:
        """``key``'s string value, or the strings of its list value, entities decoded."""
        value = self.data.get(key)
        values = value if isinstance(value, list) else [value]
        return [text for text in map(_text, values) if text is not None]

    def date(self, key: str) -> str | None:
        """``key`` as a date text that says its own zone where the writer's convention is known:
        the theme's ``dateModified`` is GMT without an offset, so it gets ``+00:00``."""
        value = self.data.get(key)
        if not isinstance(value, str):
            return None
        value = value.strip()
        if (self.source == THEME and key == "dateModified" and len(value) in _NAIVE_TIME_LENGTHS
                and value[:4].isdigit() and value[10:11] in ("T", " ")):
            return value + "+00:00"
        return value


@dataclass
class JsonLd:
    """The article, image, person, video and website nodes of one page's JSON-LD, and how many
    blocks were broken (not JSON, or nested deeper than the parser goes)."""

    yoast: list[Node] = field(default_factory=list)  # Yoast's article node (0 or 1)
    others: list[Node] = field(default_factory=list)  # the first article node of each other writer, by trust
    primary_image: dict = field(default_factory=dict)
    people: dict = field(default_factory=dict)
    videos: list[dict] = field(default_factory=list)
    site_names: list[str] = field(default_factory=list)
    invalid_blocks: int = 0

    @classmethod
    def from_scripts(cls, scripts: list[tuple[str, str]]) -> JsonLd:
        """``scripts`` are (class attribute, text) of every ld+json script, in page order."""
        found = cls()
        articles: dict[str, Node] = {}
        for css_class, text in scripts:
            try:
                data = json.loads(text)
            except (ValueError, RecursionError):  # RecursionError: nested deeper than json goes
                found.invalid_blocks += 1
                continue
            source = source_of(css_class)
            for node in _nodes(data):
                found._add(source, node, articles)
        found.yoast = [articles[YOAST]] if YOAST in articles else []
        found.others = sorted((n for s, n in articles.items() if s != YOAST), key=lambda n: _OTHERS_RANK[n.source])
        return found

    def _add(self, source: str, node: dict, articles: dict[str, Node]) -> None:
        types = _types(node)
        node_id = node.get("@id") if isinstance(node.get("@id"), str) else ""
        if "person" in types and node_id:
            self.people.setdefault(node_id, node)
        if "imageobject" in types and node_id.endswith("#primaryimage") and not self.primary_image:
            self.primary_image = node
        if "videoobject" in types:
            self.videos.append(node)
        if "website" in types and (name := _text(node.get("name"))):
            self.site_names.append(name)
        if types & ARTICLE_TYPES and source not in articles:
            articles[source] = Node(source, node)

    @property
    def articles(self) -> list[Node]:
        """Article nodes, Yoast's first, then the others by trust."""
        return self.yoast + self.others

    def author_names(self, nodes: list[Node]) -> list[str]:
        """Author names of ``nodes``: inline, or a Person node referenced by ``@id`` (Yoast)."""
        names = []
        for node in nodes:
            authors = node.data.get("author") or []
            for author in authors if isinstance(authors, list) else [authors]:
                if isinstance(author, dict):
                    ref = author.get("@id")
                    person = self.people.get(ref, {}) if isinstance(ref, str) else {}
                    author = author.get("name") or person.get("name")
                if (name := _text(author)) is not None:
                    names.append(name)
        return names

    def video_urls(self) -> list[str]:
        # VideoObject: the player (embedUrl), then the file (contentUrl)
        return [url for video in self.videos for key in ("embedUrl", "contentUrl")
                if (url := _text(video.get(key)))]


def strings(nodes: list[Node], key: str) -> list[str]:
    """``key``'s string values in ``nodes``, in order."""
    return [value for node in nodes for value in node.strings(key)]


def dates(nodes: list[Node], key: str) -> list[str]:
    """``key``'s date texts in ``nodes``, in order, each saying its zone where its writer's is known."""
    return [value for node in nodes if (value := node.date(key)) is not None]
