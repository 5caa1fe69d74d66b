"""Reading corpora (txt folders, CSV/TSV, JSONL, the embedded sample) into :class:`Document` lists."""
