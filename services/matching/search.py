"""The matching engine: Chinese segmentation, BM25 over expert profiles, structured fit.

Pure computation (no database, no network): the use cases hand it the experts' stored tokens
and attributes and get back ranked, explained recommendations.

Why our own BM25 instead of a library: rank-bm25's ``BM25Okapi`` (the bench's baseline) scans
every document in Python for every query term, far from a 50 ms answer over 100,000 experts;
bm25s precomputes each document's score per term at build time, so it needs scipy and a full
re-scoring on every profile edit, and it does not reproduce BM25Okapi's idf floor. This index
computes exactly BM25Okapi's formula (its idf with the epsilon floor, k1 = 1.5, b = 0.75) from
an inverted index held in numpy arrays, touching only the postings of the query's terms; a unit
test checks its scores against rank-bm25 on the same corpus.
"""

from __future__ import annotations

import logging
import re
import threading
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import jieba
import numpy as np

DOMAIN_DICTIONARY = Path(__file__).with_name("data") / "domain_dict.txt"

STOPWORDS_FILE = Path(__file__).with_name("data") / "stopwords.txt"
STOPWORDS = frozenset(
    word
    for line in STOPWORDS_FILE.read_text(encoding="utf-8").splitlines()
    if not line.startswith("#")
    for word in line.split()
)
_WORDLIKE = re.compile(r"[\w]", re.UNICODE)
_CJK = re.compile(r"[\u4e00-\u9fff]")


class Segmenter:
    """jieba with the platform's domain dictionary (industry and talent-programme terms).

    Search-mode cutting also yields the words inside a compound (碳纤维复合材料 gives 碳纤维,
    复合材料...), so a demand for 复合材料 meets a profile that says 碳纤维复合材料.
    """

    def __init__(self, dictionary: Path = DOMAIN_DICTIONARY) -> None:
        self._dictionary = dictionary
        self._tokenizer: jieba.Tokenizer | None = None
        self._lock = threading.Lock()

    def _ready(self) -> jieba.Tokenizer:
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    jieba.setLogLevel(logging.WARNING)
                    tokenizer = jieba.Tokenizer()
                    tokenizer.load_userdict(str(self._dictionary))
                    self._tokenizer = tokenizer
        return self._tokenizer

    def warm_up(self) -> None:
        """Load the dictionaries now (about a second) rather than on the first request."""
        self._ready()

    def tokens(self, text: str) -> list[str]:
        """The index terms of ``text``: lower-cased, without punctuation, stopwords and lone
        Chinese characters (a single character is too ambiguous to rank on)."""
        terms = []
        for raw in self._ready().cut_for_search(text, HMM=False):
            term = raw.strip().lower()
            if not term or term in STOPWORDS or not _WORDLIKE.search(term):
                continue
            if len(term) == 1 and (_CJK.match(term) or not term.isalnum()):
                continue
            terms.append(term)
        return terms


_default_segmenter: Segmenter | None = None


def segmenter() -> Segmenter:
    """The process's one segmenter (jieba's dictionaries take tens of MB; load them once)."""
    global _default_segmenter
    if _default_segmenter is None:
        _default_segmenter = Segmenter()
    return _default_segmenter


class Bm25Index:
    """BM25Okapi (k1, b, epsilon as in rank-bm25) over tokenized documents, as an inverted
    index: for each term, the ascending ids of the documents holding it and its frequency."""

    def __init__(
        self,
        documents: Iterable[Sequence[str]],
        k1: float = 1.5,
        b: float = 0.75,
        epsilon: float = 0.25,
    ) -> None:
        self.k1, self.b, self.epsilon = k1, b, epsilon
        self.vocabulary: dict[str, int] = {}
        terms, freqs, docs, lengths = array("i"), array("f"), array("i"), array("i")
        vocabulary = self.vocabulary
        for doc_id, tokens in enumerate(documents):
            counts = Counter(tokens)
            terms.extend([vocabulary.setdefault(t, len(vocabulary)) for t in counts])
            freqs.extend(counts.values())
            docs.extend([doc_id] * len(counts))
            lengths.append(len(tokens))
        self.size = len(lengths)
        term_ids = np.frombuffer(terms, dtype=np.int32)
        # A stable sort keeps each term's documents in ascending order.
        order = np.argsort(term_ids, kind="stable")
        self.postings_doc = np.frombuffer(docs, dtype=np.int32)[order]
        self.postings_tf = np.frombuffer(freqs, dtype=np.float32)[order].astype(np.float64)
        df = np.bincount(term_ids, minlength=len(vocabulary))
        self.offsets = np.concatenate(([0], np.cumsum(df))).astype(np.int64)
        doc_len = np.frombuffer(lengths, dtype=np.int32).astype(np.float64)
        self.avgdl = float(doc_len.mean()) if self.size and doc_len.sum() else 1.0
        self._norm = self.k1 * (1 - self.b + self.b * doc_len / self.avgdl)
        self.idf = self._idf(df)

    def _idf(self, df: np.ndarray) -> np.ndarray:
        if not len(df):
            return np.zeros(0)
        idf = np.log(self.size - df + 0.5) - np.log(df + 0.5)
        # rank-bm25's floor: a term in more than half the documents weighs eps × mean idf.
        # In a tiny corpus the mean itself is negative and rank-bm25 would score a shared
        # word below nothing; there the floor is eps (the only place the two differ).
        floor = self.epsilon * float(idf.mean())
        if floor <= 0:
            floor = self.epsilon
        return np.where(idf < 0, floor, idf)

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray, float]:
        """(document ids, term frequencies, idf) of ``term``; empty when it is unknown."""
        term_id = self.vocabulary.get(term)
        if term_id is None:
            return np.zeros(0, np.int32), np.zeros(0), 0.0
        start, end = self.offsets[term_id], self.offsets[term_id + 1]
        return self.postings_doc[start:end], self.postings_tf[start:end], float(self.idf[term_id])

    def contributions(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """The documents holding ``term`` and what the term adds to each one's score."""
        docs, tf, idf = self.postings(term)
        return docs, idf * tf * (self.k1 + 1) / (tf + self._norm[docs])

    def scores(self, query: Sequence[str]) -> np.ndarray:
        """The BM25 score of every document for ``query`` (a repeated term counts again)."""
        scores = np.zeros(self.size)
        for term, times in Counter(query).items():
            docs, added = self.contributions(term)
            scores[docs] += times * added
        return scores


# Structured fit (each factor 0..1) and how much each weighs. Text relevance and fit are mixed
# so that a perfect text match in the wrong industry does not beat a strong match in the right
# one, nor a right-industry expert with no word in common beat a real match.
TEXT_WEIGHT = 0.55
FIT_WEIGHT = 0.45
FACTOR_WEIGHTS = {
    "industry": 0.35,
    "mode": 0.25,
    "district": 0.15,
    "availability": 0.10,
    "load": 0.15,
}
AVAILABILITY_FIT = {"available": 1.0, "limited": 0.5}
RELATED_INDUSTRY_FIT = 0.5
OTHER_DISTRICT_FIT = 0.5


@dataclass(frozen=True)
class ExpertDoc:
    """What the engine knows of one expert: stored tokens and the structured attributes."""

    expert_id: str
    tokens: Sequence[str]
    industries: frozenset[str]
    modes: frozenset[str]
    district: str
    availability: str  # available | limited | unavailable
    capacity: int
    consent: bool
    organisation_id: str | None = None
    organisation_name: str | None = None


@dataclass(frozen=True)
class DemandQuery:
    tokens: Sequence[str]
    industry: str
    related_industries: frozenset[str]  # sections or clusters close to the demand's industry
    modes: frozenset[str]  # empty: any mode is welcome
    district: str
    enterprise_id: str
    enterprise_name: str


@dataclass(frozen=True)
class Match:
    expert_id: str
    score: float
    text_score: float
    matched_terms: list[dict[str, float | str]]
    factors: dict[str, float]
    common_modes: list[str] = field(default_factory=list)


def _normalise_name(name: str | None) -> str:
    return re.sub(r"\s+", "", name or "").lower()


class ExpertIndex:
    """Every expert's text in a BM25 index beside arrays of the structured attributes, so one
    demand is scored against all experts with a few vectorised operations."""

    def __init__(self, experts: Sequence[ExpertDoc], revision: int = 0) -> None:
        self.revision = revision
        self.experts = list(experts)
        self.ids = [e.expert_id for e in self.experts]
        self.position = {expert_id: i for i, expert_id in enumerate(self.ids)}
        self.text = Bm25Index(e.tokens for e in self.experts)
        # Rank of each id in sorted order: the tie-break that makes a ranking reproducible.
        self._id_rank = np.empty(len(self.ids), np.int64)
        self._id_rank[np.argsort(np.array(self.ids, dtype=str), kind="stable")] = np.arange(
            len(self.ids))
        self._mode_sets = [e.modes for e in self.experts]
        self._industry_bits = self._bits([e.industries for e in self.experts])
        self._mode_bits = self._bits(self._mode_sets)
        self._district_codes = {code: i for i, code in
                                enumerate(sorted({e.district for e in self.experts}))}
        self._district = np.array([self._district_codes[e.district] for e in self.experts],
                                  dtype=np.int16)
        self._availability = np.array(
            [AVAILABILITY_FIT.get(e.availability, 0.0) for e in self.experts]
        )
        self._capacity = np.array([max(e.capacity, 1) for e in self.experts], dtype=np.float64)
        self._eligible = np.array(
            [e.consent and e.availability in AVAILABILITY_FIT for e in self.experts], dtype=bool
        )
        self._org_ids: dict[str, list[int]] = {}
        self._org_names: dict[str, list[int]] = {}
        for i, e in enumerate(self.experts):
            if e.organisation_id:
                self._org_ids.setdefault(e.organisation_id, []).append(i)
            if e.organisation_name:
                self._org_names.setdefault(_normalise_name(e.organisation_name), []).append(i)

    def _bits(self, sets: list[frozenset[str]]) -> dict[str, np.ndarray]:
        """For each value (industry code, mode), the mask of experts that have it."""
        masks: dict[str, np.ndarray] = {}
        for i, values in enumerate(sets):
            for value in values:
                masks.setdefault(value, np.zeros(len(sets), dtype=bool))[i] = True
        return masks

    def _mask(self, masks: dict[str, np.ndarray], values: Iterable[str]) -> np.ndarray:
        out = np.zeros(len(self.ids), dtype=bool)
        for value in values:
            if value in masks:
                out |= masks[value]
        return out

    def recommend(
        self,
        demand: DemandQuery,
        loads: dict[str, int],
        limit: int = 10,
        exclude: Iterable[str] = (),
    ) -> list[Match]:
        """The ``limit`` best experts for ``demand``, best first, each with its explanation.

        Excluded: experts who did not consent to be contacted, are unavailable, are at their
        capacity of active collaborations, belong to the demand's own enterprise (a conflict
        of interest), or are in ``exclude`` (already put to this demand). A candidate must
        share a word with the demand or work in its industry.
        Ties are broken by expert id, so the same data always gives the same ranking.
        """
        n = len(self.ids)
        if n == 0 or limit <= 0:
            return []
        text = self.text.scores(demand.tokens)
        load = np.zeros(n)
        if loads:
            at = np.fromiter((self.position.get(e, -1) for e in loads), np.int64, len(loads))
            active = np.fromiter(loads.values(), np.float64, len(loads))
            load[at[at >= 0]] = active[at >= 0]
        eligible = self._eligible & (load < self._capacity)
        excluded = [*self._org_ids.get(demand.enterprise_id, []),
                    *self._org_names.get(_normalise_name(demand.enterprise_name), []),
                    *(self.position[e] for e in exclude if e in self.position)]
        eligible[excluded] = False
        same = self._mask(self._industry_bits, [demand.industry])
        related = self._mask(self._industry_bits, demand.related_industries)
        # The fit is computed for the candidates only: those left after the exclusions that
        # share a term with the demand or work in its industry.
        c = np.flatnonzero(eligible & ((text > 0) | same | related))
        if not len(c):
            return []
        factors = {
            "industry": np.where(same[c], 1.0, np.where(related[c], RELATED_INDUSTRY_FIT, 0.0)),
            "mode": self._mask(self._mode_bits, demand.modes)[c].astype(np.float64)
            if demand.modes else np.ones(len(c)),
            "district": np.where(
                self._district[c] == self._district_codes.get(demand.district, -1),
                1.0, OTHER_DISTRICT_FIT),
            "availability": self._availability[c],
            "load": np.clip(1.0 - load[c] / self._capacity[c], 0.0, 1.0),
        }
        fit = sum(FACTOR_WEIGHTS[name] * values for name, values in factors.items())
        best_text = float(text[c].max())
        relevance = text[c] / best_text if best_text > 0 else np.zeros(len(c))
        score = TEXT_WEIGHT * relevance + FIT_WEIGHT * fit

        keep = np.arange(len(c))
        if len(c) > limit:
            # Keep every candidate tied with the limit-th score, then order by score and id.
            keep = np.flatnonzero(score >= np.partition(score, -limit)[-limit])
        ranked = keep[np.lexsort((self._id_rank[c[keep]], -score[keep]))][:limit]
        terms = self._matched_terms(demand.tokens, c[ranked])
        return [
            Match(
                expert_id=self.ids[c[k]],
                score=float(score[k]),
                text_score=float(text[c[k]]),
                matched_terms=terms[int(c[k])],
                factors={name: float(values[k]) for name, values in factors.items()},
                common_modes=sorted(self._mode_sets[c[k]] & demand.modes)
                if demand.modes
                else sorted(self._mode_sets[c[k]]),
            )
            for k in ranked
        ]

    def _matched_terms(
        self, query: Sequence[str], docs: np.ndarray
    ) -> dict[int, list[dict[str, float | str]]]:
        """For each of ``docs``: the query terms it holds and what each added, largest first."""
        found: dict[int, list[dict[str, float | str]]] = {int(d): [] for d in docs}
        for term, times in Counter(query).items():
            postings, added = self.text.contributions(term)
            if not len(postings):
                continue
            at = np.searchsorted(postings, docs)
            for doc, j in zip(docs, at, strict=True):
                if j < len(postings) and postings[j] == doc:
                    found[int(doc)].append({"term": term, "weight": float(times * added[j])})
        for terms in found.values():
            terms.sort(key=lambda t: (-float(t["weight"]), str(t["term"])))
        return found



class IndexHolder:
    """A process's current ExpertIndex, rebuilt when the database's revision has moved on."""

    def __init__(self) -> None:
        self.index: ExpertIndex | None = None
        self._lock = threading.Lock()

    def current(self, revision: int, load: Callable[[], list[ExpertDoc]]) -> ExpertIndex:
        index = self.index
        if index is not None and index.revision == revision:
            return index
        with self._lock:
            if self.index is None or self.index.revision != revision:
                self.index = ExpertIndex(load(), revision)
            return self.index
