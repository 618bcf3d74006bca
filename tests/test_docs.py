"""The README and docs/*.md hold together: every relative link and image points at a file that
exists (and at a heading that exists, when it names one), and every `make <target>` they name
is a target of the Makefile. Moving a file or a section, or renaming a target, fails here."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r"^ *(```|~~~).*?^ *\1 *$", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)
# [text](target) and ![alt](target), the text possibly holding one level of brackets.
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^()\s<>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML_LINK = re.compile(r"<(?:img|a)\b[^>]*?\b(?:src|href)=\"([^\"]+)\"", re.IGNORECASE)
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
MAKE = re.compile(r"(?:^|[\s(;&|])make\s+([a-z][\w-]*)")
TARGET = re.compile(r"^([A-Za-z0-9][\w.-]*)\s*:(?!=)", re.MULTILINE)


def _ids(path: Path) -> str:
    return str(path.relative_to(ROOT))


def prose(text: str) -> str:
    """The text without fenced code blocks and code spans (links there are not links)."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def code(text: str) -> list[str]:
    """The code of the text: each fenced block (comments dropped) and each code span."""
    blocks = [m.group() for m in FENCE.finditer(text)]
    blocks = [re.sub(r"(^|\s)#.*$", "", b, flags=re.MULTILINE) for b in blocks]
    return blocks + [m.group(2) for m in CODE_SPAN.finditer(FENCE.sub("", text))]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    for heading in HEADING.findall(FENCE.sub("", path.read_text(encoding="utf-8"))):
        base = slug(heading)
        name, n = base, 0
        while name in found:
            n += 1
            name = f"{base}-{n}"
        found.add(name)
    return found


def links(path: Path) -> list[str]:
    text = prose(path.read_text(encoding="utf-8"))
    return LINK.findall(text) + HTML_LINK.findall(text)


def make_targets() -> set[str]:
    return set(TARGET.findall((ROOT / "Makefile").read_text(encoding="utf-8")))


@pytest.mark.parametrize("doc", DOCS, ids=_ids)
def test_links_and_images_resolve(doc: Path) -> None:
    broken = []
    for target in links(doc):
        if SCHEME.match(target):
            continue  # http(s), mailto: not ours to check offline
        file_part, _hash, anchor = target.partition("#")
        linked = (doc.parent / file_part).resolve() if file_part else doc
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif not linked.is_relative_to(ROOT):
            broken.append(f"{target}: outside the repository")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target}: no heading #{anchor} in {_ids(linked)}")
    assert not broken, f"{_ids(doc)}: " + "; ".join(broken)


@pytest.mark.parametrize("doc", DOCS, ids=_ids)
def test_make_targets_named_exist(doc: Path) -> None:
    named = {t for block in code(doc.read_text(encoding="utf-8")) for t in MAKE.findall(block)}
    missing = sorted(named - make_targets())
    assert not missing, f"{_ids(doc)} names make targets the Makefile lacks: {missing}"


def test_every_bench_and_drill_target_is_in_benchmarks() -> None:
    """docs/benchmarks.md has every benchmark and drill of the Makefile."""
    text = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    named = {t for block in code(text) for t in MAKE.findall(block)}
    wanted = {t for t in make_targets() if t.startswith(("bench-", "drill-"))}
    assert wanted <= named, f"not in docs/benchmarks.md: {sorted(wanted - named)}"


def test_the_readme_maps_every_doc() -> None:
    """The README is the front door: each document in docs/ is reachable from it."""
    linked = {(ROOT / t.partition("#")[0]).resolve() for t in links(ROOT / "README.md")}
    unmapped = [_ids(d) for d in DOCS[1:] if d.resolve() not in linked]
    assert not unmapped, f"add to the README's map of the docs: {unmapped}"


def test_the_checks_catch_what_they_should(tmp_path: Path) -> None:
    (tmp_path / "there.md").write_text("# A heading's `code`\n\n## Twice\n\n## Twice\n")
    doc = tmp_path / "doc.md"
    doc.write_text(
        "[ok](there.md) ![img](there.md) [anchor](there.md#a-headings-code)\n"
        "[second](there.md#twice-1) [gone](nowhere.md) [bad](there.md#nope)\n"
        "`[not a link](nowhere.md)` [web](https://example.com/x)\n"
        "```sh\nmake run   # make believe\n```\nrun `make test-pg` or `X=1 make lint`; make sure\n"
    )
    assert links(doc) == [
        "there.md",
        "there.md",
        "there.md#a-headings-code",
        "there.md#twice-1",
        "nowhere.md",
        "there.md#nope",
        "https://example.com/x",
    ]
    assert anchors(tmp_path / "there.md") == {"a-headings-code", "twice", "twice-1"}
    named = sorted(t for block in code(doc.read_text()) for t in MAKE.findall(block))
    assert named == ["lint", "run", "test-pg"]
    assert {"run", "test", "bench-ledger", "drill-kill"} <= make_targets()
    assert "SHELL" not in make_targets()
