"""The documentation a reader follows: every page is listed in the README, every link resolves.

A new reader starts at README.md's "Documentation" list; policies.md and academy.md were linked
from nowhere, so nobody found them. Relative links and their #anchors are checked the way GitHub
renders them (heading text lowercased, punctuation dropped, spaces as hyphens).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((ROOT / "docs").glob("*.md"))
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _prose(path: Path) -> str:
    return FENCE.sub("", path.read_text(encoding="utf-8"))


def _anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    anchors = set()
    for heading in re.findall(r"^#{1,6}\s+(.*)$", _prose(path), re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower().replace("`", "")).replace(" ", "-")
        count = seen.get(slug, -1) + 1
        seen[slug] = count
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def test_every_docs_page_is_listed_in_the_readme() -> None:
    readme = _prose(ROOT / "README.md")
    listed = set(re.findall(r"\]\(docs/([\w-]+\.md)\)", readme))
    assert [page.name for page in PAGES if page.name not in listed] == []


@pytest.mark.parametrize("page", [ROOT / "README.md", *PAGES], ids=lambda page: page.name)
def test_relative_links_and_anchors_resolve(page: Path) -> None:
    broken = []
    for link in LINK.findall(_prose(page)):
        if link.startswith(("http://", "https://", "mailto:")):
            continue
        target, _, anchor = link.partition("#")
        path = (page.parent / target).resolve() if target else page
        if not path.exists() or (path.suffix == ".md" and anchor and anchor not in _anchors(path)):
            broken.append(link)
    assert broken == []
