"""pyLDAvis's interactive view as one page that works offline.

pyLDAvis's own ``prepared_data_to_html`` loads d3 and LDAvis from CDNs, so without a network
the page stays blank. :func:`ldavis_page` inlines the copies that the pyLDAvis package ships
(``pyLDAvis/js``: d3 v5, the LDAvis script and its CSS) and forbids any request with a
Content-Security-Policy, as the run report does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["LDAVIS_CSP", "ldavis_page"]

LDAVIS_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:"
VISID = "ldavis_view"


def _script(text: str) -> str:
    """Text safe inside <script>: no sequence can close the element early."""
    return text.replace("</", "<\\/")


def ldavis_page(prepared: Any, title: str = "pyLDAvis: topics of this run") -> str:
    """A standalone HTML page of pyLDAvis ``prepared`` data (from ``pyLDAvis.prepare``) with
    d3, LDAvis and its CSS inline; it makes no network request."""
    from pyLDAvis import urls  # the optional dependency; the caller checked it is installed

    d3, ldavis, css = (Path(p).read_text(encoding="utf-8")
                       for p in (urls.D3_LOCAL, urls.LDAVIS_LOCAL, urls.LDAVIS_CSS_LOCAL))
    data = prepared.to_json()
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{LDAVIS_CSP}">'
            f"<title>{title}</title><style>{css}</style></head><body>"
            f'<div id="{VISID}" style="background-color:white;"></div>'
            f"<script>{_script(d3)}</script><script>{_script(ldavis)}</script>"
            f"<script>new LDAvis({json.dumps('#' + VISID)}, {_script(data)});</script>"
            "</body></html>\n")
