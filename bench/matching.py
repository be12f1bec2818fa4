"""Matching benchmark: top-10 recommendations over 100,000 experts, beside rank-bm25.

A generated corpus (fixed seed) of experts whose profiles read like the talent database's:
titles, disciplines, skills and achievements in Chinese, drawn per industry cluster from
phrase lists, with generic filler; and demands written the same way. Measured, in one run:

- segmentation: jieba with the domain dictionary over every profile (done once per profile
  when it is registered, so reported apart from the index build), on every core;
- index build: ``ExpertIndex`` from the stored tokens, as the service builds it;
- recommend: ``ExpertIndex.recommend`` (BM25 + structured fit + exclusions + explanation),
  top 10, for every demand: p50 / p95 latency;
- the process's peak RSS after building and querying (before the baseline runs);
- baseline: rank-bm25's ``BM25Okapi`` over the same tokens, ``get_scores`` + top 10, on a
  sample of the demands (each query scans every document in Python); our BM25 text scores
  and top-10 by text score must equal its, and our text-only top 10 is timed beside it.

Targets: recommend p95 ≤ 50 ms, index build ≤ 60 s, peak RSS ≤ 1.5 GB, BM25 top 10 ≥ 20×
faster than rank-bm25 (full size only: at smoke size the corpus is too small for the gap),
and the same top 10 as rank-bm25 (always).

    python bench/matching.py [--smoke] [--experts N] [--demands M] [--baseline-queries K]

Last line: one JSON object; exit 1 on a missed target.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import platform
import random
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

import jieba  # noqa: E402
import numpy as np  # noqa: E402
from rank_bm25 import BM25Okapi  # noqa: E402

from contracts.events import COOPERATION_MODES  # noqa: E402
from servicekit.tenants import DISTRICTS  # noqa: E402
from services.matching import domain, search  # noqa: E402

TARGET_P95_MS = 50.0
TARGET_BUILD_S = 60.0
TARGET_RSS_MB = 1536.0
TARGET_SPEEDUP = 20.0

# Phrases per cluster, as profiles and demands write them.
TOPICS: dict[str, list[str]] = {
    "WH-MAT": ["碳纤维复合材料成型工艺", "热压罐成型", "树脂传递模塑", "预浸料生产", "原丝碳化工艺",
               "复合材料结构设计", "有限元分析", "高分子材料改性", "石墨烯应用", "轻量化设计",
               "玻璃纤维增强", "芳纶纤维", "聚氨酯材料", "轮胎配方设计", "橡胶加工"],
    "WH-MED": ["医用高分子材料", "血液净化耗材", "骨科植入物", "体外诊断试剂", "医疗器械注册",
               "临床试验设计", "影像设备研发", "康复器械", "手术机器人", "药物制剂", "创新药开发",
               "中药材深加工", "西洋参制剂", "灭菌工艺验证", "医用耗材质量体系"],
    "WH-SEA": ["海参精深加工", "即食海参工艺", "海洋生物活性物质", "褐藻胶提取", "壳聚糖制备",
               "胶原蛋白肽", "功能食品开发", "水产品加工", "冷链物流", "牡蛎养殖", "深远海养殖",
               "苗种繁育", "海洋牧场建设", "鱼油精炼", "海藻综合利用"],
    "WH-IT": ["机器视觉检测", "深度学习算法", "工业互联网平台", "物联网设备接入", "数字孪生工厂",
              "集成电路设计", "嵌入式系统开发", "大数据分析", "云计算架构", "网络安全防护",
              "边缘计算部署", "激光打印机机芯", "传感器芯片", "区块链应用", "工业软件开发"],
    "WH-EQP": ["数控机床精度", "精密加工工艺", "工业机器人集成", "智能制造产线", "船舶设计",
               "海洋工程装备", "电机控制", "新能源汽车电驱动", "动力电池管理", "液压系统设计",
               "海上风电运维", "储能系统集成", "氢能燃料电池", "焊接工艺优化", "模具设计"],
    "WH-FASH": ["针织服装设计", "功能性面料研发", "家纺产品设计", "品牌运营", "跨境电商渠道",
                "纺织生产工艺", "服装版型设计", "面料染整", "时尚趋势研究", "服装供应链管理"],
}
FILLER = ["主持国家和省级科研项目多项", "授权发明专利若干项", "在相关领域发表论文多篇",
          "长期与企业开展产学研合作", "推动科技成果转化", "指导企业解决关键技术问题",
          "参与制定行业标准", "获省科技进步奖", "培养研究生二十余名", "具有丰富的工程实践经验"]
TITLES = ["教授", "研究员", "正高级工程师", "高级工程师", "副教授", "博士", "主任医师"]
HONOURS = ["泰山学者", "泰山产业领军人才", "省有突出贡献的中青年专家", "威海英才", ""]
ASKS = ["需要{}方面的专家指导", "寻求{}技术合作", "希望引进{}人才", "开展{}联合攻关",
        "解决{}中的关键问题"]


def _specific_terms() -> tuple[list[str], list[float]]:
    """Nouns of jieba's own dictionary, weighted by the square root of their frequency: the
    long tail of specific terms (products, materials, methods) real profiles mention."""
    words, weights = [], []
    with open(Path(jieba.__file__).with_name("dict.txt"), encoding="utf-8") as fh:
        for line in fh:
            word, freq, pos = line.split()
            if pos in ("n", "nz", "vn") and int(freq) >= 20 and len(word) >= 2:
                words.append(word)
                weights.append(int(freq) ** 0.5)
    return words, weights


def _expert_text(rng: random.Random, cluster: str, terms: tuple[list[str], list[float]]
                 ) -> tuple[str, str]:
    topics = rng.sample(TOPICS[cluster], rng.randint(3, 6))
    other = rng.choice([c for c in TOPICS if c != cluster])
    if rng.random() < 0.3:
        topics.append(rng.choice(TOPICS[other]))
    specific = "、".join(rng.choices(terms[0], terms[1], k=rng.randint(4, 10)))
    skills = ("，".join(topics) + "。涉及" + specific + "。" + "，".join(rng.sample(FILLER, 3))
              + "。")
    return skills, rng.choice(TITLES) + " " + rng.choice(HONOURS)


def corpus(n_experts: int, n_demands: int, seed: int = 2026) -> tuple[list[dict], list[dict]]:
    rng = random.Random(seed)
    clusters = list(TOPICS)
    terms = _specific_terms()
    experts = []
    for i in range(n_experts):
        cluster = rng.choice(clusters)
        skills, extra = _expert_text(rng, cluster, terms)
        sections = sorted(domain.CLUSTER_SECTIONS[cluster])
        experts.append({
            "id": f"e{i:06d}", "text": f"{extra}\n{skills}",
            "industries": frozenset([cluster, rng.choice(sections)]),
            "modes": frozenset(rng.sample(COOPERATION_MODES, rng.randint(1, 3))),
            "district": rng.choice(DISTRICTS),
            "availability": rng.choices(["available", "limited", "unavailable"],
                                        [0.7, 0.2, 0.1])[0],
            "capacity": rng.randint(1, 5), "consent": rng.random() < 0.95,
            "organisation_id": f"org{rng.randint(0, n_experts // 20):05d}",
        })
    demands = []
    for i in range(n_demands):
        cluster = rng.choice(clusters)
        asks = [rng.choice(ASKS).format(t) for t in rng.sample(TOPICS[cluster], 2)]
        specific = "、".join(rng.choices(terms[0], terms[1], k=rng.randint(1, 4)))
        demands.append({
            "id": f"d{i:04d}", "text": "我司" + "，".join(asks) + "，产品涉及" + specific + "。",
            "industry": cluster, "modes": frozenset(rng.sample(COOPERATION_MODES, 2)),
            "district": rng.choice(DISTRICTS),
            "enterprise_id": f"org{rng.randint(0, n_experts // 20):05d}",
        })
    return experts, demands


def _segment(texts: list[str]) -> list[list[str]]:
    segmenter = search.segmenter()
    return [segmenter.tokens(t) for t in texts]


def segment_all(texts: list[str], processes: int) -> list[list[str]]:
    chunk = max(1, len(texts) // (processes * 8))
    parts = [texts[i:i + chunk] for i in range(0, len(texts), chunk)]
    if processes == 1:
        return [tokens for part in parts for tokens in _segment(part)]
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        return [tokens for part in pool.map(_segment, parts) for tokens in part]


def _percentile(values: list[float], p: float) -> float:
    return float(np.percentile(values, p))


def _top10(scores: np.ndarray) -> list[int]:
    # The same tie-break on both sides: rounded score, then document number.
    rounded = np.round(scores, 9)
    return [int(i) for i in np.lexsort((np.arange(len(scores)), -rounded))[:10]
            if scores[i] > 0]


def run(n_experts: int, n_demands: int, n_baseline: int, processes: int) -> dict[str, Any]:
    experts, demands = corpus(n_experts, n_demands)
    started = time.perf_counter()
    tokens = segment_all([e["text"] for e in experts], processes)
    segmentation_s = time.perf_counter() - started
    segmenter = search.segmenter()
    queries = [segmenter.tokens(d["text"]) for d in demands]

    started = time.perf_counter()
    docs = [search.ExpertDoc(e["id"], t, e["industries"], e["modes"], e["district"],
                             e["availability"], e["capacity"], e["consent"],
                             e["organisation_id"], None)
            for e, t in zip(experts, tokens, strict=True)]
    index = search.ExpertIndex(docs)
    build_s = time.perf_counter() - started

    rng = random.Random(7)
    loads = {e["id"]: rng.randint(0, 2) for e in rng.sample(experts, len(experts) // 10)}
    latencies = []
    for d, q in zip(demands, queries, strict=True):
        demand = search.DemandQuery(q, d["industry"], domain.related_industries(d["industry"]),
                                    d["modes"], d["district"], d["enterprise_id"], "")
        started = time.perf_counter()
        top = index.recommend(demand, loads, limit=10)
        latencies.append((time.perf_counter() - started) * 1000)
        assert len(top) == 10
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    sample = queries[:n_baseline]
    ours_ms, same, max_diff = [], 0, 0.0
    for q in sample:
        started = time.perf_counter()
        scores = index.text.scores(q)
        np.argpartition(-scores, 10)[:10]
        ours_ms.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    baseline = BM25Okapi(tokens)
    baseline_build_s = time.perf_counter() - started
    theirs_ms = []
    for q in sample:
        started = time.perf_counter()
        theirs = baseline.get_scores(q)
        np.argsort(theirs)[::-1][:10]
        theirs_ms.append((time.perf_counter() - started) * 1000)
        ours = index.text.scores(q)
        max_diff = max(max_diff, float(np.max(np.abs(ours - theirs))))
        same += _top10(ours) == _top10(theirs)
    speedup = statistics.median(theirs_ms) / statistics.median(ours_ms)
    return {
        "experts": n_experts, "demands": n_demands, "baseline_queries": len(sample),
        "segmentation_s": round(segmentation_s, 2), "segmentation_processes": processes,
        "index_build_s": round(build_s, 2),
        "vocabulary": len(index.text.vocabulary),
        "postings": len(index.text.postings_doc),
        "recommend_p50_ms": round(_percentile(latencies, 50), 2),
        "recommend_p95_ms": round(_percentile(latencies, 95), 2),
        "peak_rss_mb": round(peak_rss_mb, 1),
        "bm25_top10_p50_ms": round(statistics.median(ours_ms), 2),
        "rank_bm25_top10_p50_ms": round(statistics.median(theirs_ms), 2),
        "rank_bm25_build_s": round(baseline_build_s, 2),
        "speedup": round(speedup, 1),
        "same_top10": f"{same}/{len(sample)}",
        "max_score_difference": max_diff,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="a few seconds (CI)")
    parser.add_argument("--experts", type=int)
    parser.add_argument("--demands", type=int)
    parser.add_argument("--baseline-queries", type=int)
    parser.add_argument("--processes", type=int, default=multiprocessing.cpu_count())
    args = parser.parse_args(argv)
    n_experts = args.experts or (2000 if args.smoke else 100_000)
    n_demands = args.demands or (50 if args.smoke else 1000)
    n_baseline = args.baseline_queries or (10 if args.smoke else 30)
    search.segmenter().warm_up()
    result: dict[str, Any] = {"bench": "matching", "smoke": args.smoke,
                              "machine": f"{platform.machine()} {multiprocessing.cpu_count()} "
                              f"cores, Python {platform.python_version()}"}
    result.update(run(n_experts, n_demands, n_baseline, args.processes))
    full_size = n_experts >= 100_000
    missed = []
    if result["recommend_p95_ms"] > TARGET_P95_MS:
        missed.append(f"recommend p95 {result['recommend_p95_ms']} ms > {TARGET_P95_MS}")
    if result["index_build_s"] > TARGET_BUILD_S:
        missed.append(f"index build {result['index_build_s']} s > {TARGET_BUILD_S}")
    if result["peak_rss_mb"] > TARGET_RSS_MB:
        missed.append(f"peak RSS {result['peak_rss_mb']} MB > {TARGET_RSS_MB}")
    if full_size and result["speedup"] < TARGET_SPEEDUP:
        missed.append(f"speedup {result['speedup']}x < {TARGET_SPEEDUP}x")
    if result["same_top10"] != f"{n_baseline}/{n_baseline}" or \
            result["max_score_difference"] > 1e-6:
        missed.append(f"top 10 differs from rank-bm25: {result['same_top10']}")
    result["missed"] = missed
    print(json.dumps(result, ensure_ascii=False))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
