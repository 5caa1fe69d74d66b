"""report.html: self-contained, escaped, tolerant of missing files, and rendered by a real
browser (headless Chromium over the DevTools protocol on a pipe: no network, no port) without
console errors and with every figure displayed."""

from __future__ import annotations

import base64
import json
import os
import re
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest

import research
import research.cli.extra
from research.cli.main import main
from research.runs.folder import sha256_file
from research.runs.report import write_report
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
    assert not re.search(r'(?:src|href)="(?!data:|#)', page)   # nothing loaded or linked from elsewhere
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
    assert '<td>macro_f1</td><td class="n">0.7</td><td>[0.4, 0.9]</td>' in metrics
    assert "<th>predicted opinion</th>" in metrics                      # the confusion matrix
    tone = _section(page, "tone")
    most, least = tone.split("Least promotional")
    assert most.index("d2") < most.index("d4") < most.index("d1") < most.index("d3")
    assert least.index("d3") < least.index("d1")
    assert "tone__booster (+0.6)" in most


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
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable", session=session)
        self.call("Page.navigate", {"url": url}, session=session)
        self.wait_for("Page.loadEventFired")
        probe = ("JSON.stringify({title: document.title, images: Array.from(document.images)"
                 ".map(i => [i.complete, i.naturalWidth])})")
        result = self.call("Runtime.evaluate", {"expression": probe, "returnByValue": True}, session=session)
        return session, json.loads(result["result"]["value"])

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
