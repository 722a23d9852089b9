# Exploration for issue 19 (2026-12-07), not product code: which top-N model could beat implicit
# Spark ALS tuned on the training ratings, on the project's protocol (docs/benchmarks/top-n.md).
# usage: python3 bench/scripts/topn_explore.py ml-100k ials 32 0.1 1 10 -1 0.3 1   (numpy, scipy)
"""Prototype (not product code): which top-N model beats tuned implicit Spark ALS on the
project's protocol. usage: topn.py DATA MODEL [params...]"""
import sys, time
import numpy as np
import scipy.sparse as sp

def load(path):
    a = np.loadtxt(path, delimiter=',', skiprows=1, usecols=(0, 1, 2))
    return a[:, 0].astype(np.int64), a[:, 1].astype(np.int64), a[:, 2].astype(np.float64)

def protocol(tu, ti, tr, vu, vi, vr, k=10):
    """Index maps, train matrix, eligible users with relevant sets."""
    users = np.unique(tu); items = np.unique(ti)
    umap = {u: n for n, u in enumerate(users)}; imap = {i: n for n, i in enumerate(items)}
    rows = np.array([umap[u] for u in tu]); cols = np.array([imap[i] for i in ti])
    X = sp.csr_matrix((tr, (rows, cols)), shape=(len(users), len(items)))
    rel = {}
    for u, i, r in zip(vu, vi, vr):
        if r >= 4 and u in umap and i in imap:
            rel.setdefault(umap[u], set()).add(imap[i])
    return X, rel

def metrics(scores_fn, X, rel, k=10):
    us = np.array(sorted(rel))
    P = []; N = []
    covered = set()
    for start in range(0, len(us), 512):
        b = us[start:start + 512]
        S = scores_fn(b)
        S[X[b].nonzero()] = -np.inf
        top = np.argsort(-S, axis=1, kind='stable')[:, :k]
        for row, u in enumerate(b):
            r = rel[u]
            hits = [1.0 if t in r else 0.0 for t in top[row]]
            covered.update(top[row].tolist())
            P.append(sum(hits) / k)
            dcg = sum(h / np.log2(j + 2) for j, h in enumerate(hits))
            idcg = sum(1 / np.log2(j + 2) for j in range(min(len(r), k)))
            N.append(dcg / idcg)
    return np.mean(P), np.mean(N), len(covered) / X.shape[1]

def popularity(X):
    c = np.asarray((X > 0).sum(axis=0)).ravel().astype(float)
    # ties by item index: subtract a tiny index term
    c = c - np.arange(len(c)) * 1e-9
    return lambda b: np.tile(c, (len(b), 1))

def ease(X, lam, mode=0):
    B = (X > 0).astype(np.float64)
    if mode == 1:
        B = X.copy(); B.data = B.data / 5.0
    elif mode == 2:
        B = X.copy(); B.data = (B.data >= 4).astype(float); B.eliminate_zeros()
    elif mode == 3:
        B = X.copy(); B.data = 0.5 + (B.data >= 4).astype(float)
    elif mode == 4:
        B = X.copy(); B.data = B.data - 2.5; B.data[B.data < 0.5] = 0.5
    G = (B.T @ B).toarray()
    G[np.diag_indices_from(G)] += lam
    P = np.linalg.inv(G)
    W = P / (-np.diag(P))
    W[np.diag_indices_from(W)] = 0
    return lambda b: np.asarray(B[b] @ W)

def ials(X, dim, reg, alpha0, iters, nu=1.0, conf=None, seed=0, std=0.1, pref=0):
    """Rendle et al. 2021 iALS: observed weight 1 (+conf), unobserved alpha0 over all items,
    reg scaled by (n_u + alpha0 * n_items) ** nu."""
    rng = np.random.default_rng(seed)
    B = (X > 0).astype(np.float64).tocsr()
    nU, nI = B.shape
    U = rng.normal(0, std / np.sqrt(dim), (nU, dim))
    V = rng.normal(0, std / np.sqrt(dim), (nI, dim))
    W = B if conf is None else X.copy().tocsr()
    def solve(A, Ainv_t, other, nOther):
        G = alpha0 * other.T @ other
        out = np.empty((A.shape[0], dim))
        for r in range(A.shape[0]):
            s, e = A.indptr[r], A.indptr[r + 1]
            idx = A.indices[s:e]
            H = other[idx]
            if conf is None:
                c = np.ones(len(idx))
            else:
                c = 1 + conf * A.data[s:e]
            M = G + (H.T * c) @ H - alpha0 * H.T @ H * 0  # unobserved term covers all items
            # observed: weight c on (1 - x)^2 instead of alpha0 on x^2: add (c - alpha0) H^T H
            M = G + (H.T * (c - alpha0)) @ H
            lam = reg * len(idx) if nu < 0 else reg * (len(idx) + alpha0 * nOther) ** nu
            M[np.diag_indices_from(M)] += lam
            p = np.ones(len(idx)) if pref == 0 else A.data[s:e] / 5.0 if pref == 1 else (A.data[s:e] >= 4) * 1.0 + (A.data[s:e] < 4) * pref
            rhs = H.T @ (c * p)
            out[r] = np.linalg.solve(M, rhs)
        return out
    Xc = X.tocsr(); Xt = X.T.tocsr()
    for it in range(iters):
        U = solve(Xc, None, V, nI)
        V = solve(Xt, None, U, nU)
    return lambda b: U[b] @ V.T

def main():
    data, model = sys.argv[1], sys.argv[2]
    args = [float(a) for a in sys.argv[3:]]
    base = '../shared/splits/' + data
    tu, ti, tr = load(base + '/train.csv'); vu, vi, vr = load(base + '/test.csv')
    if '--tune' in sys.argv[0]:
        pass
    X, rel = protocol(tu, ti, tr, vu, vi, vr)
    t = time.time()
    if model == 'pop':
        f = popularity(X)
    elif model == 'ease':
        f = ease(X, args[0], int(args[1]) if len(args) > 1 else 0)
    elif model == 'ials':
        dim, reg, a0, iters = int(args[0]), args[1], args[2], int(args[3])
        nu = args[4] if len(args) > 4 else 1.0
        conf = args[5] if len(args) > 5 and args[5] > 0 else None
        pref = args[6] if len(args) > 6 else 0
        f = ials(X, dim, reg, a0, iters, nu, conf, pref=pref)
    p, n, c = metrics(f, X, rel)
    print(f'{data} {model} {sys.argv[3:]} P@10 {p:.4f} NDCG@10 {n:.4f} cov {c:.4f} '
          f'users {len(rel)} {time.time() - t:.1f}s', flush=True)

main()
