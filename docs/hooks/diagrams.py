"""Mermaid diagrams drawn at build time, so a reader's browser downloads SVG, not Mermaid.

Mermaid's bundle is 2.7 MB for the two diagrams this site has (deploy, architecture). The
build draws each ```mermaid block once in Debian's Chromium (the browser the site tests
use), with the Mermaid release the Makefile fetches, and keeps the SVG under
``build/diagrams/`` keyed by a hash of the source and the drawing settings: an unchanged
diagram is not drawn again.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MERMAID_JS = ROOT / "build" / "mermaid" / "mermaid.min.js"
CACHE = ROOT / "build" / "diagrams"
# Body-size text, compact spacing; htmlLabels wrap Chinese labels (the tests read the sizes).
SETTINGS = {"startOnLoad": False, "theme": "neutral", "fontSize": 16,
            "flowchart": {"useMaxWidth": False, "htmlLabels": True,
                          "nodeSpacing": 16, "rankSpacing": 28, "padding": 6}}
RENDER = """async ([settings, sources]) => {
    mermaid.initialize(settings);
    const out = [];
    for (const [index, source] of sources.entries()) {
        out.push((await mermaid.render(`diagram-${index}`, source)).svg);
    }
    return out;
}"""


class DiagramError(RuntimeError):
    """What the build needs to draw a diagram is missing; the message says what to install."""


def _key(index: int, source: str) -> str:
    material = json.dumps([index, source, SETTINGS, MERMAID_JS.stat().st_size], ensure_ascii=False)
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def draw(sources: list[str]) -> list[str]:
    """The SVG of each source, in order (ids ``diagram-0``, ``diagram-1`` … within one page)."""
    if not sources:
        return []
    if not MERMAID_JS.is_file():
        raise DiagramError(f"{MERMAID_JS.relative_to(ROOT)} is missing: run `make docs` (it fetches it)")
    cached = [CACHE / f"{_key(i, s)}.svg" for i, s in enumerate(sources)]
    if all(path.is_file() for path in cached):
        return [path.read_text(encoding="utf-8") for path in cached]
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        raise DiagramError("drawing the site's diagrams needs Chromium: sudo apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"])
        try:
            page = browser.new_page()
            page.route("**/*", lambda route: route.abort())  # nothing leaves this page
            page.set_content("<!doctype html><html><body></body></html>")
            page.add_script_tag(path=str(MERMAID_JS))
            svgs = page.evaluate(RENDER, [SETTINGS, sources])
        finally:
            browser.close()
    CACHE.mkdir(parents=True, exist_ok=True)
    for path, svg in zip(cached, svgs, strict=True):
        path.write_text(svg, encoding="utf-8")
    return svgs
