"""Classify speed: articles/s (normalisation + segmentation + models + explanations), one core and all cores.

    python bench/classify.py [--n 2000] [--batch 64] [--model-dir DIR]

Articles: the shared labeled corpus (../shared/corpus/articles.jsonl, or $REFORMWATCH_SHARED)
when present, else the bundled demo articles; repeated up to ``--n`` with every line made
unique (a copy number in front) so that no cache helps.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("REFORMWATCH_SHARED", ROOT.parent / "shared"))


def source_articles() -> tuple[str, list[dict]]:
    corpus = SHARED / "corpus" / "articles.jsonl"
    if corpus.is_file():
        with open(corpus, encoding="utf-8") as fh:
            recs = [json.loads(l) for l in fh if l.strip()]
        return str(corpus), [{"id": r["id"], "title": r["title"], "text": r["text"]} for r in recs]
    demo = ROOT / "crawler" / "demo" / "data" / "articles.json"
    data = json.loads(demo.read_text(encoding="utf-8"))
    recs = [{"id": d["slug"], "title": d["title"], "text": "\n".join([d["title"], d.get("lead", "")] + d.get("paragraphs", []))}
            for d in data]
    return str(demo), recs


def make_articles(n: int) -> tuple[str, list[dict]]:
    origin, base = source_articles()
    out = []
    for k in range(n):
        r = base[k % len(base)]
        copy = k // len(base)
        text = r["text"] if copy == 0 else "\n".join(f"{copy} {line}" for line in r["text"].split("\n"))
        out.append({"id": f"{r['id']}#{copy}", "title": r["title"] if copy == 0 else f"{copy} {r['title']}", "text": text})
    return origin, out


_CLF = None


def _init(model_dir, localities=True):
    global _CLF
    from classifier.pipeline import Classifier
    from classifier.segment import warm_up

    _CLF = Classifier.load(model_dir, localities=localities)
    warm_up()


def _run(batch):
    return len(_CLF.classify(batch))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--model-dir", default=None)
    ap.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--no-localities", action="store_true", help="leave out classifier.localities.locate()")
    args = ap.parse_args(argv)
    origin, arts = make_articles(args.n)
    chars = sum(len(a["text"]) for a in arts) / len(arts)
    batches = [arts[i:i + args.batch] for i in range(0, len(arts), args.batch)]
    print(f"{len(arts)} articles from {origin} (mean {chars:.0f} characters)")

    loc = not args.no_localities
    _init(args.model_dir, loc)
    print(f"localities (provinces/ministries): {'on' if _CLF.locate else 'off'}")
    t, cpu = time.perf_counter(), time.process_time()
    done = sum(_run(b) for b in batches)
    one = done / (time.perf_counter() - t)
    per_cpu = done / (time.process_time() - cpu)
    # articles per CPU-second: what one core gives when nothing else competes for it
    print(f"1 core: {one:.1f} articles/s wall-clock; {per_cpu:.1f} articles per CPU-second "
          f"(load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")

    if args.cores > 1:
        # fresh copies so the cache of the single-core run does not help
        _, arts2 = make_articles(args.n + len(arts))
        arts2 = arts2[len(arts):]
        batches2 = [arts2[i:i + args.batch] for i in range(0, len(arts2), args.batch)]
        ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
        with ctx.Pool(args.cores, initializer=_init, initargs=(args.model_dir, loc)) as pool:
            pool.map(_run, [[a] for a in arts2[: args.cores]])  # workers loaded
            t = time.perf_counter()
            done = sum(pool.imap_unordered(_run, batches2))
            allc = done / (time.perf_counter() - t)
        print(f"{args.cores} cores: {allc:.1f} articles/s ({allc / args.cores:.1f} per core)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
