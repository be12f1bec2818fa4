"""The matching engine: segmentation, BM25 equal to rank-bm25's, fit, exclusions, ranking."""

from __future__ import annotations

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from services.matching import search

CORPUS = [
    "碳纤维复合材料成型工艺研究，热压罐成型",
    "医疗器械注册与临床试验设计",
    "海洋生物活性物质提取，海参精深加工，海参肽",
    "碳纤维原丝与碳化工艺，预浸料",
    "人工智能与机器视觉在工业缺陷检测中的应用",
    "复合材料结构设计与有限元分析，复合材料",
    "",
    "工艺 工艺 工艺 材料",
]


@pytest.fixture(scope="module")
def segmenter() -> search.Segmenter:
    return search.segmenter()


def test_domain_dictionary_keeps_industry_terms_whole(segmenter):
    tokens = segmenter.tokens("需要树脂传递模塑和热压罐工艺，熟悉血液净化耗材，MES与5G")
    for term in ("树脂传递模塑", "热压罐", "血液净化", "mes", "5g"):
        assert term in tokens
    # Stopwords, punctuation and lone characters are not index terms.
    assert not {"需要", "熟悉", "和", "，", "与"} & set(tokens)


def test_search_mode_yields_the_words_inside_a_compound(segmenter):
    tokens = segmenter.tokens("碳纤维复合材料")
    assert {"碳纤维", "纤维", "复合", "材料"} <= set(tokens)


def test_scores_are_rank_bm25_okapi_scores(segmenter):
    docs = [segmenter.tokens(text) for text in CORPUS]
    ours, theirs = search.Bm25Index(docs), BM25Okapi(docs)
    for query in ("碳纤维复合材料结构设计", "海参加工", "工艺材料工艺", "没有的词"):
        tokens = segmenter.tokens(query)
        assert np.allclose(ours.scores(tokens), theirs.get_scores(tokens))


def test_a_term_in_most_documents_gets_the_epsilon_floor():
    docs = [["common", "rare"], ["common"], ["common"], ["other"]]
    index = search.Bm25Index(docs)
    assert np.allclose(index.scores(["common"]), BM25Okapi(docs).get_scores(["common"]))
    assert index.scores(["common"])[0] > 0


def _expert(expert_id: str, text: str, segmenter: search.Segmenter, **kw) -> search.ExpertDoc:
    values = {"industries": frozenset({"WH-MAT"}), "modes": frozenset({"part_time"}),
              "district": "371002", "availability": "available", "capacity": 3,
              "consent": True, **kw}
    return search.ExpertDoc(expert_id, segmenter.tokens(text), **values)


def _demand(segmenter: search.Segmenter, text: str, **kw) -> search.DemandQuery:
    values = {"industry": "WH-MAT", "related_industries": frozenset({"C", "M"}),
              "modes": frozenset({"part_time"}), "district": "371002",
              "enterprise_id": "ent-1", "enterprise_name": "威海某复材公司", **kw}
    return search.DemandQuery(segmenter.tokens(text), **values)


def test_conflicts_and_unavailable_experts_are_excluded(segmenter):
    text = "碳纤维复合材料热压罐成型工艺"
    index = search.ExpertIndex([
        _expert("ok", text, segmenter),
        _expert("same-org-id", text, segmenter, organisation_id="ent-1"),
        _expert("same-org-name", text, segmenter, organisation_name="威海某复材公司 "),
        _expert("no-consent", text, segmenter, consent=False),
        _expert("unavailable", text, segmenter, availability="unavailable"),
        _expert("full", text, segmenter, capacity=2),
        _expert("put-already", text, segmenter),
    ])
    matches = index.recommend(_demand(segmenter, text), {"full": 2}, limit=10,
                              exclude={"put-already"})
    assert [m.expert_id for m in matches] == ["ok"]


def test_each_recommendation_explains_itself(segmenter):
    index = search.ExpertIndex([
        _expert("a", "碳纤维复合材料热压罐成型工艺", segmenter, district="371003",
                modes=frozenset({"part_time", "secondment"})),
    ])
    [match] = index.recommend(_demand(segmenter, "热压罐成型"), {"a": 1}, limit=5)
    assert {t["term"] for t in match.matched_terms} >= {"热压罐", "成型"}
    assert match.matched_terms == sorted(match.matched_terms, key=lambda t: -t["weight"])
    assert match.factors == {"industry": 1.0, "mode": 1.0, "district": 0.5,
                             "availability": 1.0, "load": pytest.approx(2 / 3)}
    assert match.common_modes == ["part_time"]
    fit = sum(search.FACTOR_WEIGHTS[k] * v for k, v in match.factors.items())
    assert match.score == pytest.approx(search.TEXT_WEIGHT * 1.0 + search.FIT_WEIGHT * fit)


def test_structured_fit_ranks_right_industry_and_mode_first(segmenter):
    text = "复合材料结构设计"
    index = search.ExpertIndex([
        _expert("wrong-industry", text, segmenter, industries=frozenset({"Q"})),
        _expert("related-industry", text, segmenter, industries=frozenset({"C"})),
        _expert("right", text, segmenter),
        _expert("wrong-mode", text, segmenter, modes=frozenset({"technology_equity"})),
    ])
    order = [m.expert_id for m in index.recommend(_demand(segmenter, text), {}, limit=4)]
    assert order == ["right", "related-industry", "wrong-mode", "wrong-industry"]


def test_no_word_and_no_industry_in_common_is_no_candidate(segmenter):
    index = search.ExpertIndex([
        _expert("unrelated", "海参加工", segmenter, industries=frozenset({"Q"})),
        _expert("same-industry", "海参加工", segmenter),
    ])
    assert [m.expert_id for m in index.recommend(_demand(segmenter, "碳纤维"), {})] == [
        "same-industry"]


def test_same_data_same_ranking_ties_broken_by_id(segmenter):
    experts = [_expert(f"e{i:02d}", "碳纤维复合材料", segmenter) for i in (7, 3, 11, 5, 1)]
    demand = _demand(segmenter, "碳纤维")
    first = [m.expert_id for m in search.ExpertIndex(experts).recommend(demand, {}, limit=3)]
    again = [m.expert_id for m in search.ExpertIndex(experts[::-1]).recommend(demand, {}, 3)]
    assert first == again == ["e01", "e03", "e05"]


def test_index_holder_rebuilds_only_when_the_revision_moves(segmenter):
    holder, builds = search.IndexHolder(), []

    def load() -> list[search.ExpertDoc]:
        builds.append(1)
        return [_expert("a", "碳纤维", segmenter)]

    first = holder.current(1, load)
    assert holder.current(1, load) is first
    assert holder.current(2, load) is not first
    assert len(builds) == 2
