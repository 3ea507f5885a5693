"""FAISS on the vectors `loom bench retrieval` wrote: exact (IndexFlatIP) and HNSW (IndexHNSWFlat, inner product)
on unit vectors, one thread, one query at a time. Prints one JSON line.

    python faiss_reference.py --vectors V.f32 --queries Q.f32 --dim 384 --k 10 --m 32 --ef-construction 40 --ef-search 16,32,64,128
"""
import argparse
import json
import time

import faiss
import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("--vectors", required=True)
parser.add_argument("--queries", required=True)
parser.add_argument("--dim", type=int, required=True)
parser.add_argument("--k", type=int, default=10)
parser.add_argument("--m", type=int, default=32)
parser.add_argument("--ef-construction", type=int, default=40)
parser.add_argument("--ef-search", default="16,32,64,128")
args = parser.parse_args()
faiss.omp_set_num_threads(1)

def load(path):
    x = np.fromfile(path, dtype=np.float32).reshape(-1, args.dim)
    return x / np.linalg.norm(x, axis=1, keepdims=True)

vectors, queries = load(args.vectors), load(args.queries)

def timed(index):
    latencies, results = [], []
    for q in queries:
        started = time.perf_counter()
        _, ids = index.search(q[None, :], args.k)
        latencies.append((time.perf_counter() - started) * 1000)
        results.append(ids[0])
    return np.percentile(latencies, 50), np.percentile(latencies, 99), results

flat = faiss.IndexFlatIP(args.dim)
flat.add(vectors)
flat_p50, flat_p99, truth = timed(flat)

hnsw = faiss.IndexHNSWFlat(args.dim, args.m, faiss.METRIC_INNER_PRODUCT)
hnsw.hnsw.efConstruction = args.ef_construction
started = time.perf_counter()
hnsw.add(vectors)
build = time.perf_counter() - started
sweep = []
for ef in [int(e) for e in args.ef_search.split(",")]:
    hnsw.hnsw.efSearch = ef
    p50, p99, found = timed(hnsw)
    recall = np.mean([len(set(a) & set(b)) / args.k for a, b in zip(found, truth)])
    sweep.append({"ef": ef, "recall": float(recall), "p50_ms": float(p50), "p99_ms": float(p99)})

print(json.dumps({
    "version": faiss.__version__, "flat_p50_ms": float(flat_p50), "flat_p99_ms": float(flat_p99),
    "hnsw_build_s": build, "hnsw": sweep,
}))
