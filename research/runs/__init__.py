"""Run folders: writing and status, artefacts, reuse (``load_run``), comparison and reports."""
