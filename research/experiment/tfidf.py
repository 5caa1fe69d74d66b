"""The ``tfidf`` kind: vectorise only, with top terms per document and per outlet."""

from __future__ import annotations

from typing import Any

from research.config.load import Config
from research.experiment.kinds import register_kind
from research.experiment.stages import Prepared, write_top_terms
from research.runs.folder import RunFolder

__all__: list[str] = []


@register_kind("tfidf")
def _run_tfidf(config: Config, run: RunFolder, prepared: Prepared) -> dict[str, Any]:
    """Vectorise only: top terms per document and per outlet, and their figure."""
    from research.util.figures import plot_term_panels

    with run.stage("report"):
        by_outlet = write_top_terms(run, prepared, config["report"]["top_terms"])
        plot_term_panels(by_outlet, run.path / "figures" / "top_terms_by_outlet.png",
                         title=f"Top TF-IDF terms by outlet ({config.name})")
    return {}
