"""MkDocs hook for notebook pages: working links between notebooks and a download link.

Inside JupyterLab a notebook links to ``02_locate_model.ipynb``; on the site that page
lives at ``../02_locate_model/``. The hook rewrites those links and puts a download
link to the notebook file (copied beside the page by mkdocs-jupyter) at the top.
"""

from __future__ import annotations

import re

NOTEBOOK_LINK = re.compile(r'href="(\d\d_[a-z0-9_]+)\.ipynb"')
INDEX_LINK = re.compile(r'href="\.\./index\.md"')


def on_page_content(html: str, page, config, files) -> str:  # noqa: ARG001 - MkDocs signature
    source = page.file.src_uri
    if not source.endswith(".ipynb"):
        return html
    html = NOTEBOOK_LINK.sub(r'href="../\1/"', html)
    html = INDEX_LINK.sub('href="../../"', html)
    name = source.rsplit("/", 1)[-1]
    download = (f'<p class="notebook-download"><a href="{name}" download>'
                f'下載這本筆記本（{name}）</a></p>')
    return download + html
