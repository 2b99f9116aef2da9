"""MkDocs hook for notebook pages: links, a download link and Chinese heading anchors.

Inside JupyterLab a notebook links to ``02_locate_model.ipynb``; on the site that page
lives at ``../02_locate_model/``. The hook rewrites those links and puts a download
link to the notebook file (copied beside the page by mkdocs-jupyter) at the top.

mkdocs-jupyter makes heading ids with an ASCII-only slugify, so Chinese headings get
empty or clipped ids that its own table of contents (built with another slugify)
does not match. The hook gives every heading the same unicode slug that the Markdown
pages use and rebuilds the page's table of contents from them.
"""

from __future__ import annotations

import html as html_lib
import re

from mkdocs.structure.toc import get_toc
from pymdownx.slugs import slugify

HEADING = re.compile(r'<h([1-6]) id="([^"]*)"([^>]*)>(.*?)</h\1>', re.S)
SLUG = slugify(case="lower")

NOTEBOOK_LINK = re.compile(r'href="(\d\d_[a-z0-9_]+)\.ipynb"')
INDEX_LINK = re.compile(r'href="\.\./index\.md"')


def on_page_content(html: str, page, config, files) -> str:  # noqa: ARG001 - MkDocs signature
    source = page.file.src_uri
    if not source.endswith(".ipynb"):
        return html
    html = _unicode_anchors(html, page)
    html = NOTEBOOK_LINK.sub(r'href="../\1/"', html)
    html = INDEX_LINK.sub('href="../../"', html)
    name = source.rsplit("/", 1)[-1]
    download = (f'<p class="notebook-download"><a href="{name}" download>'
                f'下載這本筆記本（{name}）</a></p>')
    return download + html


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
