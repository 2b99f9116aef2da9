"""The built site read as files: every internal link and anchor resolves, and no page carries
generator leftovers (English UI strings, default alt text, unlinked citations, build code).

Needs ``make docs`` first (``make test`` runs it). The browser checks are in test_docs_site.py.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "site"
PAGES = sorted(SITE.rglob("*.html"))
# What a generator leaves in English; each has a zh-TW replacement in overrides/ or docs/hooks/.
ENGLISH_UI = ("Copy to Clipboard", "Copied!", "Permanent link", "404 - Not found",
              "No description has been provided for this image")
CITATION = re.compile(r"(?:issue|PRs?) #\d+")


class _Page(HTMLParser):
    """Links, ids, images and the plain text outside links, code and scripts of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.sources: list[str] = []
        self.loose_text: list[str] = []
        self._inside: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag in ("img", "script") and attrs.get("src"):
            self.sources.append(attrs["src"])
        if tag == "link" and attrs.get("rel") == "stylesheet":
            self.sources.append(attrs["href"])
        if tag in ("a", "code", "pre", "script", "style", "title"):
            self._inside.append(tag)

    def handle_endtag(self, tag):
        if self._inside and self._inside[-1] == tag:
            self._inside.pop()

    def handle_data(self, data):
        if not self._inside:
            self.loose_text.append(data)


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


PARSED = {path: _parse(path) for path in PAGES}


def _url(path: Path) -> str:
    return "/" + path.relative_to(SITE).as_posix()


def _target(page_url: str, href: str) -> tuple[Path, str] | None:
    """The file and fragment an internal link points at; None for external links."""
    if urlparse(href).scheme or href.startswith(("mailto:", "data:", "//")):
        return None
    absolute, fragment = urldefrag(urljoin(page_url, href))
    path = SITE / unquote(absolute).lstrip("/")
    if absolute.endswith("/") or path.is_dir():
        path = path / "index.html"
    return path, unquote(fragment)


def test_the_site_was_built():
    assert (SITE / "index.html").is_file(), "no built site: run `make docs` first"
    assert len(PAGES) >= 20


def test_every_internal_link_and_anchor_resolves():
    broken = []
    for path, page in PARSED.items():
        for href in page.links + page.sources:
            found = _target(_url(path), href)
            if found is None:
                continue
            target, fragment = found
            if not target.is_file():
                broken.append(f"{_url(path)} -> {href} (no file)")
            elif fragment and target.suffix == ".html" and fragment not in PARSED[target].ids:
                broken.append(f"{_url(path)} -> {href} (no anchor)")
    assert broken == []


def test_no_english_ui_strings_or_default_alt_text():
    found = {f"{_url(p)}: {s}" for p in PAGES for s in ENGLISH_UI if s in p.read_text(encoding="utf-8")}
    assert found == set()


ADVISORY = re.compile(r"\b(?:CVE-\d{4}-\d+|GHSA(?:-[a-z0-9]{4}){3}|PYSEC-\d{4}-\d+)\b")


def test_every_advisory_id_is_a_link():
    """A reader checks an advisory at its source: each CVE, GHSA and PYSEC id links to it (OSV)."""
    unlinked = {f"{_url(p)}: {m}" for p, page in PARSED.items()
                for m in ADVISORY.findall(" ".join(page.loose_text))}
    assert unlinked == set()
    security = next(page for p, page in PARSED.items() if _url(p) == "/security/index.html")
    linked = {href.rsplit("/", 1)[1] for href in security.links
              if href.startswith("https://osv.dev/vulnerability/")}
    written = set(ADVISORY.findall((ROOT / "docs" / "security.md").read_text(encoding="utf-8")))
    assert written and linked == written


def test_the_api_reference_is_not_in_the_search_index():
    """Every reader downloads the index on first load; the reference is reached through the code map."""
    docs = json.loads((SITE / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    assert docs and not [d["location"] for d in docs if d["location"].startswith("api/")]


def test_cell_tags_are_not_shown():
    """``show-stderr`` tells the build which stderr to keep; it is no label for a reader."""
    shown = {_url(p) for p in PAGES if 'class="cell-tag"' in p.read_text(encoding="utf-8")}
    assert shown == set()


def test_every_cited_issue_or_pr_is_a_link():
    unlinked = {f"{_url(p)}: {m}" for p, page in PARSED.items()
                for m in CITATION.findall(" ".join(page.loose_text))}
    assert unlinked == set()


def test_build_code_is_not_published():
    assert not (SITE / "hooks").exists()


def test_each_page_has_its_own_description():
    site = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8").split("\nplugins:")[0]
                          .replace("!!python", "#").replace("!ENV", ""))["site_description"]
    pattern = re.compile(r'<meta name="description" content="([^"]*)"')
    descriptions = {_url(p): pattern.search(p.read_text(encoding="utf-8")) for p in PAGES
                    if p.name == "index.html" and p.parent != SITE / "search"}
    missing = [url for url, match in descriptions.items() if not match or match.group(1) == site]
    assert missing == []


def test_nav_labels_stay_short_and_the_full_title_stays_on_the_page():
    html = (SITE / "tutorial" / "05_column_requests" / "index.html").read_text(encoding="utf-8")
    assert "<title>05 欄位式請求 - " in html
    assert re.search(r"<h1[^>]*>05 欄位式請求：每欄一個具名輸入與 <code>PandasCodec</code>", html)
    assert 'md-footer__link--prev' in html and 'md-footer__link--next' in html


def test_notebook_downloads_say_what_they_need_and_come_without_outputs_too():
    folder = SITE / "tutorial" / "05_column_requests"
    html = (folder / "index.html").read_text(encoding="utf-8")
    assert 'href="../../quickstart/"' in html and "make setup" in html
    clean = json.loads((folder / "05_column_requests-no-outputs.ipynb").read_text(encoding="utf-8"))
    executed = json.loads((folder / "05_column_requests.ipynb").read_text(encoding="utf-8"))
    assert not any(c.get("outputs") for c in clean["cells"] if c["cell_type"] == "code")
    assert any(c.get("outputs") for c in executed["cells"] if c["cell_type"] == "code")


def test_search_results_show_prose_not_code_or_chrome():
    docs = json.loads((SITE / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    notebook_docs = [d for d in docs if d["location"].startswith("tutorial/")]
    assert len(notebook_docs) > 50
    for needle in ("¶", "In [", "已複製", "下載這本筆記本", "assert ", "from wine_serving"):
        hits = [d["location"] for d in notebook_docs if needle in d["title"] or needle in d["text"]]
        assert hits == [], (needle, hits[:3])


# The API page grows with the package (every module documented: 43 modules, 268 KB measured);
# it has a budget of its own, so the other pages keep theirs.
API_PAGE_KB = 300


@pytest.mark.parametrize("limit_kb, glob", [(300, "tutorial/*/index.html"), (260, "*/index.html"),
                                            (API_PAGE_KB, "api/index.html")])
def test_page_weight_budget(limit_kb, glob):
    """HTML per page (the shared notebook CSS is one file, cached after the first page)."""
    heavy = {p.relative_to(SITE).as_posix(): p.stat().st_size // 1024 for p in SITE.glob(glob)
             if p.stat().st_size > limit_kb * 1024 and (glob == "api/index.html" or p.parent.name != "api")}
    assert heavy == {}


def test_a_local_build_names_no_address_or_repository():
    """Without the Docs workflow's SITE_URL / REPO_URL nothing invents an address."""
    home = (SITE / "index.html").read_text(encoding="utf-8")
    assert 'rel="canonical"' not in home and "md-source" not in home
    assert 'href="/assets/' in (SITE / "404.html").read_text(encoding="utf-8")  # served from /


def test_a_published_build_serves_the_404_page_under_its_sub_path(tmp_path):
    """GitHub Pages serves 404.html at any missing path of a project site (/<repo>/…): its
    assets and links must carry the site's own path, which only site_url can give."""
    env = {**os.environ, "SITE_URL": "https://owner.example/wine-serving/",
           "REPO_URL": "https://git.example/owner/wine-serving", "EDIT_URI": "blob/main/docs/"}
    built = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                            str(tmp_path / "site")], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-2000:]
    missing = (tmp_path / "site" / "404.html").read_text(encoding="utf-8")
    assert 'href="/wine-serving/assets/' in missing and 'href="/assets/' not in missing
    home = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert 'href="https://git.example/owner/wine-serving"' in home  # the header's repository link
    quickstart = (tmp_path / "site" / "quickstart" / "index.html").read_text(encoding="utf-8")
    shown = re.sub(r"<[^>]+>", "", quickstart)  # the code block is highlighted token by token
    assert "git clone https://git.example/owner/wine-serving.git wine-serving" in shown
    notebook = (tmp_path / "site" / "tutorial" / "01_train_model" / "index.html").read_text(encoding="utf-8")
    assert 'rel="canonical" href="https://owner.example/wine-serving/tutorial/01_train_model/"' in notebook


class _ArticleLinks(HTMLParser):
    """Text of each link inside the page's <article> (notebook pages: the lesson itself)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []
        self._depth = 0
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "article":
            self._depth += 1
        elif tag == "a" and self._depth:
            self._href, self._text = dict(attrs).get("href") or "", []

    def handle_endtag(self, tag):
        if tag == "article":
            self._depth -= 1
        elif tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._text).strip()))
            self._href = None

    def handle_data(self, data):
        if self._href is not None:
            self._text.append(data)


@pytest.mark.parametrize("notebook", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_a_notebook_page_links_to_other_lessons_only_where_its_source_does(notebook):
    """No link appears by itself: a number in the text (`0`、`11`、`34`) stays text, and every
    link to another lesson on the page is one the notebook's Markdown wrote."""
    page = SITE / "tutorial" / notebook.stem / "index.html"
    parser = _ArticleLinks()
    parser.feed(page.read_text(encoding="utf-8"))
    to_lessons = sorted(text for href, text in parser.links
                        if re.fullmatch(r"\.\./\d\d_[a-z0-9_]+/(#.*)?", href))
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    markdown = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    written = sorted(re.findall(r"\[([^\]]*)\]\(\d\d_[a-z0-9_]+\.ipynb[^)]*\)", markdown))
    assert [t for t in to_lessons if t.isdigit() and t not in written] == []
    assert len(to_lessons) == len(written), (to_lessons, written)
