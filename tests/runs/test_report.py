"""report.html: self-contained, escaped, tolerant of missing files, and rendered by a real
browser (headless Chromium over the DevTools protocol on a pipe: no network, no port) without
console errors and with every figure displayed."""

from __future__ import annotations

import base64
import html
import json
import os
import re
import select
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import research
import research.cli.extra
from research.cli.main import main
from research.runs.folder import sha256_file
from research.runs.report import write_report
from research.runs.report.html import PAGE_ROWS
from research.tone.glossary import TONE_FEATURES
from research.topics.figures import doc_topic_heatmap_figure, metric_vs_k_figure
from tests.helpers import write_config
from tests.runs.test_compare import PROMO_TITLE, make_tone_run, make_topic_run

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


@pytest.fixture(scope="module")
def tfidf_run(tmp_path_factory) -> Path:
    results = tmp_path_factory.mktemp("results")
    return research.run_experiment(research.load_config("tfidf.yaml"), results_dir=results)


@pytest.fixture(scope="module")
def tone_run(tfidf_run, tmp_path_factory) -> Path:
    return make_tone_run(tfidf_run, tmp_path_factory.mktemp("tone"), "20990101-000004-tone-dddddd")


@pytest.fixture(scope="module")
def topic_run(tfidf_run, tmp_path_factory) -> Path:
    return make_topic_run(tfidf_run, tmp_path_factory.mktemp("lda"), "20990101-000001-lda-aaaaaa", k=3)


def _section(page: str, key: str) -> str:
    match = re.search(rf'<section id="{key}">(.*?)</section>', page, re.S)
    assert match, f"no section {key}"
    return match.group(1)


def test_the_run_writes_a_self_contained_report(tfidf_run):
    page = (tfidf_run / "report.html").read_text(encoding="utf-8")   # written by the run itself
    assert json.loads((tfidf_run / "run.json").read_text())["artifacts"]["report.html"] == \
        sha256_file(tfidf_run / "report.html")
    assert not re.search(r'(?:src|href)="(?!data:|#|ldavis\.html")', page)   # nothing from elsewhere
    assert 'src="http' not in page and "<script" not in page.lower() and "<link" not in page.lower()
    assert "Content-Security-Policy" in page
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == len(list((tfidf_run / "figures").glob("*.png"))) >= 1
    assert all(base64.b64decode(i)[:8] == b"\x89PNG\r\n\x1a\n" for i in images)


def test_report_sections_describe_config_data_and_metrics(tfidf_run):
    page = write_report(tfidf_run).read_text(encoding="utf-8")
    metrics = json.loads((tfidf_run / "metrics.json").read_text())
    data = json.loads((tfidf_run / "data.json").read_text())
    config = _section(page, "config")
    assert "vectorizer:" in config and "min_df: 1" in config
    assert f"<td>vocabulary_size</td><td class=\"n\">{metrics['vocabulary_size']}</td>" in _section(page, "metrics")
    cleaning = _section(page, "data")
    assert f'<td>documents_kept</td><td class="n">{data["summary"]["documents_kept"]}</td>' in cleaning
    for reason, count in data["summary"]["lines_removed_by_reason"].items():
        assert f'<td>{reason}</td><td class="n">{count}</td>' in cleaning
    assert all(doc["id"] in cleaning for doc in data["documents"])
    assert "duplicate" in cleaning
    assert "topics" not in page.split("<nav>")[1].split("</nav>")[0].lower()   # no topics.csv: no section


def test_topic_report_lists_top_words_and_per_topic_metrics(topic_run):
    topics = _section(write_report(topic_run).read_text(encoding="utf-8"), "topics")
    assert topics.count("<tr>") == 1 + 3
    assert "<span>pakistan0 (0.1)</span> <span>dialogue0 (0.05)</span>" in topics
    assert "<th>prevalence</th><th>c_npmi</th>" in topics
    metrics = _section((topic_run / "report.html").read_text(encoding="utf-8"), "metrics")
    assert "<h3>by_k</h3>" in metrics and "c_npmi_per_topic" not in metrics


def test_tone_report_shows_intervals_and_the_most_and_least_promotional_documents(tone_run):
    page = write_report(tone_run).read_text(encoding="utf-8")
    metrics = _section(page, "metrics")
    assert '<td><b>macro_f1</b></td><td class="n">0.7</td><td>[0.4, 0.9]</td>' in metrics
    assert "<th>predicted opinion</th>" in metrics                      # the confusion matrix
    tone = _section(page, "tone")
    most, least = tone.split("Least promotional")[:2]
    order = [most.index(t) for t in ("24 News HD", "Analysis column", "Defence dialogue", "Counter-terrorism")]
    assert order == sorted(order)
    assert least.index("Counter-terrorism") < least.index("Defence dialogue")
    assert "boosters: very, clearly, indeed (+0.6)" in most and "tone__booster (+" not in most


def test_all_text_is_escaped(tone_run):
    page = write_report(tone_run).read_text(encoding="utf-8")
    assert "<script>" not in page and "<b>bold</b>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; Pak-US ties &amp; &quot;friendship&quot;" in page
    assert PROMO_TITLE not in page


def test_missing_optional_files_leave_their_sections_out(tfidf_run, tmp_path):
    run = tmp_path / "bare"
    shutil.copytree(tfidf_run, run)
    for name in ("data.json", "metrics.json", "config.yaml", "report.html"):
        (run / name).unlink()
    shutil.rmtree(run / "figures")
    page = write_report(run).read_text(encoding="utf-8")
    assert '<section id="run">' in page
    assert not any(f'<section id="{key}">' in page for key in ("metrics", "data", "figures", "config"))
    assert "<script" not in page


def test_report_command_rewrites_it_and_updates_the_recorded_hash(tfidf_run, tmp_path, capsys):
    run = tmp_path / tfidf_run.name
    shutil.copytree(tfidf_run, run)
    (run / "report.html").write_text("stale")
    assert main(["report", run.name, "--results", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == str(run / "report.html")
    assert json.loads((run / "run.json").read_text())["artifacts"]["report.html"] == sha256_file(run / "report.html")
    assert research.load_run(run).metrics["documents_kept"] == 4
    assert main(["report", str(tmp_path / "nope")]) == 2
    assert capsys.readouterr().err.startswith("error: ")


# -- a real browser --------------------------------------------------------------------------


def _browser_binary() -> str:
    found = next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)
    if found:
        return found
    if os.environ.get("RESEARCH_REQUIRE_BROWSER") == "1":
        pytest.fail(f"no browser found ({', '.join(BROWSERS)}) but RESEARCH_REQUIRE_BROWSER=1; "
                    "install Debian's chromium package")
    pytest.skip(f"no browser found ({', '.join(BROWSERS)}); set RESEARCH_REQUIRE_BROWSER=1 to fail instead")


class Browser:
    """Headless Chromium driven over --remote-debugging-pipe (fd 3: commands in, fd 4: out)."""

    def __init__(self, binary: str, profile: Path):
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def wire_fds():
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        self.process = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-default-apps", "--disable-extensions", f"--user-data-dir={profile}",
             "--remote-debugging-pipe", "about:blank"],
            pass_fds=(3, 4), preexec_fn=wire_fds, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer, self._id, self.events = b"", 0, []

    def _receive(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._from_chrome], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise TimeoutError("the browser did not answer in time")
            chunk = os.read(self._from_chrome, 1 << 16)
            if not chunk:
                raise EOFError("the browser closed its pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 30.0) -> dict:
        self._id += 1
        message = {"id": self._id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, event: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == event for e in self.events):
            self.events.append(self._receive(deadline))

    def load(self, url: str) -> tuple[str, dict]:
        """Open ``url``; return (session id, {"images": [[complete, naturalWidth], ...], "title": ...})."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=session)
        self.call("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 900, "deviceScaleFactor": 1,
                                                         "mobile": False}, session=session)
        self.call("Page.navigate", {"url": url}, session=session)
        self.wait_for("Page.loadEventFired")
        probe = ("JSON.stringify({title: document.title, images: Array.from(document.images)"
                 ".map(i => [i.complete, i.naturalWidth])})")
        result = self.call("Runtime.evaluate", {"expression": probe, "returnByValue": True}, session=session)
        return session, json.loads(result["result"]["value"])

    def evaluate(self, session: str, expression: str):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True}, session=session)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def hover(self, session: str, selector: str) -> None:
        """Scroll the first element matching ``selector`` into view and move the mouse onto
        its centre, as a reader would."""
        box = self.evaluate(session, f"(() => {{const el = document.querySelector({json.dumps(selector)});"
                                     "el.scrollIntoView({block: 'center'}); const r = el.getBoundingClientRect();"
                                     "return [r.left + r.width / 2, r.top + r.height / 2];})()")
        for dx in (-3, 0):   # plotly reacts to movement
            self.call("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": box[0] + dx, "y": box[1]},
                      session=session)
        time.sleep(0.3)

    def requests(self) -> list[str]:
        """URLs the page asked for, other than itself and inline data."""
        urls = [e["params"]["request"]["url"] for e in self.events if e.get("method") == "Network.requestWillBeSent"]
        return [u for u in urls if not u.startswith(("data:", "file:", "about:"))]

    def console_errors(self) -> list[str]:
        errors = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Log.entryAdded" and params["entry"].get("level") in ("error", "warning"):
                errors.append(params["entry"].get("text", ""))
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "warning", "assert"):
                errors.append(" ".join(str(a.get("value", a.get("description"))) for a in params.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                errors.append(params["exceptionDetails"].get("text", "exception"))
        return errors

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=10)
        except (OSError, EOFError, TimeoutError, RuntimeError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self._to_chrome, self._from_chrome):
            os.close(fd)


@pytest.fixture
def browser(tmp_path):
    binary = _browser_binary()
    instance = Browser(binary, tmp_path / "profile")
    yield instance
    instance.close()


@pytest.mark.parametrize("kind", ["tfidf", "tone", "topic"])
def test_chromium_renders_the_report_without_console_errors(browser, kind, tfidf_run, tone_run, topic_run):
    run = {"tfidf": tfidf_run, "tone": tone_run, "topic": topic_run}[kind]
    report = write_report(run)
    _, page = browser.load(report.resolve().as_uri())
    assert browser.console_errors() == []
    assert page["title"] == f"Run {run.name}"
    figures = len(list((run / "figures").glob("*.png")))
    assert len(page["images"]) == figures >= 1
    assert all(complete and width > 0 for complete, width in page["images"])


def test_the_browser_check_catches_broken_and_external_images(browser, tmp_path):
    """The probe itself: a page with an external and a corrupt image fails both checks."""
    page = tmp_path / "broken.html"
    csp = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    page.write_text(f'<html><head><meta http-equiv="Content-Security-Policy" content="{csp}"><title>x</title>'
                    '</head><body><img src="http://example.invalid/a.png"><img src="data:image/png;base64,AAAA">'
                    "</body></html>")
    _, result = browser.load(page.as_uri())
    assert any("example.invalid" in e for e in browser.console_errors())
    assert [width for _, width in result["images"]] == [0, 0]


# -- a real topic run with topics over time and by group, and a real tone run ----------------
HYPERPARTISAN = {
    "corpus": {"source": "../shared/data/hyperpartisan/hyperpartisan_byarticle.jsonl", "outlet_column": "domain",
               "date_column": "published_at", "label_column": "hyperpartisan", "limit": 120},
    "vectorizer": {"kind": "count", "min_df": 3, "max_df": 0.5},
    "model": {"kind": "lda"},
    "topics": {"num_topics": [4, 5], "lda_backend": "sklearn", "evaluate": {"group_by": ["label"]},
               "by_group": {"compare": {"field": "label", "a": "true"}}},
}


@pytest.fixture(scope="module")
def hyper_run(tmp_path_factory, shared_data) -> Path:
    folder = tmp_path_factory.mktemp("hyper")
    config = research.load_config(write_config(folder, HYPERPARTISAN, "hyper.yaml"))
    return research.run_experiment(config, results_dir=folder / "results")


@pytest.fixture(scope="module")
def tone_sample_run(tmp_path_factory) -> Path:
    return research.run_experiment(research.load_config("tone.yaml"), results_dir=tmp_path_factory.mktemp("tone"))


@pytest.mark.shared_data
def test_topic_report_reads_top_down_with_meanings_and_only_the_config_it_used(hyper_run):
    page = (hyper_run / "report.html").read_text(encoding="utf-8")
    keys = re.findall(r'<section id="(\w+)">', page)
    assert keys == ["metrics", "topics", "figures", "data", "run", "config"]
    metrics = json.loads((hyper_run / "metrics.json").read_text())
    headline = _section(page, "metrics").split("<details>")[0]
    assert f'<td><b>c_npmi</b></td><td class="n">{metrics["c_npmi"]:.4g}</td>' in headline
    assert "above 0.1 is decent for news" in headline and "near 1 = topics do not repeat" in headline
    config = _section(page, "config")
    assert "topics:" in config and "vectorizer:" in config and "\ntone:" not in config
    assert "left out: tone" in config
    topics = _section(page, "topics")
    table = pd.read_csv(hyper_run / "topic_metrics.csv")
    for row in table.itertuples():
        assert f"<td class=\"n\">{row.topic}</td><td>{html.escape(row.label)}</td>" in topics
        assert f'<td class="n">{row.c_npmi:.4g}</td>' in topics


@pytest.mark.shared_data
def test_every_figure_has_a_caption_and_the_heatmap_says_what_it_shows(hyper_run):
    figures = _section((hyper_run / "report.html").read_text(encoding="utf-8"), "figures")
    captions = re.findall(r"<figure>.*?<figcaption>(.*?)</figcaption></figure>", figures, re.S)
    pngs = sorted(p.name for p in (hyper_run / "figures").glob("*.png"))
    assert len(captions) == len(pngs) - 1 + 4      # the static map gives way to the interactive one
    assert all(len(c) > 60 and "A figure of this run" not in c for c in captions)
    assert 'href="ldavis.html"' in figures
    docs = pd.read_csv(hyper_run / "doc_topics.csv")
    fig = doc_topic_heatmap_figure(_topic_result(hyper_run), labels=list(docs["title"]))
    title = fig.get_suptitle()
    assert f"of {len(docs):,} documents shown" in title
    shown = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert all(label in set(docs["title"]) for label in shown) and len(shown) == int(title.split("(")[1].split()[0])


def _topic_result(run: Path):
    from research.topics import TopicResult

    docs = pd.read_csv(run / "doc_topics.csv")
    shares = docs[[c for c in docs.columns if c.startswith("topic_")]].to_numpy()
    with np.load(run / "artifacts" / "model.npz") as arrays:
        topic_word = arrays["topic_word_"]
    return TopicResult(topic_word, shares, tuple(f"w{i}" for i in range(topic_word.shape[1])),
                       tuple(docs["id"].astype(str)))


def _displayed_font_px(fig, width_px: int = 1200) -> float:
    """The smallest text of ``fig`` in CSS pixels when the figure is shown ``width_px`` wide
    (or at its own size when narrower)."""
    sizes = [t.get_fontsize() for t in fig.findobj(lambda a: hasattr(a, "get_text") and hasattr(a, "get_fontsize"))
             if t.get_text().strip() and t.get_visible()]
    scale = min(1.0, width_px / (fig.get_figwidth() * fig.dpi))
    return min(sizes) / 72 * fig.dpi * scale


def test_metrics_vs_k_is_a_readable_grid_not_a_strip(tmp_path):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    table = {m: {k: 0.1 * k + i for k in (5, 10, 15, 20)} for i, m in enumerate(
        ["c_npmi", "u_mass", "c_v", "topic_diversity", "topic_similarity", "perplexity", "nmi", "ari"])}
    fig = metric_vs_k_figure(table, best_by="c_npmi")
    FigureCanvasAgg(fig)
    fig.set_dpi(110)                                     # as saved
    assert _displayed_font_px(fig) >= 9.5
    path = research.topics.figures.plot_metric_vs_k(table, tmp_path / "k.png", best_by="c_npmi")
    with Image.open(path) as image:
        width, height = image.size
    assert width <= 1400 and 0.5 <= width / height <= 2.5, (width, height)


@pytest.mark.shared_data
def test_the_runs_own_figures_are_readable_at_1200_px(hyper_run):
    for path in sorted((hyper_run / "figures").glob("*.png")):
        with Image.open(path) as image:
            width, height = image.size
        if path.stem.startswith("prevalence_by_"):
            continue        # drawn by another part of the run (grows with the number of groups)
        assert width / height <= 3.5, (path.name, width, height)
        assert width <= 1600, (path.name, width)


def test_tone_report_explains_documents_in_plain_english_by_split_and_outlet(tone_sample_run):
    page = write_report(tone_sample_run).read_text(encoding="utf-8")
    tone = _section(page, "tone")
    predictions = pd.read_csv(tone_sample_run / "predictions.csv")
    assert set(predictions["split"]) == {"cv"} and "<td>cv</td>" in tone and "out-of-fold" in tone
    assert "Most promotional documents, cv split" in tone and "per outlet" in tone
    for outlet in predictions["outlet"].dropna().unique():
        assert html.escape(outlet) in tone.split("per outlet")[1]
    reasons = re.findall(r"<td>([^<]*\(\+[0-9.e-]+\)[^<]*)</td>", tone.split("Glossary")[0])
    assert reasons and not any("tone__" in r for r in reasons)
    plain = {name for name, _ in TONE_FEATURES.values()}
    assert any(p in reasons[0] for p in plain)
    glossary = tone.split("Glossary")[1]
    for name in {n for text in predictions["top_reasons"].dropna() for n in re.findall(r"(tone__\w+)", text)}:
        assert f"<td>{name}</td>" in glossary


@pytest.mark.shared_data
def test_page_size_is_reported(hyper_run, capsys):
    size = (hyper_run / "report.html").stat().st_size
    with capsys.disabled():
        print(f"\nreport.html of a {len(pd.read_csv(hyper_run / 'doc_topics.csv'))}-document LDA run: "
              f"{size / 1e6:.2f} MB")
    assert page_plotly_count((hyper_run / "report.html").read_text(encoding="utf-8")) == 1
    assert size < 8e6


def page_plotly_count(page: str) -> int:
    return page.count("plotly.js v")    # the bundle's banner: inlined once


@pytest.mark.shared_data
def test_chromium_draws_interactive_figures_that_answer_hover_without_network(browser, hyper_run):
    session, page = browser.load((hyper_run / "report.html").resolve().as_uri())
    assert browser.console_errors() == []
    assert page["images"] and all(complete and width > 0 for complete, width in page["images"])
    plots = browser.evaluate(session, "Array.from(document.querySelectorAll('[data-plot]')).map(d => "
                                      "[d.dataset.plot, d.querySelectorAll('svg.main-svg').length, "
                                      "d.querySelectorAll('.point').length])")
    assert {p[0] for p in plots} == {"intertopic", "over-time", "by-label", "differences"}
    assert all(svgs > 0 and points > 0 for _, svgs, points in plots), plots
    words = pd.read_csv(hyper_run / "intertopic.csv")["top_words"]
    browser.hover(session, "#plot-intertopic .point")
    text = browser.evaluate(session, "Array.from(document.querySelectorAll('#plot-intertopic .hovertext'))"
                                     ".map(h => h.textContent).join(' ')")
    assert "top words" in text and any(w.split()[0] in text for w in words), text
    browser.hover(session, "#plot-over-time .scatterlayer .trace:nth-child(2) .point")
    text = browser.evaluate(session, "Array.from(document.querySelectorAll('#plot-over-time .hovertext'))"
                                     ".map(h => h.textContent).join(' ')")
    assert "words:" in text and "documents" in text, text
    assert browser.requests() == [] and browser.console_errors() == []


@pytest.mark.shared_data
def test_ldavis_page_draws_its_circles_offline(browser, hyper_run):
    page = (hyper_run / "ldavis.html").read_text(encoding="utf-8")
    assert not re.search(r'(?:src|href)="', page) and "Content-Security-Policy" in page   # all inline
    session, _ = browser.load((hyper_run / "ldavis.html").resolve().as_uri())
    circles = browser.evaluate(session, "document.querySelectorAll('svg circle').length")
    assert circles >= 4
    assert browser.requests() == [] and browser.console_errors() == []


def test_long_tables_are_folded_and_paged_in_the_browser(browser, tfidf_run, tmp_path):
    run = tmp_path / "long"
    shutil.copytree(tfidf_run, run)
    data = json.loads((run / "data.json").read_text())
    data["documents"] = [dict(data["documents"][0], id=f"doc{i}") for i in range(3 * PAGE_ROWS)]
    (run / "data.json").write_text(json.dumps(data))
    session, _ = browser.load(write_report(run).resolve().as_uri())
    shown = browser.evaluate(session, "(() => {const t = document.querySelector('table[data-page]');"
                                      "return [t.closest('details') !== null, "
                                      "Array.from(t.tBodies[0].rows).filter(r => r.style.display !== 'none')"
                                      ".length, t.tBodies[0].rows.length];})()")
    assert shown == [True, PAGE_ROWS, 3 * PAGE_ROWS]
    assert browser.console_errors() == []
