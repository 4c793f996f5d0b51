"""A word tokenizer in plain Python and NumPy, so the same text gives the same token ids on every backend.

It follows keras.layers.TextVectorization's conventions: id 0 is padding, 1 is out-of-vocabulary,
then the training split's words by falling frequency (ties in alphabetical order); sequences are
right-padded and keep their first `max_len` tokens.
"""
from __future__ import annotations

import re
import string
from dataclasses import dataclass

import numpy as np

PAD, OOV = 0, 1
_BREAK = re.compile(r"<br\s*/?>")
_PUNCTUATION = str.maketrans("", "", string.punctuation)


def standardize(text: str) -> str:
    """Lower-case, drop the corpus's <br /> tags and ASCII punctuation."""
    return _BREAK.sub(" ", text.lower()).translate(_PUNCTUATION)


@dataclass(frozen=True)
class Corpus:
    """Every document as ids into `words` (all words of the corpus, sorted): doc i is ids[starts[i]:starts[i+1]]."""

    words: np.ndarray  # (n_words,) str, sorted
    ids: np.ndarray  # (total tokens,) int32
    starts: np.ndarray  # (n_docs + 1,) int64

    @classmethod
    def of(cls, texts) -> "Corpus":
        docs = [standardize(t).split() for t in texts]
        words = np.array(sorted({w for d in docs for w in d}), dtype=object)
        index = {w: i for i, w in enumerate(words)}
        ids = np.fromiter((index[w] for d in docs for w in d), dtype=np.int32)
        starts = np.zeros(len(docs) + 1, dtype=np.int64)
        np.cumsum([len(d) for d in docs], out=starts[1:])
        return cls(words, ids, starts)

    def doc_ids(self, docs: np.ndarray) -> np.ndarray:
        """The corpus ids of the documents `docs`, concatenated."""
        if len(docs) == 0:
            return np.zeros(0, dtype=np.int32)
        return np.concatenate([self.ids[self.starts[d]: self.starts[d + 1]] for d in docs])

    def vocabulary(self, docs: np.ndarray, size: int) -> np.ndarray:
        """Map corpus id -> token id: the `size` - 2 most frequent words of `docs` get 2, 3, ...; others OOV."""
        counts = np.bincount(self.doc_ids(docs), minlength=len(self.words))
        seen = np.flatnonzero(counts)
        ranked = seen[np.lexsort((seen, -counts[seen]))][: size - 2]  # by count, then alphabetically
        mapping = np.full(len(self.words), OOV, dtype=np.int32)
        mapping[ranked] = np.arange(2, 2 + len(ranked), dtype=np.int32)
        return mapping

    def encode(self, docs: np.ndarray, mapping: np.ndarray, max_len: int) -> tuple[np.ndarray, np.ndarray]:
        """Token ids (len(docs), max_len), right-padded with 0 and cut after max_len, and each doc's length."""
        tokens = np.zeros((len(docs), max_len), dtype=np.int32)
        lengths = np.zeros(len(docs), dtype=np.int32)
        for row, d in enumerate(docs):
            ids = self.ids[self.starts[d]: min(self.starts[d + 1], self.starts[d] + max_len)]
            tokens[row, : len(ids)] = mapping[ids]
            lengths[row] = len(ids)
        return tokens, lengths


def vocabulary_words(corpus: Corpus, mapping: np.ndarray) -> list[str]:
    """The vocabulary as a list indexed by token id ('' padding, '[UNK]' out-of-vocabulary)."""
    size = int(mapping.max()) + 1
    words = ["", "[UNK]"] + [""] * (size - 2)
    for corpus_id in np.flatnonzero(mapping > OOV):
        words[mapping[corpus_id]] = corpus.words[corpus_id]
    return words
