"""MkDocs hook: what every published page gets beyond its Markdown or notebook.

Notebook pages (rendered by mkdocs-jupyter through nbconvert):

* Markdown cells are unwrapped into plain page content (site typography, search
  sections per heading); code cells are kept out of the search index;
* links written for JupyterLab (``02_locate_model.ipynb``, ``../reliability.md#x``)
  are rewritten to the site's URLs;
* headings get the same unicode anchors as the Markdown pages, and the table of
  contents is rebuilt from them (nbconvert's ASCII slugs leave Chinese headings empty);
* a download box says what the notebook needs and offers it with and without outputs;
* images get the alt text the notebook gave them (``display(..., metadata=...)``);
* nbconvert's English UI strings are translated, its "¶" anchors and stray
  ``<script src="">`` dropped.

Search: the glossary's Chinese terms become jieba words (``on_config``), so the index keeps
``編解碼器`` whole instead of splitting it where jieba's simplified-Chinese dictionary guesses.

Every page:

* the first mention of MLServer, MLflow, the V2 protocol and UCI links to its home;
* a meta description from the first paragraph, and the date of the source's last commit;
* the large inline ``<style>`` blocks nbconvert repeats on every notebook page are
  written once under ``assets/stylesheets/nb/`` and linked instead;
* each ```mermaid block is drawn at build time (``diagrams.py``): the page carries the SVG
  and no reader downloads Mermaid (2.7 MB).
"""

from __future__ import annotations

import hashlib
import html as html_lib
import json
import re
import shutil
import subprocess
from pathlib import Path

from mkdocs.structure.toc import get_toc
from pymdownx.slugs import slugify

ROOT = Path(__file__).resolve().parents[2]
HEADING = re.compile(r'<h([1-6]) id="([^"]*)"([^>]*)>(.*?)</h\1>', re.S)
SLUG = slugify(case="lower")

NOTEBOOK_LINK = re.compile(r'href="(\d\d_[a-z0-9_]+)\.ipynb(#[^"]*)?"')
PAGE_LINK = re.compile(r'href="\.\./([a-z_/]+)\.md(#[^"]*)?"')
STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S)
SHARED_STYLE_MIN = 2000  # characters: nbconvert's theme CSS, repeated on every notebook page
DIAGRAM_BLOCK = re.compile(r'<pre class="diagram"><code>(.*?)</code></pre>', re.S)

# The first mention on a page links here (plain text only: not in code, links or headings).
FIRST_MENTION = {
    "MLServer": "https://mlserver.readthedocs.io/",
    "MLflow": "https://mlflow.org/docs/latest/",
    "V2 推論協定": "https://github.com/kserve/open-inference-protocol",
    "UCI": "https://archive.ics.uci.edu/dataset/186/wine+quality",
}

_shared_css: dict[str, str] = {}
GLOSSARY = ROOT / "docs" / "glossary.md"
CJK = re.compile(r"[\u3400-\u9fff]")


def glossary_terms() -> list[str]:
    """The Chinese word of each row of the glossary's table (first column, before the table of
    rejected words), split at spaces and slashes (``CPU 核心``, ``升級／回滾``)."""
    terms = []
    for line in GLOSSARY.read_text(encoding="utf-8").split("\n## ")[0].splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) >= 3 and not set(cells[0]) <= set("-"):
            terms += [word for word in re.split(r"[\s／/]+", cells[0]) if CJK.search(word)]
    return [term for term in dict.fromkeys(terms) if term != "中文"]


def on_config(config):
    """Teach jieba (Material's search segmenter, a process-wide dictionary) the glossary's words."""
    try:
        import jieba
    except ImportError:  # Material then indexes Chinese unsegmented; nothing to add
        return config
    for term in glossary_terms():
        jieba.add_word(term, freq=100_000)
    return config


# -- Markdown pages ----------------------------------------------------------------------
REPOSITORY_PLACEHOLDER = "<儲存庫網址>"


def on_page_markdown(markdown: str, page, config, files) -> str:
    """The published site knows its repository (REPO_URL): ``git clone`` then runs as printed."""
    if config.get("repo_url"):
        markdown = markdown.replace(REPOSITORY_PLACEHOLDER, config["repo_url"].rstrip("/") + ".git")
    return markdown


# -- notebook pages ---------------------------------------------------------------------
def on_page_content(html: str, page, config, files) -> str:
    source = page.file.src_uri
    page.meta.setdefault("description", _description(html))
    if source.endswith(".ipynb"):
        html = _notebook(html, page)
        if page.edit_url:  # the site's copy is executed; the source is the committed notebook
            page.edit_url = page.edit_url.replace("docs/tutorial/", "notebooks/")
    html = _draw_diagrams(html)
    html = _link_mentions(html)
    updated = _last_commit_date(source)
    if updated:
        html += f'<p class="page-updated" data-search-exclude>最後更新：{updated}</p>'
    return html


def _draw_diagrams(html: str) -> str:
    """Each ```mermaid block as the SVG Mermaid draws for it, labelled by the text alternative
    that follows it (``圖的文字說明：…``)."""
    blocks = list(DIAGRAM_BLOCK.finditer(html))
    if not blocks:
        return html
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from diagrams import draw

    svgs = iter(draw([html_lib.unescape(block.group(1)) for block in blocks]))

    def figure(match: re.Match) -> str:
        following = re.match(r"\s*<p>(.*?)</p>", html[match.end():], re.S)
        label = html_lib.escape(re.sub(r"<[^>]+>", "", following.group(1)).strip()) if following else ""
        return f'<div class="diagram" role="img" aria-label="{label}">{next(svgs)}</div>'

    return DIAGRAM_BLOCK.sub(figure, html)


def _notebook(html: str, page) -> str:
    html = _restructure(html, Path(page.file.abs_src_path))
    html = _unicode_anchors(html, page)
    html = NOTEBOOK_LINK.sub(lambda m: f'href="../{m[1]}/{m[2] or ""}"', html)
    html = PAGE_LINK.sub(lambda m: f'href="../../{_page_url(m[1])}{m[2] or ""}"', html)
    name = page.file.src_uri.rsplit("/", 1)[-1]
    download = (
        '<div class="notebook-download admonition note" data-search-exclude>'
        '<p class="admonition-title">下載這本筆記本</p>'
        f'<p><a href="{name}" download>含執行結果（{name}）</a>，或 '
        f'<a href="{_clean_name(name)}" download>不含輸出（建議自己執行）</a>。'
        '它需要本專案的環境：先照<a href="../../quickstart/">快速開始</a>執行 <code>make setup</code>，'
        '再在專案的 <code>notebooks/</code> 資料夾裡開啟。</p></div>')
    return download + html


def _restructure(html: str, notebook: Path) -> str:
    """Prose as plain page content, code cells out of the search index, nbconvert's chrome in zh-TW.

    nbconvert wraps every Markdown cell in four divs; Material's search then files all
    text after the first heading under the page itself, and the prose does not get the
    site's typography. Unwrapped, a notebook page reads and indexes like a Markdown page.
    Code cells become ``<section data-search-exclude>``: Material's search parser
    compares skipped elements by tag name, so the tag must not also be used inside.
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for cell in soup.select("div.jp-MarkdownCell"):
        rendered = cell.select_one("div.jp-RenderedMarkdown")
        if rendered is None:
            continue
        rendered.extract()
        cell.replace_with(rendered)
        rendered.unwrap()
    for cell in soup.select("div.jp-CodeCell"):
        cell.name = "section"
        cell["data-search-exclude"] = ""
    for anchor in soup.select("a.anchor-link"):
        anchor.decompose()
    # Cell tags (``show-stderr``) steer the build and the tests; a reader has no use for them.
    for toolbar in soup.select("div.celltoolbar"):
        toolbar.decompose()
    for script in soup.select('script[src=""]'):
        script.decompose()
    for button in soup.select("clipboard-copy"):
        button["aria-label"] = "複製到剪貼簿"
    for notice in soup.select("span.notice"):
        notice.string = "已複製"
    images = iter(soup.select("img[src^='data:image/png']"))
    for alt in _image_alts(notebook):
        image = next(images, None)
        if image is not None and alt:
            image["alt"] = alt
    return str(soup)


def _page_url(stem: str) -> str:
    return "" if stem == "index" else f"{stem}/"


def _clean_name(name: str) -> str:
    return name.replace(".ipynb", "-no-outputs.ipynb")


def _image_alts(notebook: Path) -> list[str | None]:
    """The alt text each PNG output carries in its metadata, in order of appearance."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return [output.get("metadata", {}).get("image/png", {}).get("alt")
            for cell in cells if cell["cell_type"] == "code"
            for output in cell.get("outputs", []) if "image/png" in output.get("data", {})]


def _unicode_anchors(html: str, page) -> str:
    seen: dict[str, int] = {}
    flat: list[dict] = []

    def replace(match: re.Match) -> str:
        level, old_id, attrs, inner = match.groups()
        text = html_lib.unescape(re.sub(r"<[^>]+>", "", inner)).replace("¶", "").strip()
        new_id = SLUG(text, "-") or f"section-{len(flat) + 1}"
        if new_id in seen:
            seen[new_id] += 1
            new_id = f"{new_id}_{seen[new_id]}"
        else:
            seen[new_id] = 0
        flat.append({"level": int(level), "id": new_id, "name": text, "children": []})
        inner = inner.replace(f'href="#{old_id}"', f'href="#{new_id}"')
        return f'<h{level} id="{new_id}"{attrs}>{inner}</h{level}>'

    html = HEADING.sub(replace, html)
    roots: list[dict] = []
    stack: list[dict] = []
    for token in flat:
        while stack and stack[-1]["level"] >= token["level"]:
            stack.pop()
        (stack[-1]["children"] if stack else roots).append(token)
        stack.append(token)
    if roots:
        page.toc = get_toc(roots)
    return html


# -- every page ---------------------------------------------------------------------------
SKIP = re.compile(r"(<(code|pre|a|h[1-6]|script|style|title)\b.*?</\2>|<[^>]+>)", re.S)


def _link_mentions(html: str) -> str:
    """Link the first plain-text mention of each name: never inside code, a link or a heading."""
    pending = dict(FIRST_MENTION)

    def link_first(text: str) -> str:
        for name in list(pending):
            at = text.find(name)
            if at >= 0:
                text = f'{text[:at]}<a href="{pending.pop(name)}">{name}</a>{text[at + len(name):]}'
        return text

    out, position = [], 0
    for match in SKIP.finditer(html):
        out += [link_first(html[position:match.start()]), match.group(0)]
        position = match.end()
    out.append(link_first(html[position:]))
    return "".join(out)


def _description(html: str) -> str:
    for paragraph in re.findall(r"<p>(.*?)</p>", html, re.S):
        text = " ".join(html_lib.unescape(re.sub(r"<[^>]+>", "", paragraph)).split())
        if len(text) >= 20:
            return text[:150]
    return ""


def _last_commit_date(src_uri: str) -> str | None:
    """The day the page's source last changed in git (a notebook page: its notebook)."""
    path = (f"notebooks/{src_uri.removeprefix('tutorial/')}" if src_uri.startswith("tutorial/")
            else f"docs/{src_uri}")
    try:
        done = subprocess.run(["git", "log", "-1", "--format=%cs", "--", path], cwd=ROOT,
                              capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None


def on_post_page(output: str, page, config) -> str:
    """nbconvert's large inline styles, repeated on every notebook page, linked instead."""
    if not page.file.src_uri.endswith(".ipynb"):
        return output  # a diagram's SVG carries its own <style>, which must stay inside it
    prefix = "../" * page.url.count("/")

    def shared(match: re.Match) -> str:
        css = match.group(1)
        if len(css) < SHARED_STYLE_MIN:
            return match.group(0)
        name = hashlib.sha1(css.encode()).hexdigest()[:12] + ".css"
        _shared_css[name] = css
        return f'<link rel="stylesheet" href="{prefix}assets/stylesheets/nb/{name}">'

    return STYLE.sub(shared, output)


def search_index_as_utf8(site: Path) -> None:
    """Material writes ``search_index.json`` with ``\\uXXXX`` escapes: six bytes for each Chinese
    character where UTF-8 needs three. Every page's first load fetches it (556 KB measured, 332 KB
    as UTF-8); JSON is UTF-8 by definition, so the search worker reads it the same."""
    path = site / "search" / "search_index.json"
    if path.is_file():
        index = json.loads(path.read_text(encoding="utf-8"))
        path.write_text(json.dumps(index, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def on_post_build(config) -> None:
    """Write the shared notebook styles, each notebook without outputs beside its page, and the
    search index as UTF-8 (this hook runs after Material's search plugin has written it)."""
    site = Path(config["site_dir"])
    search_index_as_utf8(site)
    folder = site / "assets" / "stylesheets" / "nb"
    folder.mkdir(parents=True, exist_ok=True)
    for name, css in _shared_css.items():
        (folder / name).write_text(css, encoding="utf-8")
    for notebook in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        target = site / "tutorial" / notebook.stem
        if target.is_dir():
            shutil.copyfile(notebook, target / _clean_name(notebook.name))
