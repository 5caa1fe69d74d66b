"""Helper processes that share one run's work with the process running it.

:func:`map_shared` gives chunks of work to ``helpers`` processes *and* works on them
itself: the helpers take chunks from the back, this process takes them from the front,
and they meet in the middle. So a 2-core machine runs one helper beside the main process
(which would otherwise sit waiting), and only the helpers' share of the results is
pickled across.

:class:`Background` runs jobs that only write files (figures, ``data.json``) in a helper
while the main process goes on with the next stage; with no helpers it runs them at once.
:func:`warm_up` starts the helpers early, so that their imports overlap the main
process's own.

The helpers are spawned by a loky process pool of this module's own (kept between calls;
an idle helper exits after :data:`IDLE_TIMEOUT` seconds), never forked (forking a process
whose BLAS threads have run is a known risk of hangs). The "NaNs in gensim's LDA
inference" once blamed on forking were OpenBLAS raising the invalid flag spuriously, in
processes that never forked; see :mod:`research.topics.lda`. Whatever crosses between
processes is pickled with the standard pickler (loky's own calls back into Python for
every object, 3-4x slower on millions of small strings).

A helper never outlives the process that started it: :func:`watch_parent` (the pool's
initializer) starts a daemon thread that ends the helper within :data:`PARENT_POLL`
seconds once its parent is gone (SIGKILL, out of memory), instead of lingering until
loky notices (about 100 s, holding its memory). Sweep workers call it too.
"""

from __future__ import annotations

import concurrent.futures
import os
import pickle
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = ["Background", "call", "helpers_for", "map_shared", "shutdown", "warm_up", "watch_parent"]

IDLE_TIMEOUT = 60      # seconds an idle helper waits for work before it exits
MIN_DOCUMENTS = 2000   # below this, a helper process costs more than it saves
_pool: list = []       # [the executor], once made
_stopping: list = []   # manager threads of pools told to stop, not yet waited for
PARENT_POLL = 0.5      # seconds between a helper's checks that its parent is alive
_watching: list = []   # the parent pid this process watches, once its watchdog runs


def watch_parent() -> None:
    """In a helper: exit at once (``os._exit``) when the process that started it dies.

    A dead parent's children are re-parented (to init or a subreaper), so ``os.getppid()``
    changes; polling it needs no pid of the parent's and cannot mistake a reused pid.
    Idempotent: one watchdog thread per process."""
    if _watching:
        return
    parent = os.getppid()
    _watching.append(parent)

    def watch() -> None:
        while True:
            time.sleep(PARENT_POLL)
            if os.getppid() != parent:
                os._exit(70)     # no cleanup: the parent is gone and nobody waits for results

    threading.Thread(target=watch, name="research-watch-parent", daemon=True).start()


def helpers_for(workers: int, n_documents: int) -> int:
    """How many helper processes a run of ``n_documents`` with ``clean.workers`` uses."""
    return max(0, int(workers) - 1) if n_documents >= MIN_DOCUMENTS else 0


def shutdown(wait: bool = True) -> None:
    """Stop the helper processes (idle between runs), if any were started; ``wait`` for
    them to exit (also for those told to stop earlier without waiting)."""
    while _pool:
        executor = _pool.pop()
        manager = getattr(executor, "_executor_manager_thread", None)   # loky's; it ends
        executor.shutdown(wait=wait)                                     # after the helpers
        if not wait and manager is not None:
            _stopping.append(manager)
    if wait:
        for manager in _stopping:
            manager.join()
    _stopping[:] = [m for m in _stopping if m.is_alive()]   # a long session runs many


def call(name: str, *args: Any, **kwargs: Any) -> Any:
    """Call the function ``module.function`` named by ``name``, importing its module first
    (so a job can name a function whose module this process has not imported)."""
    import importlib

    module, _, function = name.rpartition(".")
    return getattr(importlib.import_module(module), function)(*args, **kwargs)


def _warm(modules: Sequence[str]) -> None:
    import importlib

    for module in modules:
        importlib.import_module(module)


def warm_up(helpers: int, modules: Sequence[str] = ()) -> None:
    """Start ``helpers`` processes now and have them import ``modules`` (the code they will
    run; the caller names it, so this module never imports a stage)."""
    if helpers >= 1:
        executor = _executor(helpers)
        for _ in range(helpers):
            executor.submit(_warm, tuple(modules))


def _executor(helpers: int):
    """This module's own pool of ``helpers`` processes, made on first use and kept (joblib's
    global reusable executor is left to joblib: sharing it breaks joblib.Parallel)."""
    from joblib.externals.loky import ProcessPoolExecutor

    executor = _pool[0] if _pool else None
    flags = getattr(executor, "_flags", None)
    if (executor is None or executor._max_workers != helpers
            or getattr(flags, "shutdown", False) or getattr(flags, "broken", None)):
        shutdown(wait=False)   # an unusable pool is still waited for at exit
        executor = ProcessPoolExecutor(max_workers=helpers, timeout=IDLE_TIMEOUT, initializer=watch_parent)
        _pool[:] = [executor]
    return executor


def _claim(counters: np.ndarray, from_back: bool) -> int | None:
    """Take the next chunk index from the front (this process) or the back (helpers);
    None when the two ends have met. Two takers may, rarely, both get the same chunk
    (the check and the write are not one step); none is ever skipped."""
    front, back = int(counters[0]), int(counters[1])
    if front >= back:
        return None
    if from_back:
        counters[1] = back - 1
        return back - 1
    counters[0] = front + 1
    return front


def _from_back(path: str, payload: bytes) -> list[tuple[int, bytes]]:
    """A helper's share: chunks taken from the back until the ends meet."""
    function, chunks, args = pickle.loads(payload)
    counters = np.memmap(path, dtype=np.int64, mode="r+", shape=(2,))
    done = []
    while (i := _claim(counters, from_back=True)) is not None:   # pickled as it goes, so
        done.append((i, pickle.dumps(function(chunks[i], *args),   # the ends meet in time
                                     protocol=pickle.HIGHEST_PROTOCOL)))
    return done


def map_shared(function: Callable, chunks: Sequence, helpers: int, *args: Any,
               progress: Callable[[int], None] | None = None) -> list:
    """``[function(chunk, *args) for chunk in chunks]``, computed here and in ``helpers``
    other processes (``function`` and its arguments must pickle).

    The two ends meet through a pair of counters in a memory-mapped file: this process
    takes chunks from the front, the helpers from the back, each without waiting for the
    other (handing out chunks one by one through the executor made the helper wait on
    this busy process's threads). Each helper gets all chunks once and sends its results
    back once, at the end. ``progress(n)``, when given, is told how many chunks were taken
    so far (by this process and the helpers) each time this process takes one."""
    tick = progress or (lambda _: None)
    if helpers < 1 or len(chunks) < 2:
        out = []
        for chunk in chunks:
            out.append(function(chunk, *args))
            tick(len(out))
        return out
    executor = _executor(helpers)
    with tempfile.TemporaryDirectory(prefix="research-share-") as folder:
        path = os.path.join(folder, "counters")
        counters = np.memmap(path, dtype=np.int64, mode="w+", shape=(2,))
        counters[:] = (0, len(chunks))
        counters.flush()
        payload = pickle.dumps((function, chunks, args), protocol=pickle.HIGHEST_PROTOCOL)
        futures = [executor.submit(_from_back, path, payload) for _ in range(helpers)]
        results: dict[int, Any] = {}
        try:
            while (i := _claim(counters, from_back=False)) is not None:
                results[i] = function(chunks[i], *args)
                tick(min(len(chunks), int(counters[0]) + len(chunks) - int(counters[1])))
            for future in futures:
                if not future.cancel():          # not started yet: nothing left for it
                    for i, result in future.result():
                        if i not in results:
                            results[i] = pickle.loads(result)
        except BaseException:
            for future in futures:
                future.cancel()
            counters[0] = len(chunks)            # helpers stop after their current chunk
            raise
        finally:
            for future in futures:               # the file goes only once no helper reads it
                if not future.cancelled():
                    concurrent.futures.wait([future])
            del counters
    return [results[i] for i in range(len(chunks))]


def _run_pickled(payload: bytes) -> None:
    function, args, kwargs = pickle.loads(payload)
    function(*args, **kwargs)


class Background:
    """Jobs that write files, run in a helper process while this one goes on.

    ``helpers`` is 0 (jobs run at once, here) until a stage sets it. :meth:`wait` returns
    when every job submitted so far has finished and raises the first job's error."""

    def __init__(self) -> None:
        self.helpers = 0
        self._futures: list = []

    def submit(self, function: Callable, *args: Any, **kwargs: Any) -> None:
        if self.helpers < 1:
            function(*args, **kwargs)
            return
        payload = pickle.dumps((function, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
        self._futures.append(_executor(self.helpers).submit(_run_pickled, payload))

    def wait(self) -> None:
        futures, self._futures = self._futures, []
        errors = [f.exception() for f in futures]
        for error in errors:
            if error is not None:
                raise error
