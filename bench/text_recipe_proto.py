#!/usr/bin/python3
"""Prototype of Transfer Lab's text models: TF-IDF weighted bag of embeddings (+ optional hidden
layer), and transfer strategies for the Amazon sentiment domains.

  text_recipe_proto.py sentiment [SEEDS] [PAIRS]   e.g. sentiment 0,1,2 books:kitchen,kitchen:books
  text_recipe_proto.py news

Only numpy, scipy (sparse matrices) and PyTorch (CPU, one thread)."""
import csv, json, math, os, re, sys, time
from collections import Counter
import numpy as np, scipy.sparse as sp
import torch, torch.nn as nn, torch.nn.functional as F

torch.set_num_threads(1)
csv.field_size_limit(1 << 30)
DATA = os.environ.get("TL_DATA", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data"))

# ---------------------------------------------------------------- features
# Mirrors core tl_tokenize: lower-case runs of letters/digits; an apostrophe (or U+2019) or a
# point joins letter-letter, a point or comma joins digit-digit, '_' joins alnum-alnum.
TOKEN = re.compile(r"[^\W_]+(?:(?:(?<=[^\W\d_])['\u2019.](?=[^\W\d_])|(?<=\d)[.,](?=\d)|_(?=[^\W_]))[^\W_]+)*")

def grams(text):
    t = TOKEN.findall(text.lower())
    return t + [a + " " + b for a, b in zip(t, t[1:])]            # unigrams + bigrams

def load(path):
    rows = list(csv.DictReader(open(path, encoding="utf-8")))
    return [r["text"] for r in rows], [r["label"] for r in rows]

class Tfidf:
    """Vocabulary by document frequency (>= min_df, the max_features most frequent, ties by
    term), sublinear tf 1+ln(tf), smooth idf ln((1+n)/(1+df))+1, rows L2-normalised."""
    def __init__(self, min_df=2, max_features=0):
        self.min_df, self.max_features = min_df, max_features
    def fit(self, docs):                      # docs: lists of grams
        df = Counter()
        for d in docs: df.update(set(d))
        terms = sorted((t for t, c in df.items() if c >= self.min_df), key=lambda t: (-df[t], t))
        if self.max_features: terms = terms[:self.max_features]
        self.vocab = {t: i for i, t in enumerate(terms)}
        n = len(docs)
        self.idf = np.array([math.log((1 + n) / (1 + df[t])) + 1 for t in terms], np.float32)
        return self
    def transform(self, docs):
        ind, val, ptr = [], [], [0]
        for d in docs:
            c = Counter(self.vocab[g] for g in d if g in self.vocab)
            k = np.fromiter(c.keys(), np.int64, len(c)); v = np.fromiter(c.values(), np.float32, len(c))
            v = (1 + np.log(v)) * self.idf[k]
            nrm = np.sqrt((v * v).sum())
            if nrm > 0: v /= nrm
            o = np.argsort(k); ind.append(k[o]); val.append(v[o]); ptr.append(ptr[-1] + len(k))
        return sp.csr_matrix((np.concatenate(val), np.concatenate(ind), np.array(ptr)),
                             shape=(len(docs), len(self.vocab)))

def bag_inputs(X, rows):
    """EmbeddingBag(mode=sum) inputs for rows of a CSR matrix: ids, offsets, per-sample weights."""
    S = X[rows]
    return (torch.from_numpy(S.indices.astype(np.int64)), torch.from_numpy(S.indptr[:-1].astype(np.int64)),
            torch.from_numpy(S.data.astype(np.float32)))

# ---------------------------------------------------------------- model
class GradReverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, lam): ctx.lam = lam; return x.view_as(x)
    @staticmethod
    def backward(ctx, g): return -ctx.lam * g, None

class BagNet(nn.Module):
    """hidden=0: bag of dimension n_classes + bias = a linear model.
    hidden=D: bag of dimension D + bias -> ReLU -> dropout -> Dense(D, classes).
    domain=H: domain classifier GRL -> Dense(D,H) -> ReLU -> Dense(H,2) on the hidden features."""
    def __init__(self, vocab, classes, hidden=0, dropout=0.0, domain=0, init_scale=None):
        super().__init__()
        d = hidden or classes
        self.bag = nn.EmbeddingBag(vocab, d, mode="sum")
        bound = 1 / math.sqrt(min(vocab, 4096))        # as core/nn/tl-layer-embedding-bag.c
        nn.init.uniform_(self.bag.weight, -bound, bound)
        self.b = nn.Parameter(torch.zeros(d))
        self.hidden, self.drop = hidden, nn.Dropout(dropout)
        self.fc = nn.Linear(hidden, classes) if hidden else None
        self.dom = None
        if domain:
            f = hidden or classes
            self.dom = nn.Sequential(nn.Linear(f, domain), nn.ReLU(), nn.Linear(domain, 2)) if domain > 1 \
                else nn.Linear(f, 2)
    def features(self, ids, offs, w):
        h = self.bag(ids, offs, per_sample_weights=w) + self.b
        return torch.relu(h) if self.hidden else h
    def forward(self, ids, offs, w, lam=None):
        h = self.features(ids, offs, w)
        out = self.fc(self.drop(h)) if self.hidden else h
        if lam is None: return out
        return out, self.dom(GradReverse.apply(h, lam))

def make_opt(model, lr, wd, adamw):
    return (torch.optim.AdamW if adamw else torch.optim.Adam)(model.parameters(), lr=lr, weight_decay=wd)

def predict(model, X, bs=512):
    model.eval(); out = []
    with torch.no_grad():
        for i in range(0, X.shape[0], bs):
            out.append(F.softmax(model(*bag_inputs(X, np.arange(i, min(i + bs, X.shape[0])))), 1))
    model.train()
    return torch.cat(out).numpy()

def train(model, X, y, w=None, epochs=10, lr=1e-3, wd=0.0, adamw=False, bs=32, seed=0,
          Xu=None, dann=False, dom_weight=1.0, opt=None, log=None):
    """Minibatch training on rows X (labels y, row weights w). With dann=True, each labelled
    batch is paired with an equal-size batch of the unlabelled target Xu; the domain loss sees
    the labelled batch (domain tags in `dom`) and the unlabelled batch (tag 1)."""
    g = np.random.default_rng(seed); torch.manual_seed(seed)
    opt = opt or make_opt(model, lr, wd, adamw)
    n = X.shape[0]; w = np.ones(n, np.float32) if w is None else w.astype(np.float32)
    steps = epochs * math.ceil(n / bs); step = 0
    for ep in range(epochs):
        perm = g.permutation(n)
        for i in range(0, n, bs):
            r = perm[i:i + bs]
            wt = torch.from_numpy(w[r]); yt = torch.from_numpy(y[r])
            if dann:
                p = step / steps; lam = 2 / (1 + math.exp(-10 * p)) - 1
                ru = g.integers(0, Xu.shape[0], len(r))
                Xb = sp.vstack([X[r], Xu[ru]]).tocsr()
                logits, dl = model(*bag_inputs(Xb, np.arange(Xb.shape[0])), lam=lam)
                loss = (F.cross_entropy(logits[:len(r)], yt, reduction="none") * wt).sum() / wt.sum()
                dt = torch.from_numpy(np.r_[dann_tags[r], np.ones(len(r), np.int64)])
                loss = loss + dom_weight * F.cross_entropy(dl, dt)
            else:
                logits = model(*bag_inputs(X, r))
                loss = (F.cross_entropy(logits, yt, reduction="none") * wt).sum() / wt.sum()
            opt.zero_grad(); loss.backward(); opt.step(); step += 1
        if log: log(ep)
    return model

dann_tags = None

# ---------------------------------------------------------------- sentiment transfer
def split(yt, seed, per_class=50):
    """Exactly the anchor's protocol."""
    rng = np.random.default_rng(seed)
    test = np.concatenate([(lambda i: rng.permutation(i)[:len(i) // 2])(np.where(yt == c)[0]) for c in (0, 1)])
    train_ = np.setdiff1d(np.arange(len(yt)), test)
    pick = np.concatenate([rng.choice(np.intersect1d(train_, np.where(yt == c)[0]), per_class, replace=False)
                           for c in (0, 1)])
    return test, train_, pick, np.setdiff1d(train_, pick)

CFG = dict(hidden=32, dropout=0.5, lr=1e-3, wd=0.0, adamw=True, bs=64, epochs=10, min_df=2, max_features=50000,
           tw=5.0, domain=32, dom_weight=1.0, ft_epochs=20, ft_lr=3e-4, pl_k=200, pl_rounds=1)

_tok = {}
def tokens(name):
    if name not in _tok:
        x, y = load(f"{DATA}/sentiment/{name}.csv")
        _tok[name] = ([grams(t) for t in x], np.array([l == "positive" for l in y], np.int64))
    return _tok[name]

def sentiment_pair(src, tgt, seed, strategies, cfg):
    global dann_tags
    c = cfg
    gs, ys = tokens(src); gt, yt = tokens(tgt)
    test, trn, pick, unl = split(yt, seed)
    vec = Tfidf(c["min_df"], c["max_features"]).fit(gs + [gt[i] for i in trn])
    Xs, Xt = vec.transform(gs), vec.transform(gt)
    V = len(vec.vocab)
    acc = lambda m: float((predict(m, Xt[test]).argmax(1) == yt[test]).mean())
    mk = lambda dom=0: (torch.manual_seed(seed), BagNet(V, 2, c["hidden"], c["dropout"], dom))[1]
    kw = dict(lr=c["lr"], wd=c["wd"], adamw=c["adamw"], bs=c["bs"], seed=seed)
    Xj = sp.vstack([Xs, Xt[pick]]).tocsr(); yj = np.r_[ys, yt[pick]]
    tw = c["tw"] if c["tw"] > 0 else len(ys) / len(pick)              # tw<=0: balanced
    wj = np.r_[np.ones(len(ys)), np.full(len(pick), tw)]
    res = {}
    def pseudo(model, k):
        """k most confident unlabelled target rows per predicted class."""
        p = predict(model, Xt[unl]); lab = p.argmax(1); rows, labs = [], []
        for cl in (0, 1):
            i = np.where(lab == cl)[0]; i = i[np.argsort(-p[i, cl])][:k]
            rows.append(unl[i]); labs.append(np.full(len(i), cl))
        return np.concatenate(rows), np.concatenate(labs)
    def dann_fit(X, y, w, tags, m=None):
        global dann_tags
        dann_tags = tags
        m = m or mk(c["domain"] or 1)
        return train(m, X, y, w, epochs=c["epochs"], Xu=Xt[unl], dann=True, dom_weight=c["dom_weight"], **kw)
    src_model = None
    for s in strategies:
        t0 = time.perf_counter()
        if s in ("source_only", "finetune"):
            if src_model is None: src_model = train(mk(), Xs, ys, epochs=c["epochs"], **kw)
            if s == "source_only": res[s] = acc(src_model)
            else:
                import copy
                m = copy.deepcopy(src_model)
                train(m, Xt[pick], yt[pick], epochs=c["ft_epochs"], lr=c["ft_lr"], wd=c["wd"], adamw=c["adamw"],
                      bs=c["bs"], seed=seed)
                res[s] = acc(m)
        elif s == "scratch":
            res[s] = acc(train(mk(), Xt[pick], yt[pick], epochs=c["ft_epochs"] * 2, **kw))
        elif s == "joint":
            res[s] = acc(train(mk(), Xj, yj, wj, epochs=c["epochs"], **kw))
        elif s == "dann_unsup":
            res[s] = acc(dann_fit(Xs, ys, None, np.zeros(len(ys), np.int64)))
        elif s == "dann_joint":
            res[s] = acc(dann_fit(Xj, yj, wj, np.r_[np.zeros(len(ys), np.int64), np.ones(len(pick), np.int64)]))
        elif s in ("joint_pl", "dann_joint_pl"):
            tags = np.r_[np.zeros(len(ys), np.int64), np.ones(len(pick), np.int64)]
            m = train(mk(), Xj, yj, wj, epochs=c["epochs"], **kw) if s == "joint_pl" else dann_fit(Xj, yj, wj, tags)
            for r in range(c["pl_rounds"]):
                pr, pl = pseudo(m, c["pl_k"] * (r + 1))
                X2 = sp.vstack([Xj, Xt[pr]]).tocsr(); y2 = np.r_[yj, pl]
                w2 = np.r_[wj, np.full(len(pr), 1.0)]
                if s == "joint_pl": m = train(mk(), X2, y2, w2, epochs=c["epochs"], **kw)
                else: m = dann_fit(X2, y2, w2, np.r_[tags, np.ones(len(pr), np.int64)])
            res[s] = acc(m)
        res[s + "_s"] = round(time.perf_counter() - t0, 1)
    return res

ALL = ["books", "dvd", "electronics", "kitchen"]

def sentiment_main(seeds, pairs, strategies, cfg):
    out = {}
    for src, tgt in pairs:
        for seed in seeds:
            r = sentiment_pair(src, tgt, seed, strategies, cfg)
            print(json.dumps({"pair": f"{src}->{tgt}", "seed": seed, **{k: round(v, 4) for k, v in r.items()}}), flush=True)
            out[(src, tgt, seed)] = r
    return out

# ---------------------------------------------------------------- 20 Newsgroups
NEWS = dict(hidden=64, dropout=0.5, lr=3e-3, wd=0.0, adamw=True, bs=128, epochs=6, min_df=2, max_features=0)

def news_main(cfg):
    c = cfg
    a, b = load(f"{DATA}/20news-bydate/train.csv"); t, d = load(f"{DATA}/20news-bydate/test.csv")
    classes = sorted(set(b)); ci = {k: i for i, k in enumerate(classes)}
    ya = np.array([ci[k] for k in b]); yd = np.array([ci[k] for k in d])
    t0 = time.perf_counter()
    cache = f"/tmp/tl_news_{c['min_df']}_{c['max_features']}.npz"
    if os.path.exists(cache) and os.environ.get("NOCACHE") is None:
        z = np.load(cache); Xa = sp.csr_matrix((z["ad"], z["ai"], z["ap"]), shape=tuple(z["ash"]))
        Xd = sp.csr_matrix((z["dd"], z["di"], z["dp"]), shape=tuple(z["dsh"])); V = Xa.shape[1]
    else:
        ga = [grams(x) for x in a]
        vec = Tfidf(c["min_df"], c["max_features"]).fit(ga); del ga
        Xa = vec.transform([grams(x) for x in a]); Xd = vec.transform([grams(x) for x in t]); V = len(vec.vocab)
        np.savez(cache, ad=Xa.data, ai=Xa.indices, ap=Xa.indptr, ash=Xa.shape, dd=Xd.data, di=Xd.indices,
                 dp=Xd.indptr, dsh=Xd.shape)
    t1 = time.perf_counter()
    torch.manual_seed(0)
    m = BagNet(V, len(classes), c["hidden"], c["dropout"])
    accs = []; te = [time.perf_counter()]
    def log(ep):  # evaluation time excluded from the per-epoch seconds
        te.append(time.perf_counter())
        accs.append((round(float((predict(m, Xd).argmax(1) == yd).mean()), 4), round(te[-1] - te[-2], 1)))
        print(ep, accs[-1], flush=True)
        te[-1] = time.perf_counter()
    train(m, Xa, ya, epochs=c["epochs"], lr=c["lr"], wd=c["wd"], adamw=c["adamw"], bs=c["bs"], seed=0, log=log)
    t2 = time.perf_counter()
    print(json.dumps({"task": "20news-bydate", "vocab": V, **c, "test_acc_and_s_per_epoch": accs,
                      "features_s": round(t1 - t0, 1), "train_eval_s": round(t2 - t1, 1)}), flush=True)

if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "sentiment"
    over = json.loads(os.environ.get("CFG", "{}"))
    if what == "news":
        news_main({**NEWS, **over})
    else:
        seeds = [int(s) for s in (sys.argv[2] if len(sys.argv) > 2 else "0").split(",")]
        pairs = [tuple(p.split(":")) for p in sys.argv[3].split(",")] if len(sys.argv) > 3 else \
            [("books", t) for t in ("kitchen", "electronics", "dvd")]
        strat = (sys.argv[4] if len(sys.argv) > 4 else
                 "source_only,scratch,finetune,joint,dann_unsup,dann_joint").split(",")
        sentiment_main(seeds, pairs, strat, {**CFG, **over})
