"""The built docs site, read the way a reader reads it: in a real (headless) Chromium.

Needs ``make docs`` first (``make test`` runs it). The browser is Debian's Chromium;
every request that leaves 127.0.0.1 is blocked and counted as a failure.
"""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import threading
from pathlib import Path

import pytest

from wine_serving.process.ports import LOOPBACK

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "site"
SHOTS = ROOT / "build" / "screenshots"
PAGES = {
    "index": "",
    "quickstart": "quickstart/",
    "01": "tutorial/01_train_model/",
    "02": "tutorial/02_locate_model/",
    "03": "tutorial/03_write_settings/",
    "04": "tutorial/04_start_server/",
    "05": "tutorial/05_request_families/",
    "06": "tutorial/06_invocations_and_errors/",
    "07": "tutorial/07_model_registry/",
    "08": "tutorial/08_grpc_clients/",
    "09": "tutorial/09_replace_mlflow_serve/",
    "10": "tutorial/10_performance/",
    "11": "tutorial/11_deploy_kubernetes/",
    "12": "tutorial/12_reliability/",
    "terminal": "terminal/",
    "reliability": "reliability/",
    "deploy": "deploy/",
    "concepts": "concepts/",
    "troubleshooting": "troubleshooting/",
    "architecture": "architecture/",
    "api": "api/",
    "glossary": "glossary/",
}


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "Debian's chromium is not installed (.ci/run installs it: apt-get install chromium)"
    return found


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def base_url():
    assert (SITE / "index.html").is_file(), "no built site: run `make docs` first"
    httpd = http.server.ThreadingHTTPServer((LOOPBACK, 0),
                                            functools.partial(_QuietHandler, directory=str(SITE)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://{LOOPBACK}:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_chromium(), args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


@pytest.fixture()
def page(browser, base_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.problems = []  # type: ignore[attr-defined]

    def only_loopback(route):
        if route.request.url.startswith(base_url):
            route.continue_()
        else:
            page.problems.append(f"blocked external request {route.request.url}")
            route.abort()

    page.route("**/*", only_loopback)
    page.on("console", lambda msg: msg.type == "error" and page.problems.append(f"console: {msg.text}"))
    page.on("pageerror", lambda exc: page.problems.append(f"page error: {exc}"))
    page.on("requestfailed", lambda req: page.problems.append(f"failed: {req.url}")
            if req.url.startswith(base_url) else None)
    yield page
    context.close()


@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_loads_cleanly(page, base_url, name):
    response = page.goto(base_url + PAGES[name], wait_until="networkidle")
    assert response is not None and response.status == 200
    assert page.locator("h1").first.inner_text().strip()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)
    assert page.problems == []


def test_inference_page_shows_executed_outputs(page, base_url):
    page.goto(base_url + PAGES["05"], wait_until="networkidle")
    text = page.locator("article").inner_text()
    assert "predicted quality: 5.5769" in text
    assert "max |difference|" in text  # the comparison table was executed and rendered
    assert page.locator(".jp-OutputArea-output table, .jp-RenderedHTMLCommon table").count() >= 1
    download = page.locator("a[download]")
    assert download.count() == 1
    href = download.first.get_attribute("href")
    assert page.request.get(page.url + href).json()["cells"]  # the notebook file itself


def test_links_between_notebooks_work(page, base_url):
    page.goto(base_url + PAGES["01"], wait_until="networkidle")
    page.locator("article a", has_text="02 找到已記錄的模型").first.click()
    page.wait_for_load_state("networkidle")
    assert page.url == base_url + PAGES["02"]
    assert page.problems == []


def test_training_page_shows_the_rmse(page, base_url):
    page.goto(base_url + PAGES["01"], wait_until="networkidle")
    assert "RMSE: 0.793" in page.locator("article").inner_text()
    figure = page.locator("article img[src^='data:image/png']")
    assert figure.count() >= 1  # the quality histogram, rendered by the test run
    figure.first.scroll_into_view_if_needed()
    figure.first.screenshot(path=str(SHOTS / "figure-quality.png"))


def test_mermaid_diagram_renders(page, base_url):
    page.goto(base_url, wait_until="networkidle")
    # Material renders the diagram into a closed shadow root: the source text is
    # consumed and the element takes the diagram's size.
    page.wait_for_function("""() => {
        const el = document.querySelector('.mermaid');
        return el && !el.textContent.includes('flowchart') && el.getBoundingClientRect().height > 40;
    }""", timeout=15000)
    assert page.evaluate("typeof mermaid") == "object"  # loaded from the site, not a CDN
    page.screenshot(path=str(SHOTS / "mermaid.png"))
    assert page.problems == []


@pytest.mark.parametrize("word", ["看門狗", "放寬"])
def test_chinese_search_finds_a_word_inside_a_sentence(page, base_url, word):
    page.goto(f"{base_url}?q={word}", wait_until="networkidle")
    results = page.locator(".md-search-result__item")
    results.first.wait_for(timeout=15000)
    assert results.count() >= 1
    page.screenshot(path=str(SHOTS / f"search-{word}.png"))


@pytest.mark.parametrize("name", ["01", "05"])
def test_table_of_contents_targets_exist(page, base_url, name):
    """Every sidebar link on a notebook page lands on a heading (Chinese headings included)."""
    page.goto(base_url + PAGES[name], wait_until="networkidle")
    targets = page.eval_on_selector_all(
        ".md-sidebar--secondary a.md-nav__link",
        "links => links.map(a => decodeURIComponent(a.hash.slice(1)))")
    assert len(targets) >= 5
    missing = [t for t in targets if page.locator(f'[id="{t}"]').count() != 1]
    assert missing == []
    assert any(re.search(r"[\u4e00-\u9fff]", t) for t in targets)  # Chinese anchors kept
