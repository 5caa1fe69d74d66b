"""What a person sees on the console: the ``research`` loggers, their console handler, progress bars.

The library logs through the standard ``logging`` hierarchy under ``research``: a run's lines
go to the ``research.run`` logger (see :class:`RunForward`), a sweep's to ``research.sweep``.
Silence or redirect them as any library's::

    logging.getLogger("research").setLevel(logging.WARNING)   # only warnings and errors
    logging.getLogger("research").addHandler(my_handler)       # lines go there instead

Until the application configures logging (a handler on the ``research`` or the root
logger), a fallback handler on the ``research`` logger prints its lines on stderr, so a run
started from Python shows its progress, as it does from the command line; the ``research``
logger is set to INFO unless it has a level already. No handler is ever put on the root
logger by library code; the command line does that through :func:`configured`.

A run's own ``log.txt`` is written by the run's file handler, not through this hierarchy,
so it keeps every line whatever the console shows.

Progress bars (:mod:`research.util.progress`) are drawn on stderr when it is a terminal
and the ``research`` logger shows INFO lines; ``RESEARCH_PROGRESS=1`` (or ``0``) or the
command line's ``--progress`` / ``--quiet`` decide otherwise. Console lines are written
around the bars (never through them), and bars never reach a log file.
"""

from __future__ import annotations

import contextvars
import logging
import logging.handlers
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

__all__ = ["LOGGER", "ConsoleHandler", "RunForward", "bars_forced", "bars_on", "configured", "current_tag", "listening", "relayed", "settings",
           "tagged",
           "write_line"]

LOGGER = "research"
RUN_LOGGER = "research.run"
_TAG: contextvars.ContextVar[str] = contextvars.ContextVar("research_console_tag", default="")
_state: dict[str, Any] = {"bars": None, "configured": False}   # bars: None = decide from the terminal


def bars_forced() -> bool | None:
    """True or False when --progress / --quiet or RESEARCH_PROGRESS decide; None: the terminal does."""
    if _state["bars"] is not None:
        return bool(_state["bars"])
    env = os.environ.get("RESEARCH_PROGRESS", "").strip().lower()
    return True if env in ("1", "true", "yes", "on") else False if env in ("0", "false", "no", "off") else None


def bars_on() -> bool:
    """Whether progress bars are drawn now (see the module docstring)."""
    forced = bars_forced()
    if forced is not None:
        return forced
    stream = sys.stderr
    return bool(stream is not None and stream.isatty()) and logging.getLogger(LOGGER).isEnabledFor(logging.INFO)


def write_line(text: str, stream=None) -> None:
    """Write one line on ``stream`` (stderr), clearing and redrawing any progress bar around it."""
    stream = stream or sys.stderr
    if bars_on():
        from tqdm import tqdm

        tqdm.write(text, file=stream)
    else:
        stream.write(text + "\n")
    stream.flush()


class ConsoleHandler(logging.Handler):
    """Lines on the current ``sys.stderr`` (looked up at each line, so redirecting it works)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            write_line(self.format(record))
        except Exception:
            self.handleError(record)


class _Fallback(ConsoleHandler):
    """On the ``research`` logger: prints until the application puts a handler on it or on the root."""

    def handle(self, record: logging.LogRecord) -> bool:
        library = logging.getLogger(LOGGER)
        if any(h is not self for h in library.handlers) or (library.propagate and logging.getLogger().handlers):
            return False
        return bool(super().handle(record))


class RunForward(logging.Handler):
    """On a run's own logger (which writes ``log.txt`` and does not propagate): hands each line
    to the ``research.run`` logger when that is enabled for its level -- the line then goes up
    the hierarchy like any library's -- prefixed with the sweep combination's tag, if any."""

    def emit(self, record: logging.LogRecord) -> None:
        target = logging.getLogger(RUN_LOGGER)
        if not target.isEnabledFor(record.levelno):
            return
        tag = _TAG.get()
        if tag:
            record = logging.makeLogRecord({**record.__dict__, "msg": f"[{tag}] {record.getMessage()}",
                                            "args": None})
        target.handle(record)


def current_tag() -> str:
    return _TAG.get()


@contextmanager
def tagged(tag: str) -> Iterator[None]:
    """Prefix every console line of the runs started inside with ``[tag]`` (a sweep's combination)."""
    token = _TAG.set(tag)
    try:
        yield
    finally:
        _TAG.reset(token)


class _QueueHandler(logging.handlers.QueueHandler):
    def handleError(self, record: logging.LogRecord) -> None:
        pass                      # the sweep that listened is gone (interrupted): the line is lost


@contextmanager
def relayed(queue: Any) -> Iterator[None]:
    """In a worker process: the ``research`` lines go to ``queue`` (see :func:`listening`)
    instead of this process's stderr."""
    library = logging.getLogger(LOGGER)
    handler = _QueueHandler(queue)
    library.addHandler(handler)   # the fallback stands aside while it is there
    try:
        yield
    finally:
        library.removeHandler(handler)


class _Relay(logging.Handler):
    def handle(self, record: logging.LogRecord) -> bool:
        logging.getLogger(RUN_LOGGER if record.name.startswith(RUN_LOGGER + ".") else record.name).handle(record)
        return True


@contextmanager
def listening(queue: Any) -> Iterator[None]:
    """In the process that started workers: their lines from ``queue``, handled here one by one
    (whole lines, around this process's progress bars, by this process's handlers)."""
    listener = logging.handlers.QueueListener(queue, _Relay())
    listener.start()
    try:
        yield
    finally:
        with suppress(Exception):
            listener.stop()


def _install_fallback() -> None:
    library = logging.getLogger(LOGGER)
    if library.level == logging.NOTSET:
        library.setLevel(logging.INFO)
    if not any(isinstance(h, _Fallback) for h in library.handlers):
        handler = _Fallback()
        handler.setFormatter(logging.Formatter("%(message)s"))
        library.addHandler(handler)


class _Format(logging.Formatter):
    """The library's lines as they are; other libraries' with their level and name."""

    def format(self, record: logging.LogRecord) -> str:
        if record.name == LOGGER or record.name.startswith(LOGGER + "."):
            return record.getMessage()
        return f"{record.levelname.lower()}: {record.name}: {record.getMessage()}"


def settings() -> dict[str, Any]:
    """This process's console settings, to hand to a worker process's :func:`configured`."""
    return {"level": logging.getLogger(LOGGER).getEffectiveLevel(), "bars": _state["bars"],
            "handler": _state["configured"]}


@contextmanager
def configured(level: int = logging.INFO, bars: bool | None = None, handler: bool = True) -> Iterator[None]:
    """The command line's console: the ``research`` loggers at ``level``, with ``handler`` a
    console handler on the root logger, bars forced on or off (None: decide from the terminal).
    Everything is put back on exit."""
    library, root = logging.getLogger(LOGGER), logging.getLogger()
    saved = (library.level, dict(_state))
    console = None
    if handler:
        console = ConsoleHandler()
        console.setFormatter(_Format())
        root.addHandler(console)
    library.setLevel(level)
    _state.update(bars=bars, configured=handler)
    try:
        yield
    finally:
        if console is not None:
            root.removeHandler(console)
        library.setLevel(saved[0])
        _state.clear()
        _state.update(saved[1])


_install_fallback()
