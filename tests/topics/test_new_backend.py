"""A new topic back-end is three files (README, "Layout"): its module, registering its class in
TOPIC_BACKENDS; its section in defaults.yaml; its module in BACKEND_MODULES. This test adds one
that way -- a module outside the package, a defaults file with its section, an import standing
for the BACKEND_MODULES line -- and runs it through everything a built-in back-end goes
through: a config, an experiment, the run folder's artefacts, load_run, compare and the
estimator facade. It runs in its own process so that the registration does not leak."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]

MODULE = '''
from research.topics import TOPIC_BACKENDS, SklearnNMF


@TOPIC_BACKENDS.register("nmf.tiny")
class TinyNMF(SklearnNMF):
    """scikit-learn NMF under another name: stands for a new back-end."""

    name = "nmf.tiny"
'''

SCRIPT = '''
import json, sys
from pathlib import Path
import numpy as np
here = Path(sys.argv[1])
sys.path.insert(0, str(here))
import research
import research.config.load as load
load.DEFAULTS_PATH = here / "defaults.yaml"          # file 2: the section in defaults.yaml
import tinynmf                                        # file 3: the line in BACKEND_MODULES
config = research.load_config("nmf.yaml", ["topics.nmf_backend=tiny", "topics.num_topics=3",
                                           "topics.evaluate.stability_seeds=[]"])
path = research.run_experiment(config, results_dir=here / "results")
run = research.load_run(path)
texts = ["Pakistan and the United States discussed trade and security in Islamabad.",
         "The army chief met officials in Washington about counterterrorism."]
saved = json.loads((path / "artifacts" / "model.json").read_text())["class"]
table = research.compare(results_dir=here / "results")
X = run.vectorize(texts)
facade = research.topics.NMF(num_topics=2, backend="tiny").fit(X, feature_names=list(run.vectorizer.get_feature_names_out()))
print(json.dumps({"status": json.loads((path / "run.json").read_text())["status"], "saved_class": saved,
                  "loaded": type(run.model).__name__, "shares": run.transform(texts).sum(axis=1).round(6).tolist(),
                  "same_as_fitted": bool(np.allclose(run.transform(texts), run.model.transform(X))),
                  "compare_kind": table["kind"].tolist(), "facade": repr(facade),
                  "facade_shape": list(facade.transform(X).shape)}))
'''


def test_a_new_topic_backend_is_its_module_its_defaults_section_and_its_registration(tmp_path):
    (tmp_path / "tinynmf.py").write_text(MODULE, encoding="utf-8")                 # file 1
    defaults = yaml.safe_load((ROOT / "research" / "config" / "defaults.yaml").read_text(encoding="utf-8"))
    defaults["topics"]["nmf_tiny"] = {**defaults["topics"]["nmf_sklearn"], "max_iter": 300}
    (tmp_path / "defaults.yaml").write_text(yaml.safe_dump(defaults), encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(SCRIPT), str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["status"] == "complete"
    assert out["saved_class"] == "tinynmf.TinyNMF" and out["loaded"] == "TinyNMF"
    assert out["shares"] == [1.0, 1.0] and out["same_as_fitted"]
    assert out["compare_kind"] == ["nmf"]
    assert out["facade"] == "NMF(num_topics=2, backend='tiny')" and out["facade_shape"] == [2, 2]
