"""What a researcher would write by hand for 20 Newsgroups: TF-IDF (or counts) + NMF (or LDA)
+ gensim coherence, nothing else. Used by bench_script.py as the reference for CPU seconds.

    python experiments/handwritten.py nmf|lda
"""

import gzip
import json
import sys
from pathlib import Path

from gensim.corpora import Dictionary
from gensim.models import CoherenceModel, LdaModel
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

kind = sys.argv[1]
path = Path(__file__).resolve().parents[2] / "shared/data/20newsgroups/20newsgroups_bydate.jsonl.gz"
texts = []
with gzip.open(path, "rt", encoding="utf-8") as handle:
    for line in handle:
        text = json.loads(line)["text"]
        texts.append(text.split("\n\n", 1)[-1])          # drop the e-mail headers
if kind == "nmf":
    vectorizer = TfidfVectorizer(min_df=5, max_df=0.5, stop_words="english")
    X = vectorizer.fit_transform(texts)
    words = vectorizer.get_feature_names_out()
    model = NMF(n_components=20, init="nndsvda", random_state=42, max_iter=200).fit(X)
    topics = [[words[i] for i in row.argsort()[::-1][:10]] for row in model.components_]
else:
    vectorizer = CountVectorizer(min_df=5, max_df=0.5, stop_words="english")
    X = vectorizer.fit_transform(texts)
    words = vectorizer.get_feature_names_out()
    corpus = [list(zip(row.indices.tolist(), row.data.tolist(), strict=False)) for row in X]
    lda = LdaModel(corpus, num_topics=20, id2word=dict(enumerate(words)), passes=5, chunksize=500,
                   alpha="asymmetric", eta=0.01, random_state=42)
    topics = [[words[i] for i, _ in lda.get_topic_terms(k, 10)] for k in range(20)]
analyzer = vectorizer.build_analyzer()
tokens = [analyzer(t) for t in texts]
dictionary = Dictionary(tokens)
score = CoherenceModel(topics=topics, texts=tokens, dictionary=dictionary, coherence="c_npmi",
                       processes=1).get_coherence()
print(f"c_npmi {score:.4f}")
