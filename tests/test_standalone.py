"""The project stands alone: what its tracked files cite is tracked too."""

from __future__ import annotations

import re
import subprocess

from replica.harness import ROOT

# Spelt in two parts so that this file does not cite it.
OUTSIDE_NOTES = "ALANEWS" + ".md"
DOCS_LINK = re.compile(r"(?<![\w/.])docs/[\w./-]*\w")
RELATIVE_LINK = re.compile(r"\]\(((?!https?:|#|mailto:)[^)#\s]+)")


def tracked_texts() -> dict[str, str]:
    """Every tracked file that decodes as UTF-8, by path relative to the checkout."""
    names = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    texts = {}
    for name in names.decode().split("\0"):
        path = ROOT / name
        if name and path.is_file():
            try:
                texts[name] = path.read_text("utf-8")
            except UnicodeDecodeError:
                continue
    return texts


def test_no_tracked_file_cites_notes_outside_the_repository():
    citing = [name for name, text in tracked_texts().items() if OUTSIDE_NOTES.lower() in text.lower()]
    assert citing == []


def test_every_docs_path_a_tracked_file_names_is_tracked():
    texts = tracked_texts()
    named = {(name, m.group()) for name, text in texts.items() for m in DOCS_LINK.finditer(text)}
    assert ("alanews/dates.py", "docs/site.md") in named
    assert {(name, link) for name, link in named if link not in texts} == set()


def test_every_relative_markdown_link_of_the_docs_is_tracked():
    texts = tracked_texts()
    links = {(name, (ROOT / name).parent.joinpath(m.group(1)).resolve().relative_to(ROOT).as_posix())
             for name, text in texts.items() if name.endswith(".md") for m in RELATIVE_LINK.finditer(text)}
    assert ("README.md", "docs/site.md") in links
    assert {(name, link) for name, link in links if link not in texts} == set()
