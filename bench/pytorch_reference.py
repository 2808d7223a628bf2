#!/usr/bin/python3
"""PyTorch / numpy reference for the anchor workloads W0-W8 (see WORKLOADS.md; W6 is issue 10's
translator step: bi-GRU encoder, additive attention, GRU decoder with input feeding; W7 issue
11's tagger step: char BiLSTM features, 2 x BiLSTM, CRF; W8 issue 12's recogniser step: 2 x
BiLSTM over 120 acoustic features, CTC).

Trains one workload for a number of steps and prints exactly one JSON line on stdout;
progress and diagnostics go to stderr.  Run with Debian's /usr/bin/python3 (torch 1.13.1 CPU).
"""
import argparse
import json
import math
import os
import resource
import statistics
import sys
import time

# id: cell vocab embed hidden layers bidirectional batch seq outputs optim lr clip state
_TABLE = """
W0 rnn   8000   0  100 1 0  1  20  8000 sgd  0.005 0 zero
W1 lstm    65  64  256 2 0 32 100    65 adam 2e-3  5 carried
W2 lstm    50  16   32 1 0  1  50    50 sgd  0.1   0 zero
W3 lstm 10000 512 1024 1 0 64  35 10000 sgd  1.0   0 carried
W4 lstm  5000 100  128 2 1 16  40    20 adam 1e-3  0 zero
W5 gru   8000 128  256 1 0 32  35  8000 adam 1e-3  0 carried
W6 gru   8000 256  256 1 1 64  12  8000 adam 1e-3  0 zero
W7 lstm  5000 100  128 2 1 32  40    17 adam 1e-3  0 zero
W8 lstm    12 120  256 2 1 16 150    12 adam 1e-3  5 zero
"""
KEYS = ("cell vocab embed hidden layers bidirectional batch seq outputs "
        "optim lr clip state").split()
TYPES = (str, int, int, int, int, lambda s: s == "1", int, int, int, str, float, float, str)
WORKLOADS = {f[0]: {k: t(v) for k, t, v in zip(KEYS, TYPES, f[1:])}
             for f in (line.split() for line in _TABLE.strip().splitlines())}
WORKLOADS["W6"]["seq2seq"] = True   # source and target length `seq`, both vocabularies `vocab`
W6_DEC_HIDDEN = 512                  # decoder GRU; attention size = hidden
WORKLOADS["W7"]["tagger_crf"] = True  # char BiLSTM features + BiLSTM + CRF, synthetic words
W7_CHAR_EMBED, W7_CHAR_HIDDEN, W7_MAX_CHARS = 32, 64, 20
WORKLOADS["W8"]["speech_ctc"] = True  # `embed` = 120 features per frame (40 log-mel x 3), CTC
W8_MAX_LABELS = 7                     # targets of 1-7 labels out of 1 .. outputs - 1
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
TORCH_POOL, NUMPY_POOL = 16, 64      # pre-generated batches (torch) / sequences (numpy)
CHECK_TOL = 1e-8


def parse_args():
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Without --workload, unspecified parameters come from W1; the JSON 'workload' "
               "field names the table row the resolved parameters match, else 'custom'. "
               "--embed 0 selects the tutorial model (one-hot input, rnn cell, no biases, "
               "summed loss, tutorial init). --outputs != --vocab makes it a tagger "
               "(independent inputs and tags, like W4), otherwise a language model. "
               "Thread setting: the script re-execs itself with the environment it wants; "
               "XGRAD_REF_ENV=keep disables that (use the caller's environment, torch intra-op "
               "threads from XGRAD_REF_TORCH_THREADS, default 1) to compare settings.")
    a = p.add_argument
    a("--workload", choices=sorted(WORKLOADS))
    a("--impl", default="torch-fused",
      choices=["torch-fused", "torch-cell", "numpy-vec", "numpy-loop"])
    a("--cell", choices=sorted(GATES))
    for k in ("vocab", "embed", "hidden", "layers", "batch", "seq", "outputs"):
        a("--" + k, type=int)
    a("--bidirectional", action=argparse.BooleanOptionalAction, default=None)
    a("--optim", choices=["sgd", "adam"])
    a("--lr", type=float)
    a("--clip", type=float, help="global L2-norm clipping threshold, 0 = none")
    a("--state", choices=["zero", "carried"])
    a("--threads", type=int, default=1, choices=[1, 2])
    a("--steps", type=int, default=0, help="timed steps per repetition, 0 = auto (>= --min-time)")
    a("--min-time", type=float, default=3.0, help="seconds per repetition when --steps 0")
    a("--reps", type=int, default=3)
    a("--warmup", type=int, default=5, help="untimed steps (at least 1: it records first_loss)")
    a("--dtype", choices=["f32", "f64"], default="f32")
    a("--seed", type=int, default=0)
    a("--check", action="store_true",
      help="compare gradients of all implementations on one float64 batch and exit")
    a("--sgemm-gflops", action="store_true", help="time a float32 numpy sgemm instead")
    a("--m", type=int, default=1024)
    a("--n", type=int, default=1024)
    a("--k", type=int, default=1024)
    args = p.parse_args()
    cfg = dict(WORKLOADS[args.workload or "W1"])
    cfg.update({k: getattr(args, k) for k in KEYS if getattr(args, k) is not None})
    if args.outputs is None and args.vocab is not None and cfg["outputs"] == cfg["vocab"]:
        cfg["outputs"] = args.vocab        # an LM stays an LM when only --vocab is changed
    if cfg["embed"] == 0 and cfg["cell"] != "rnn":
        p.error("--embed 0 (tutorial model) needs --cell rnn")
    if args.impl.startswith("numpy") and not (
            cfg["embed"] == 0 and cfg["layers"] == 1 and not cfg["bidirectional"]
            and cfg["batch"] == 1 and cfg["optim"] == "sgd" and cfg["clip"] == 0
            and cfg["state"] == "zero" and cfg["outputs"] == cfg["vocab"]):
        p.error("numpy impls cover the tutorial model only (W0: embed 0, 1 layer, batch 1, "
                "sgd, no clip, zero state, LM)")
    args.cfg = cfg
    args.workload_id = next((w for w, c in WORKLOADS.items() if c == cfg), "custom")
    return args


# ----------------------------------------------------------------------------- environment
def setup_threads(threads):
    """Fix the thread environment *before* torch/numpy (OpenBLAS) are loaded, re-exec if needed.

    Debian's torch links the pthread OpenBLAS, whose pool size is read from OPENBLAS_NUM_THREADS
    when the library loads; torch.set_num_threads only sizes torch's own OpenMP pool (elementwise
    ops). At --threads 2, OpenBLAS 2 + torch 1 was measured as good as OpenBLAS 2 + torch 2 with
    passive OpenMP waits (within the host's noise) and clearly better than OpenBLAS 1 + torch 2
    (W3 ~0.7x); two busy-waiting OpenMP + OpenBLAS pools on two cores are ~3x slower."""
    if os.environ.get("XGRAD_REF_ENV") == "keep":
        return int(os.environ.get("XGRAD_REF_TORCH_THREADS", "1"))
    want = {"OPENBLAS_NUM_THREADS": str(threads), "OMP_NUM_THREADS": "1",
            "OMP_WAIT_POLICY": "PASSIVE"}
    if any(os.environ.get(k) != v for k, v in want.items()):
        if os.environ.get("XGRAD_REF_REEXEC"):
            sys.exit("pytorch_reference: environment not applied after re-exec")
        os.environ.update(want, XGRAD_REF_REEXEC="1")
        sys.stdout.flush()
        os.execv(sys.executable, [sys.executable] + sys.argv)
    return 1


def thread_env():
    keep = ("OPENBLAS_", "OMP_", "GOMP_", "KMP_", "MKL_")
    return {k: v for k, v in sorted(os.environ.items()) if k.startswith(keep)}


def setting_string(torch_threads):
    env = os.environ
    return " ".join(f"{k}={env.get(k, '(unset)')}" for k in
                    ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "OMP_WAIT_POLICY")) + \
        f" torch.set_num_threads({torch_threads})"


# ----------------------------------------------------------------------------- data
def make_pool(cfg, n, seed):
    """n batches of (inputs, targets), each (seq, batch) int64, time-major."""
    import numpy as np
    rng = np.random.default_rng(seed)
    S, B, V, O = cfg["seq"], cfg["batch"], cfg["vocab"], cfg["outputs"]
    pool = []
    for _ in range(n):
        if O == V:      # language model: seq+1 tokens per column, targets shifted by one
            tok = rng.integers(0, V, size=(S + 1, B))
            pool.append((tok[:-1], tok[1:]))
        else:           # tagger: inputs and tags drawn independently
            pool.append((rng.integers(0, V, size=(S, B)), rng.integers(0, O, size=(S, B))))
    return pool


def matmul_macs_per_token(cfg):
    """Forward multiply-adds per token of the counted matrix products (WORKLOADS.md)."""
    H, D, G = cfg["hidden"], 1 + cfg["bidirectional"], GATES[cfg["cell"]]
    if cfg.get("tagger_crf"):  # as xgrad-bench counts W7 (char part measured on the pool)
        macs = cfg.get("char_macs_per_token", 0.0)
        for layer in range(cfg["layers"]):
            inp = 2 * H if layer else cfg["embed"] + 2 * W7_CHAR_HIDDEN
            macs += 2 * 4 * H * (inp + H)
        return macs + 2 * H * cfg["outputs"]
    if cfg.get("seq2seq"):   # as xgrad-bench counts W6: per source plus per target token
        E, Hd, A, S = cfg["embed"], W6_DEC_HIDDEN, H, cfg["seq"]
        src = 2 * 3 * H * (E + H) + 2 * H * A
        tgt = (3 * Hd * (E + Hd + Hd) + Hd * A + S * (A + 2 * H) + (2 * H + Hd) * Hd
               + Hd * cfg["outputs"])
        return src + tgt
    macs = 0
    for layer in range(cfg["layers"]):
        inp = D * H if layer else cfg["embed"]   # tutorial: embed 0 -> U gather not counted
        macs += D * G * H * (inp + H)
    return macs + D * H * cfg["outputs"]


# ----------------------------------------------------------------------------- torch models
def build_torch_model(cfg, fused):
    import torch
    from torch import nn

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            H, D, L = cfg["hidden"], 1 + cfg["bidirectional"], cfg["layers"]
            self.tutorial = cfg["embed"] == 0
            self.lstm = cfg["cell"] == "lstm"
            self.D, self.L = D, L
            # Tutorial model: Embedding(vocab, H) holds U^T, so the lookup is U's column gather,
            # and the first layer's input weight is frozen to the identity.
            in0 = H if self.tutorial else cfg["embed"]
            bias = not self.tutorial
            self.embed = nn.Embedding(cfg["vocab"], in0)
            if fused:
                cls = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cfg["cell"]]
                self.rnn = cls(in0, H, num_layers=L, bias=bias, bidirectional=D == 2)
            else:
                cls = {"rnn": nn.RNNCell, "lstm": nn.LSTMCell, "gru": nn.GRUCell}[cfg["cell"]]
                self.cells = nn.ModuleList(cls(in0 if l == 0 else D * H, H, bias=bias)
                                           for l in range(L) for _ in range(D))
            self.decoder = nn.Linear(D * H, cfg["outputs"], bias=bias)
            if self.tutorial:
                with torch.no_grad():
                    self.embed.weight.uniform_(-cfg["vocab"] ** -0.5, cfg["vocab"] ** -0.5)
                    self.decoder.weight.uniform_(-H ** -0.5, H ** -0.5)
                    for name, p in canonical_params(self).items():
                        if name.startswith("rnn.weight_ih_l0"):
                            p.copy_(torch.eye(H))
                            p.requires_grad_(False)

        def forward(self, x, state):
            emb = self.embed(x)                                   # (seq, batch, in0)
            if hasattr(self, "rnn"):
                out, state = self.rnn(emb, state)
            else:
                out, state = self.unrolled(emb, state)
            return self.decoder(out), state

        def unrolled(self, emb, state):
            """Cells driven by a Python loop: layer by layer, backward direction t = seq-1..0."""
            xs, seq, new_state = emb.unbind(0), emb.shape[0], []
            for layer in range(self.L):
                outs = []
                for d in range(self.D):
                    cell, h = self.cells[layer * self.D + d], None
                    if state is not None:
                        h = state[layer * self.D + d]
                    out = [None] * seq
                    for t in (range(seq) if d == 0 else range(seq - 1, -1, -1)):
                        h = cell(xs[t], h)
                        out[t] = h[0] if self.lstm else h
                    outs.append(out)
                    new_state.append(h)
                xs = outs[0] if self.D == 1 else [torch.cat(o, 1) for o in zip(*outs)]
            return torch.stack(xs), new_state

    return Model()


def canonical_params(model):
    """Parameters under nn.RNN/LSTM/GRU names for both variants (cells -> weight_ih_l{l}[_reverse])."""
    out = {}
    for name, p in model.named_parameters():
        if name.startswith("cells."):
            _, idx, base = name.split(".")
            layer, d = divmod(int(idx), model.D)
            name = f"rnn.{base}_l{layer}" + ("_reverse" if d else "")
        out[name] = p
    return out


def detach_state(state):
    if state is None:
        return None
    if isinstance(state, (tuple, list)):
        return type(state)(detach_state(s) for s in state)
    return state.detach()


def torch_trainer(cfg, impl, dtype, seed):
    import torch
    import torch.nn.functional as F
    torch.manual_seed(seed)
    model = build_torch_model(cfg, impl == "torch-fused").to(dtype)
    params = [p for p in model.parameters() if p.requires_grad]
    if cfg["optim"] == "sgd":
        opt = torch.optim.SGD(params, lr=cfg["lr"])
    else:   # 1.13 on CPU picks the single-tensor (non-foreach) Adam, as WORKLOADS.md states
        opt = torch.optim.Adam(params, lr=cfg["lr"], betas=(0.9, 0.999), eps=1e-8)
    pool = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in make_pool(cfg, TORCH_POOL, seed)]
    reduction = "sum" if model.tutorial else "mean"
    carried, clip, n_out = cfg["state"] == "carried", cfg["clip"], cfg["outputs"]
    state = None

    def step(i):
        nonlocal state
        x, y = pool[i % len(pool)]
        opt.zero_grad(set_to_none=True)   # cheapest way to clear (no memset; 2.x default)
        logits, new_state = model(x, state)
        loss = F.cross_entropy(logits.reshape(-1, n_out), y.reshape(-1), reduction=reduction)
        loss.backward()
        if clip > 0:
            torch.nn.utils.clip_grad_norm_(params, clip)
        opt.step()
        if carried:
            state = detach_state(new_state)
        return loss

    return step, sum(p.numel() for p in params)


def seq2seq_trainer(cfg, dtype, seed):
    """W6 the way PyTorch's seq2seq tutorials write it: nn.GRU encoder, a GRUCell decoder loop
    with additive attention and input feeding, the output layer once over all steps. The same
    architecture and sizes as examples/translate (mt::Seq2Seq) with dropout 0."""
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    torch.manual_seed(seed)
    V, E, H, Hd, A, B, S = (cfg["vocab"], cfg["embed"], cfg["hidden"], W6_DEC_HIDDEN,
                            cfg["hidden"], cfg["batch"], cfg["seq"])

    class Seq2Seq(nn.Module):
        def __init__(self):
            super().__init__()
            self.src_embed, self.tgt_embed = nn.Embedding(V, E), nn.Embedding(V, E)
            self.encoder = nn.GRU(E, H, bidirectional=True)
            self.bridge = nn.Linear(2 * H, Hd)
            self.cell = nn.GRUCell(E + Hd, Hd)
            self.query_proj = nn.Linear(Hd, A, bias=False)
            self.key_proj = nn.Linear(2 * H, A, bias=False)
            self.v = nn.Linear(A, 1, bias=False)
            self.combine = nn.Linear(2 * H + Hd, Hd)
            self.out = nn.Linear(Hd, V)

        def forward(self, src, tgt):
            enc, h_n = self.encoder(self.src_embed(src))          # [S, B, 2H], [2, B, H]
            h = torch.tanh(self.bridge(torch.cat([h_n[0], h_n[1]], 1)))
            values = enc.transpose(0, 1)                           # [B, S, 2H]
            keys = self.key_proj(values)                           # once per source
            feed = torch.zeros(src.shape[1], Hd, dtype=enc.dtype)
            prev = torch.full((src.shape[1],), 2, dtype=torch.long)   # <s>
            outs = []
            for t in range(tgt.shape[0]):
                h = self.cell(torch.cat([self.tgt_embed(prev), feed], 1), h)
                e = self.v(torch.tanh(keys + self.query_proj(h).unsqueeze(1))).squeeze(2)
                ctx = torch.bmm(torch.softmax(e, 1).unsqueeze(1), values).squeeze(1)
                feed = torch.tanh(self.combine(torch.cat([ctx, h], 1)))
                outs.append(feed)
                prev = tgt[t]                                      # teacher forcing
            return self.out(torch.stack(outs))

    model = Seq2Seq().to(dtype)
    params = list(model.parameters())
    opt = torch.optim.Adam(params, lr=cfg["lr"], betas=(0.9, 0.999), eps=1e-8)
    rng = np.random.default_rng(seed)
    pool = [(torch.from_numpy(rng.integers(4, V, size=(S, B))),
             torch.from_numpy(rng.integers(4, V, size=(S, B)))) for _ in range(TORCH_POOL)]

    def step(i):
        src, tgt = pool[i % len(pool)]
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(src, tgt).reshape(-1, V), tgt.reshape(-1))
        loss.backward()
        opt.step()
        return loss

    return step, sum(p.numel() for p in params)


def tagger_trainer(cfg, dtype, seed):
    """W7 written the usual PyTorch way: a packed nn.LSTM over the batch's distinct words'
    characters, a padded 2-layer bidirectional nn.LSTM over the sentences, a batched CRF forward
    algorithm (logsumexp over [B, K, K] per step) and the gold-path score by gather. Synthetic data
    as xgrad-bench draws it (a lexicon of `vocab` random lowercase words of 2-10 letters,
    sentences of `seq` words, uniform tags), built outside the timed step."""
    import numpy as np
    import torch
    import torch.nn as nn
    from torch.nn.utils.rnn import pack_padded_sequence
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    Vlex, E, H, L, B, S, K = (cfg["vocab"], cfg["embed"], cfg["hidden"], cfg["layers"],
                              cfg["batch"], cfg["seq"], cfg["outputs"])
    Ce, Ch = W7_CHAR_EMBED, W7_CHAR_HIDDEN
    lexicon = ["".join(chr(97 + c) for c in rng.integers(0, 26, size=rng.integers(2, 11)))
               for _ in range(Vlex)]
    words = [[lexicon[i] for i in rng.integers(0, Vlex, size=S)] for _ in range(16 * B)]
    ids = {w: i + 2 for i, w in enumerate(sorted({w for s in words for w in s}))}  # 0 pad, 1 unk
    pool, chars_total = [], 0
    for k in range(16):
        sents = words[k * B:(k + 1) * B]
        distinct = sorted({w for s in sents for w in s})
        index = {w: i for i, w in enumerate(distinct)}
        lens = [min(len(w), W7_MAX_CHARS) for w in distinct]
        chars = np.zeros((max(lens), len(distinct)), np.int64)
        for j, w in enumerate(distinct):
            chars[:lens[j], j] = [b + 1 for b in w.encode()[:W7_MAX_CHARS]]
        chars_total += sum(lens)
        pool.append((torch.tensor([[ids[s[t]] for s in sents] for t in range(S)]),
                     torch.from_numpy(chars), torch.tensor(lens),
                     torch.tensor([index[s[t]] for t in range(S) for s in sents]),
                     torch.from_numpy(rng.integers(0, K, size=(S, B)))))
    cfg["char_macs_per_token"] = 2 * 4 * Ch * (Ce + Ch) * chars_total / (16 * B * S)

    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.word_embed = nn.Embedding(len(ids) + 2, E, padding_idx=0)
            self.char_embed = nn.Embedding(257, Ce, padding_idx=0)
            self.char_rnn = nn.LSTM(Ce, Ch, bidirectional=True)
            self.rnn = nn.LSTM(E + 2 * Ch, H, num_layers=L, bidirectional=True)
            self.head = nn.Linear(2 * H, K)
            self.start = nn.Parameter(torch.empty(K).uniform_(-0.1, 0.1))
            self.end = nn.Parameter(torch.empty(K).uniform_(-0.1, 0.1))
            self.trans = nn.Parameter(torch.empty(K, K).uniform_(-0.1, 0.1))

        def forward(self, w, chars, lens, token_word, tags):
            packed = pack_padded_sequence(self.char_embed(chars), lens, enforce_sorted=False)
            _, (h, _) = self.char_rnn(packed)
            cf = torch.cat([h[0], h[1]], 1)[token_word].view(S, B, 2 * Ch)
            out, _ = self.rnn(torch.cat([self.word_embed(w), cf], 2))
            e = self.head(out)                                   # [S, B, K]
            alpha = self.start + e[0]
            for t in range(1, S):
                alpha = torch.logsumexp(alpha.unsqueeze(2) + self.trans, dim=1) + e[t]
            log_z = torch.logsumexp(alpha + self.end, dim=1)
            gold = (self.start[tags[0]] + e.gather(2, tags.unsqueeze(2)).squeeze(2).sum(0)
                    + self.trans[tags[:-1], tags[1:]].sum(0) + self.end[tags[-1]])
            return (log_z - gold).sum() / (S * B)

    model = Tagger().to(dtype)
    params = list(model.parameters())
    opt = torch.optim.Adam(params, lr=cfg["lr"], betas=(0.9, 0.999), eps=1e-8)

    def step(i):
        opt.zero_grad(set_to_none=True)
        loss = model(*pool[i % len(pool)])
        loss.backward()
        opt.step()
        return loss

    return step, sum(p.numel() for p in params)


def speech_trainer(cfg, dtype, seed):
    """W8 as a PyTorch user writes a CTC recogniser: nn.LSTM (2 layers, bidirectional) over
    [T, B, 120] frames, nn.Linear to blank + 11 words, log_softmax and F.ctc_loss (mean,
    zero_infinity), gradient clipping, Adam. Random frames and targets of 1-7 labels, as
    xgrad-bench draws them, built outside the timed step."""
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    Fin, H, L, B, S, K = (cfg["embed"], cfg["hidden"], cfg["layers"], cfg["batch"], cfg["seq"],
                          cfg["outputs"])
    pool = []
    for _ in range(TORCH_POOL):
        lens = rng.integers(1, W8_MAX_LABELS + 1, size=B)
        pool.append((torch.from_numpy(rng.standard_normal((S, B, Fin))).to(dtype),
                     torch.from_numpy(rng.integers(1, K, size=int(lens.sum()))),
                     torch.full((B,), S, dtype=torch.int64), torch.from_numpy(lens)))

    class Recogniser(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(Fin, H, num_layers=L, bidirectional=True)
            self.head = nn.Linear(2 * H, K)

        def forward(self, x, targets, input_lengths, target_lengths):
            out, _ = self.rnn(x)
            lp = F.log_softmax(self.head(out), dim=2)
            return F.ctc_loss(lp, targets, input_lengths, target_lengths, reduction="mean",
                              zero_infinity=True)

    model = Recogniser().to(dtype)
    params = list(model.parameters())
    opt = torch.optim.Adam(params, lr=cfg["lr"], betas=(0.9, 0.999), eps=1e-8)
    clip = cfg["clip"]

    def step(i):
        opt.zero_grad(set_to_none=True)
        loss = model(*pool[i % len(pool)])
        loss.backward()
        if clip > 0:
            torch.nn.utils.clip_grad_norm_(params, clip)
        opt.step()
        return loss

    return step, sum(p.numel() for p in params)


# ----------------------------------------------------------------------------- numpy (W0)
def tutorial_init(cfg, np_dtype, seed):
    """U (H x vocab), W (H x H), V (outputs x H) with the tutorial's uniform init."""
    import numpy as np
    rng = np.random.default_rng(seed)
    H, Vv, O = cfg["hidden"], cfg["vocab"], cfg["outputs"]
    U = rng.uniform(-Vv ** -0.5, Vv ** -0.5, (H, Vv))
    W = rng.uniform(-H ** -0.5, H ** -0.5, (H, H))
    V = rng.uniform(-H ** -0.5, H ** -0.5, (O, H))
    return [a.astype(np_dtype) for a in (U, W, V)]


def loop_grads(U, W, V, x, y):
    """Tutorial style: per-step matrix-vector products, np.outer, dense gradient buffers.
    One backward sweep carrying dL/ds (the tutorial's nested loop with bptt_truncate >= seq
    gives the same gradient in O(seq^2))."""
    import numpy as np
    T, H = len(x), W.shape[0]
    s = np.zeros((T + 1, H), U.dtype)             # s[-1] is the zero initial state
    o = np.zeros((T, V.shape[0]), U.dtype)
    for t in range(T):
        s[t] = np.tanh(U[:, x[t]] + W.dot(s[t - 1]))
        z = V.dot(s[t])
        e = np.exp(z - z.max())
        o[t] = e / e.sum()
    loss = -np.sum(np.log(o[np.arange(T), y]))
    dU, dW, dV = np.zeros_like(U), np.zeros_like(W), np.zeros_like(V)
    delta_o = o
    delta_o[np.arange(T), y] -= 1
    dnext = np.zeros(H, U.dtype)
    for t in reversed(range(T)):
        dV += np.outer(delta_o[t], s[t])
        delta = (V.T.dot(delta_o[t]) + dnext) * (1 - s[t] ** 2)
        dW += np.outer(delta, s[t - 1])
        dU[:, x[t]] += delta
        dnext = W.T.dot(delta)
    return loss, dU, dW, dV


def vec_buffers(T, H, O, dtype):
    """Work arrays reused across steps: fresh multi-MB temporaries cost page faults (f64: 1.7x)."""
    import numpy as np
    return {"S": np.zeros((T + 1, H), dtype), "Z": np.empty((T, O), dtype),
            "dV": np.empty((O, H), dtype), "dS": np.empty((T, H), dtype),
            "dZ": np.empty((T, H), dtype), "dW": np.empty((H, H), dtype)}


def vec_grads(UT, W, V, x, y, buf=None):
    """Output layer batched over time (GEMMs), dW from one GEMM after the backward loop.
    U is held transposed (vocab x H, like nn.Embedding) so gather/scatter touch rows.
    Returns dZ (seq x H) = dL/d(U[:, x_t]) per step instead of a dense dU; the returned
    arrays live in buf (see vec_buffers) and are overwritten by the next call."""
    import numpy as np
    T, H = len(x), W.shape[0]
    b = buf or vec_buffers(T, H, V.shape[0], UT.dtype)
    S, Z, dZ, dS = b["S"], b["Z"], b["dZ"], b["dS"]  # S[t+1] = s_t, S[0] = 0
    rows = np.arange(T)
    Ux = UT[x]
    for t in range(T):
        S[t + 1] = np.tanh(Ux[t] + W @ S[t])
    np.matmul(S[1:], V.T, out=Z)                  # (T, outputs) logits
    Z -= Z.max(axis=1, keepdims=True)
    z_target = Z[rows, y]
    np.exp(Z, out=Z)
    sums = Z.sum(axis=1, keepdims=True)
    loss = float(np.sum(np.log(sums)) - np.sum(z_target))
    Z /= sums
    Z[rows, y] -= 1                               # dL/dZ of the summed loss
    np.matmul(Z.T, S[1:], out=b["dV"])
    np.matmul(Z, V, out=dS)
    dnext = np.zeros(H, UT.dtype)
    for t in reversed(range(T)):
        dZ[t] = (dS[t] + dnext) * (1 - S[t + 1] ** 2)
        dnext = dZ[t] @ W                         # W^T dz
    np.matmul(dZ.T, S[:-1], out=b["dW"])
    return loss, dZ, b["dW"], b["dV"]


def numpy_trainer(cfg, impl, np_dtype, seed):
    import numpy as np
    U, W, V = tutorial_init(cfg, np_dtype, seed)
    rng = np.random.default_rng(seed)
    tok = rng.integers(0, cfg["vocab"], size=(NUMPY_POOL, cfg["seq"] + 1))
    lr = cfg["lr"]
    if impl == "numpy-vec":
        UT = np.ascontiguousarray(U.T)
        buf = vec_buffers(cfg["seq"], cfg["hidden"], cfg["outputs"], np_dtype)

        def step(i):
            seq = tok[i % NUMPY_POOL]
            loss, dZ, dW, dV = vec_grads(UT, W, V, seq[:-1], seq[1:], buf)
            np.subtract(W, np.multiply(dW, lr, out=dW), out=W)   # in place: no temporaries
            np.subtract(V, np.multiply(dV, lr, out=dV), out=V)
            np.subtract.at(UT, seq[:-1], lr * dZ)   # sparse: only the used rows, repeats add
            return loss
    else:
        def step(i):
            seq = tok[i % NUMPY_POOL]
            loss, dU, dW, dV = loop_grads(U, W, V, seq[:-1], seq[1:])
            U[...] -= lr * dU                       # dense updates, as the tutorial
            W[...] -= lr * dW
            V[...] -= lr * dV
            return loss
    return step, U.size + W.size + V.size


# ----------------------------------------------------------------------------- check
def run_check(cfg, seed):
    """Gradients of one float64 batch (zero initial state) from every implementation."""
    import numpy as np
    import torch
    import torch.nn.functional as F
    x, y = make_pool(cfg, 1, seed)[0]
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    torch.manual_seed(seed)
    fused = build_torch_model(cfg, True).double()
    cellm = build_torch_model(cfg, False).double()
    pf, pc = canonical_params(fused), canonical_params(cellm)
    assert pf.keys() == pc.keys(), (pf.keys(), pc.keys())
    tutorial_np = cfg["embed"] == 0 and cfg["layers"] == 1 and not cfg["bidirectional"] \
        and cfg["batch"] == 1
    with torch.no_grad():
        if tutorial_np:   # start from the tutorial's numpy parameters
            U, W, V = tutorial_init(cfg, np.float64, seed)
            pf["embed.weight"].copy_(torch.from_numpy(U.T))
            pf["rnn.weight_hh_l0"].copy_(torch.from_numpy(W))
            pf["decoder.weight"].copy_(torch.from_numpy(V))
        for k in pf:
            pc[k].copy_(pf[k])

    grads, losses = {}, {}
    for name, model, params in (("torch-fused", fused, pf), ("torch-cell", cellm, pc)):
        logits, _ = model(tx, None)
        loss = F.cross_entropy(logits.reshape(-1, cfg["outputs"]), ty.reshape(-1),
                               reduction="sum" if model.tutorial else "mean")
        loss.backward()
        losses[name] = loss.item()
        grads[name] = {k: p.grad.numpy() for k, p in params.items() if p.requires_grad}
    if tutorial_np:
        xs, ys = x[:, 0], y[:, 0]
        loss, dU, dW, dV = loop_grads(U.copy(), W, V, xs, ys)
        losses["numpy-loop"] = loss
        grads["numpy-loop"] = {"embed.weight": dU.T, "rnn.weight_hh_l0": dW, "decoder.weight": dV}
        loss, dZ, dW, dV = vec_grads(np.ascontiguousarray(U.T), W, V, xs, ys)
        dUT = np.zeros_like(U.T)
        np.add.at(dUT, xs, dZ)
        losses["numpy-vec"] = loss
        grads["numpy-vec"] = {"embed.weight": dUT, "rnn.weight_hh_l0": dW, "decoder.weight": dV}
    else:
        print("check: numpy implementations skipped (not the tutorial model)", file=sys.stderr)

    ref, diffs = "torch-fused", {}
    pairs = [(ref, "torch-cell")]
    if tutorial_np:
        pairs += [("numpy-vec", "numpy-loop"), ("numpy-vec", ref)]
    for a, b in pairs:
        d = max(float(np.max(np.abs(grads[a][k] - grads[b][k]))) for k in grads[a])
        diffs[f"{a} vs {b}"] = d
        print(f"check: {a:11s} vs {b:11s}  max|dgrad| = {d:.3e}  "
              f"|dloss| = {abs(losses[a] - losses[b]):.3e}", file=sys.stderr)
    print(f"check: loss {losses[ref]:.6f}  ln(outputs) {math.log(cfg['outputs']):.6f}",
          file=sys.stderr)
    ok = all(d <= CHECK_TOL for d in diffs.values())
    print(json.dumps({"impl": "check", "max_abs_diff": diffs, "tol": CHECK_TOL, "ok": ok}))
    return ok


# ----------------------------------------------------------------------------- timing
def time_steps(step, args):
    """Warm-up (the first step's loss is recorded), optional calibration, timed repetitions."""
    first_loss = float(step(0))
    i = 1
    for _ in range(args.warmup - 1):
        step(i)
        i += 1
    steps = args.steps
    if steps <= 0:   # auto: estimate the step time from at least 0.3 s of extra steps
        n, t0 = 0, time.perf_counter()
        while n == 0 or time.perf_counter() - t0 < 0.3:
            step(i)
            i, n = i + 1, n + 1
        steps = max(1, math.ceil(args.min_time * n / (time.perf_counter() - t0)))
    per_rep = []
    for rep in range(args.reps):
        t0 = time.perf_counter()
        for _ in range(steps):
            step(i)
            i += 1
        per_rep.append((time.perf_counter() - t0) / steps)
        print(f"rep {rep + 1}/{args.reps}: {steps} steps, {per_rep[-1] * 1e3:.3f} ms/step",
              file=sys.stderr)
    return first_loss, steps, per_rep


def run_sgemm(args, torch_threads):
    import numpy as np
    rng = np.random.default_rng(args.seed)
    A = rng.standard_normal((args.m, args.k), dtype=np.float32)
    B = rng.standard_normal((args.k, args.n), dtype=np.float32)
    C = np.empty((args.m, args.n), np.float32)
    for _ in range(3):
        np.matmul(A, B, out=C)
    n, t0 = 0, time.perf_counter()
    while n == 0 or time.perf_counter() - t0 < 0.3:
        np.matmul(A, B, out=C)
        n += 1
    iters = max(1, math.ceil(args.min_time * n / (time.perf_counter() - t0)))
    rates = []
    for _ in range(args.reps):
        t0 = time.perf_counter()
        for _ in range(iters):
            np.matmul(A, B, out=C)
        rates.append(2.0 * args.m * args.n * args.k * iters / (time.perf_counter() - t0) / 1e9)
    print(f"sgemm {args.m}x{args.n}x{args.k}: {[round(r, 1) for r in rates]} GFLOP/s, "
          f"{setting_string(torch_threads)}", file=sys.stderr)
    print(json.dumps({"impl": "sgemm", "threads": args.threads, "m": args.m, "n": args.n,
                      "k": args.k, "gflops": statistics.median(rates)}))


def main():
    args = parse_args()
    torch_threads = setup_threads(args.threads)
    if args.sgemm_gflops:
        return run_sgemm(args, torch_threads)
    import numpy as np
    import torch
    torch.set_num_threads(torch_threads)
    cfg = args.cfg
    if args.check:
        sys.exit(0 if run_check(cfg, args.seed) else 1)
    if cfg.get("seq2seq") or cfg.get("tagger_crf") or cfg.get("speech_ctc"):
        if args.impl != "torch-fused" or args.check:
            sys.exit(f"{args.workload_id} has one PyTorch implementation (--impl torch-fused) "
                     "and no --check")
    if cfg.get("speech_ctc"):
        step, n_params = speech_trainer(cfg, torch.float32 if args.dtype == "f32"
                                        else torch.float64, args.seed)
    elif cfg.get("tagger_crf"):
        step, n_params = tagger_trainer(cfg, torch.float32 if args.dtype == "f32"
                                        else torch.float64, args.seed)
    elif cfg.get("seq2seq"):
        step, n_params = seq2seq_trainer(cfg, torch.float32 if args.dtype == "f32"
                                         else torch.float64, args.seed)
    elif args.impl.startswith("numpy"):
        step, n_params = numpy_trainer(cfg, args.impl,
                                       np.float32 if args.dtype == "f32" else np.float64, args.seed)
    else:
        step, n_params = torch_trainer(cfg, args.impl,
                                       torch.float32 if args.dtype == "f32" else torch.float64,
                                       args.seed)
    setting = setting_string(torch_threads)
    print(f"{args.impl} {args.workload_id} {cfg} {args.dtype}; {setting}", file=sys.stderr)
    first_loss, steps, per_rep = time_steps(step, args)
    tokens = cfg["batch"] * cfg["seq"]
    ms = sorted(t * 1e3 for t in per_rep)
    median_s = statistics.median(per_rep)
    print(json.dumps({
        "impl": args.impl, "workload": args.workload_id, **cfg,
        "dtype": args.dtype, "threads": args.threads, "setting": setting, "env": thread_env(),
        "steps": steps, "reps": args.reps,
        "ms_per_step": {"median": statistics.median(ms), "min": ms[0], "max": ms[-1]},
        "tokens_per_s": {"median": tokens / median_s, "min": tokens * 1e3 / ms[-1],
                         "max": tokens * 1e3 / ms[0]},
        "gflops": 6.0 * matmul_macs_per_token(cfg) * tokens / median_s / 1e9,
        "first_loss": first_loss, "ln_classes": math.log(cfg["outputs"]),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "params": n_params,
    }))


if __name__ == "__main__":
    main()
