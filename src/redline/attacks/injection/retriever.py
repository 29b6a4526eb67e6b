"""A TF-IDF retriever: small, deterministic, and good enough to rank a handful of documents."""

from __future__ import annotations

from collections.abc import Sequence

from redline.attacks.injection.documents import Document


class TfidfRetriever:
    """Ranks documents by TF-IDF cosine similarity to a query (title and text, unigrams+bigrams)."""

    def __init__(self, documents: Sequence[Document]) -> None:
        if not documents:
            raise ValueError("a retriever needs at least one document")
        # scikit-learn is imported here, not at module level: importing it costs
        # about a second and 60 MB, and most campaigns never build a retriever.
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.documents = list(documents)
        self._vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
        self._matrix = self._vectorizer.fit_transform(
            [f"{d.title}\n{d.text}" for d in self.documents]
        )

    def search(self, query: str, *, k: int = 3) -> list[Document]:
        """The ``k`` best documents for ``query``, best first (ties keep store order)."""
        from sklearn.metrics.pairwise import linear_kernel

        similarities = linear_kernel(self._vectorizer.transform([query]), self._matrix)[0]
        order = sorted(range(len(self.documents)), key=lambda i: (-similarities[i], i))
        return [self.documents[i] for i in order[:k]]
