#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Train the digits_mlp model (64 -> 32 ReLU -> 10) with NumPy only.

Data: the UCI "Optical Recognition of Handwritten Digits" set (8x8 images,
pixel values 0..16, 1797 samples) as shipped by Debian's python3-sklearn in
sklearn/datasets/data/digits.csv.gz. Only that file is read; no estimator of
sklearn is used.

The run is fully deterministic (fixed seed, single-threaded BLAS, float64
training, float32 export) and writes into models/digits_mlp/:

  w1.f32      float32[64][32]   h = relu(x . W1 + b1), x = raw pixels 0..16
  b1.f32      float32[32]
  w2.f32      float32[32][10]   logits = h . W2 + b2
  b2.f32      float32[10]
  test_x.f32  float32[N][64]    held-out images, raw pixel values
  test_y.u8   uint8[N]          held-out labels 0..9
  README.md   description, provenance, accuracies, checksums

All binary files are raw little-endian, row-major, without header.
The input scaling x/16 is folded into W1, so the model takes raw pixels.

Exit status: 0 on success, 1 if the held-out accuracy is below the limit
(0.95) or a check fails, 2 on bad usage or unreadable data.
"""

import os

# Fix the BLAS thread count before NumPy loads so that every reduction runs
# in the same order on every run (byte-identical outputs).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
             "BLIS_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import gzip  # noqa: E402
import hashlib  # noqa: E402
import importlib.util  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402

SEED = 20240611
N_IN, N_HID, N_OUT = 64, 32, 10
PIXEL_MAX = 16.0
TEST_FRACTION = 0.20
VAL_FRACTION = 0.10          # of the training part, for early stopping
BATCH = 32
LR = 1e-3
L2 = 1e-4
MAX_EPOCHS = 300
PATIENCE = 30
MIN_ACCURACY = 0.95

WEIGHT_FILES = ("w1.f32", "b1.f32", "w2.f32", "b2.f32")
DATA_FILES = ("test_x.f32", "test_y.u8")


def default_out_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(os.path.dirname(here), "models", "digits_mlp")


def digits_csv_path():
    """Locate digits.csv.gz inside the installed sklearn package without
    importing sklearn itself."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        return None
    for loc in spec.submodule_search_locations:
        p = os.path.join(loc, "datasets", "data", "digits.csv.gz")
        if os.path.isfile(p):
            return p
    return None


def load_digits_raw():
    path = digits_csv_path()
    if path is None:
        raise FileNotFoundError(
            "sklearn/datasets/data/digits.csv.gz not found "
            "(install Debian package python3-sklearn)")
    with gzip.open(path, "rt") as f:
        data = np.loadtxt(f, delimiter=",", dtype=np.float64)
    if data.ndim != 2 or data.shape[1] != N_IN + 1:
        raise ValueError("digits.csv.gz: expected %d columns, got shape %r"
                         % (N_IN + 1, data.shape))
    x = data[:, :N_IN]
    y = data[:, N_IN].astype(np.int64)
    if x.min() < 0 or x.max() > PIXEL_MAX or np.any(x != np.round(x)):
        raise ValueError("digits.csv.gz: pixel values outside integers 0..16")
    if y.min() < 0 or y.max() >= N_OUT:
        raise ValueError("digits.csv.gz: label outside 0..9")
    return x, y


def stratified_split(y, fraction, rng):
    """Return (rest_idx, held_idx): per class, round(fraction * count)
    samples chosen at random go to the held part. Indices are sorted."""
    held, rest = [], []
    for c in range(N_OUT):
        idx = np.flatnonzero(y == c)
        idx = idx[rng.permutation(idx.size)]
        k = int(round(fraction * idx.size))
        held.append(idx[:k])
        rest.append(idx[k:])
    return np.sort(np.concatenate(rest)), np.sort(np.concatenate(held))


# --------------------------------------------------------------------------
# Training (float64, inputs scaled to 0..1)
# --------------------------------------------------------------------------

def init_params(rng):
    w1 = rng.standard_normal((N_IN, N_HID)) * np.sqrt(2.0 / N_IN)
    w2 = rng.standard_normal((N_HID, N_OUT)) * np.sqrt(2.0 / N_HID)
    return {"w1": w1, "b1": np.zeros(N_HID), "w2": w2, "b2": np.zeros(N_OUT)}


def forward(p, x):
    z1 = x @ p["w1"] + p["b1"]
    h = np.maximum(z1, 0.0)
    return z1, h, h @ p["w2"] + p["b2"]


def softmax_xent(logits, y):
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    prob = e / e.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(prob[np.arange(y.size), y]))
    return loss, prob


def grads(p, x, y):
    z1, h, logits = forward(p, x)
    loss, prob = softmax_xent(logits, y)
    d = prob
    d[np.arange(y.size), y] -= 1.0
    d /= y.size
    g = {"w2": h.T @ d + L2 * p["w2"], "b2": d.sum(axis=0)}
    dh = (d @ p["w2"].T) * (z1 > 0.0)
    g["w1"] = x.T @ dh + L2 * p["w1"]
    g["b1"] = dh.sum(axis=0)
    return loss, g


def accuracy64(p, x, y):
    return float(np.mean(np.argmax(forward(p, x)[2], axis=1) == y))


def train(x_fit, y_fit, x_val, y_val, rng, log):
    p = init_params(rng)
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v = {k: np.zeros_like(v) for k, v in p.items()}
    b1, b2, eps = 0.9, 0.999, 1e-8
    step = 0
    best = None
    best_key = None
    since_best = 0
    for epoch in range(1, MAX_EPOCHS + 1):
        order = rng.permutation(y_fit.size)
        for s in range(0, order.size, BATCH):
            bi = order[s:s + BATCH]
            _, g = grads(p, x_fit[bi], y_fit[bi])
            step += 1
            for k in p:
                m[k] = b1 * m[k] + (1.0 - b1) * g[k]
                v[k] = b2 * v[k] + (1.0 - b2) * g[k] * g[k]
                mh = m[k] / (1.0 - b1 ** step)
                vh = v[k] / (1.0 - b2 ** step)
                p[k] = p[k] - LR * mh / (np.sqrt(vh) + eps)
        val_loss, _ = softmax_xent(forward(p, x_val)[2], y_val)
        val_acc = accuracy64(p, x_val, y_val)
        # Higher validation accuracy wins; ties broken by lower loss.
        key = (val_acc, -val_loss)
        if best_key is None or key > best_key:
            best_key = key
            best = {k: a.copy() for k, a in p.items()}
            best_epoch = epoch
            since_best = 0
        else:
            since_best += 1
        if epoch % 10 == 0 or epoch == 1:
            log("epoch %3d  val_loss %.4f  val_acc %.4f" % (epoch, val_loss, val_acc))
        if since_best >= PATIENCE:
            log("early stop at epoch %d (best epoch %d)" % (epoch, best_epoch))
            break
    return best, best_epoch, best_key[0]


# --------------------------------------------------------------------------
# Float32 inference in the order a plain C loop uses
# --------------------------------------------------------------------------

def infer_c_order(w1, b1, w2, b2, x):
    """Logits computed in float32 exactly as the reference C loop does:
        acc = 0.0f; for k in 0..n-1: acc += x[k] * w[k][j];  out[j] = acc + b[j]
    (no fused multiply-add, hidden = max(out, 0)). Vectorised over samples
    and outputs; the loop over k keeps the summation order."""
    def layer(inp, w, b):
        acc = np.zeros((inp.shape[0], w.shape[1]), dtype=np.float32)
        for k in range(w.shape[0]):
            prod = inp[:, k:k + 1] * w[k:k + 1, :]   # float32 * float32
            acc = acc + prod                        # float32 add
        return acc + b
    h = layer(x, w1, b1)
    h = np.where(h > np.float32(0.0), h, np.float32(0.0)).astype(np.float32)
    return layer(h, w2, b2)


def argmax_first(logits):
    return np.argmax(logits, axis=1)   # first maximum wins, as a C "v > best" loop


def top2_margin(logits):
    s = np.sort(logits.astype(np.float64), axis=1)
    return s[:, -1] - s[:, -2]


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def write_raw(path, arr, dtype):
    a = np.ascontiguousarray(arr, dtype=dtype)
    with open(path, "wb") as f:
        f.write(a.tobytes(order="C"))


README_TEMPLATE = """# digits_mlp: weights and held-out set

Model id 4 of the shipped models: a small multilayer perceptron that classifies
8x8 images of handwritten digits.

    h      = relu(x . W1 + b1)      x: float32[64], raw pixel values 0..16
    logits = h . W2 + b2            logits: float32[10]
    result = argmax(logits)         class 0..9 (first maximum on ties)

The input scaling x/16 used in training is folded into W1 (W1 = W1_train / 16,
exact in binary floating point), so the model takes raw pixel values.

## Files

All files are raw little-endian, row-major, without header.

| file | dtype | shape | bytes |
|------|-------|-------|-------|
{table}

N = {n} held-out samples. `test_x.f32` row i is the 64 pixels of image i
(row-major 8x8, values 0..16 stored as float32); `test_y.u8` byte i is its label.
Element W1[k][j] is at float index k*32 + j, W2[j][c] at j*10 + c.

## How they were made

    python3 scripts/train_digits.py            # train and write these files
    python3 scripts/train_digits.py --verify   # reload the files, recompute accuracy

Run with Debian's `/usr/bin/python3` with `python3-numpy` and `python3-sklearn`
installed. The script uses NumPy only for training; of sklearn it reads nothing
but the data file. The run is deterministic (seed {seed}, single-threaded BLAS)
and rewrites byte-identical files.

Data source: the UCI Machine Learning Repository "Optical Recognition of
Handwritten Digits" data set (the 1797-sample, 8x8, 0..16 version), as shipped
by Debian's `python3-sklearn` in `sklearn/datasets/data/digits.csv.gz`
(64 pixel columns followed by the label).

Split: a stratified held-out set of {test_pct}% per class (seeded), never used for
training or model selection. Of the remaining {n_train} samples, a stratified
{val_pct}% validation part ({n_val} samples) was used for early stopping only;
the other {n_fit} were used for fitting.

Training: 64 -> 32 (ReLU) -> 10, softmax cross-entropy, L2 {l2} on weights,
Adam (lr {lr}, batch {batch}), float64, inputs x/16, He initialisation; up to
{max_epochs} epochs, early stopping with patience {patience} on validation
accuracy (ties: lower validation loss). Best epoch: {best_epoch}.

## Accuracy

Computed by the script in float32 from the exported files, in the order of a
plain C loop (`acc = 0; for k: acc += x[k]*W[k][j]; out = acc + b[j]`, no fused
multiply-add), then relu, second layer the same way, argmax:

| set | samples | accuracy |
|-----|---------|----------|
| held-out (test_x/test_y) | {n} | {test_acc:.4f} ({test_ok}/{n}) |
| training part (fit + validation) | {n_train} | {train_acc:.4f} ({train_ok}/{n_train}) |

Held-out accuracy: {test_acc:.6f}

The smallest gap between the largest and second largest logit over the held-out
set is {min_margin:.3e}, far above float32 rounding differences, so a C
implementation that sums in another order or uses fused multiply-add is
expected to give the same classes. The float64 forward pass of the
exported weights agrees with the float32 one on {agree}/{n} held-out samples.

## SHA-256

{sums}
"""


def cmd_train(out_dir, log):
    try:
        x_all, y_all = load_digits_raw()
    except (OSError, ValueError) as e:
        print("train_digits: cannot load data: %s" % e, file=sys.stderr)
        return 2
    rng = np.random.default_rng(SEED)
    train_idx, test_idx = stratified_split(y_all, TEST_FRACTION, rng)
    fit_rel, val_rel = stratified_split(y_all[train_idx], VAL_FRACTION, rng)
    fit_idx, val_idx = train_idx[fit_rel], train_idx[val_rel]
    assert not set(test_idx) & set(train_idx)
    log("samples: total %d, train %d (fit %d, val %d), held-out %d"
        % (y_all.size, train_idx.size, fit_idx.size, val_idx.size, test_idx.size))

    xs = x_all / PIXEL_MAX
    p, best_epoch, val_acc = train(xs[fit_idx], y_all[fit_idx],
                                   xs[val_idx], y_all[val_idx], rng, log)
    log("best epoch %d, validation accuracy %.4f" % (best_epoch, val_acc))

    w1 = (p["w1"] / PIXEL_MAX).astype(np.float32)
    b1 = p["b1"].astype(np.float32)
    w2 = p["w2"].astype(np.float32)
    b2 = p["b2"].astype(np.float32)
    test_x = x_all[test_idx].astype(np.float32)
    test_y = y_all[test_idx].astype(np.uint8)
    train_x = x_all[train_idx].astype(np.float32)
    train_y = y_all[train_idx]

    test_logits = infer_c_order(w1, b1, w2, b2, test_x)
    test_pred = argmax_first(test_logits)
    test_ok = int(np.sum(test_pred == test_y))
    train_ok = int(np.sum(argmax_first(infer_c_order(w1, b1, w2, b2, train_x))
                          == train_y))
    n, n_train = int(test_y.size), int(train_y.size)
    test_acc, train_acc = test_ok / n, train_ok / n_train
    min_margin = float(top2_margin(test_logits).min())
    ref = np.maximum(test_x.astype(np.float64) @ w1.astype(np.float64) + b1, 0.0)
    ref = ref @ w2.astype(np.float64) + b2
    agree = int(np.sum(np.argmax(ref, axis=1) == test_pred))

    os.makedirs(out_dir, exist_ok=True)
    arrays = [("w1.f32", w1, "<f4", "float32", "[64][32]"),
              ("b1.f32", b1, "<f4", "float32", "[32]"),
              ("w2.f32", w2, "<f4", "float32", "[32][10]"),
              ("b2.f32", b2, "<f4", "float32", "[10]"),
              ("test_x.f32", test_x, "<f4", "float32", "[%d][64]" % n),
              ("test_y.u8", test_y, "u1", "uint8", "[%d]" % n)]
    rows, sums = [], []
    for name, arr, dt, dname, shape in arrays:
        path = os.path.join(out_dir, name)
        write_raw(path, arr, dt)
        rows.append("| `%s` | %s | %s | %d |"
                    % (name, dname, shape, os.path.getsize(path)))
        sums.append("    %s  %s" % (sha256_file(path), name))

    readme = README_TEMPLATE.format(
        table="\n".join(rows), n=n, seed=SEED,
        test_pct=int(round(TEST_FRACTION * 100)),
        val_pct=int(round(VAL_FRACTION * 100)),
        n_train=n_train, n_val=int(val_idx.size), n_fit=int(fit_idx.size),
        l2=L2, lr=LR, batch=BATCH, max_epochs=MAX_EPOCHS, patience=PATIENCE,
        best_epoch=best_epoch, test_acc=test_acc, test_ok=test_ok,
        train_acc=train_acc, train_ok=train_ok, min_margin=min_margin,
        agree=agree, sums="\n".join(sums))
    with open(os.path.join(out_dir, "README.md"), "w", encoding="ascii",
              newline="\n") as f:
        f.write(readme)

    print("held-out accuracy: %.6f (%d/%d)" % (test_acc, test_ok, n))
    print("train accuracy:    %.6f (%d/%d)" % (train_acc, train_ok, n_train))
    if test_acc < MIN_ACCURACY:
        print("train_digits: held-out accuracy %.4f below limit %.2f"
              % (test_acc, MIN_ACCURACY), file=sys.stderr)
        return 1
    return 0


def read_raw(path, dtype, count):
    size = os.path.getsize(path)
    item = np.dtype(dtype).itemsize
    if count is not None and size != count * item:
        raise ValueError("%s: %d bytes, expected %d" % (path, size, count * item))
    if size % item:
        raise ValueError("%s: %d bytes, not a multiple of %d" % (path, size, item))
    return np.fromfile(path, dtype=dtype)


def cmd_verify(out_dir):
    """Independent check: reload every file, validate sizes and ranges, and
    recompute the held-out accuracy with a plain per-sample loop."""
    try:
        w1 = read_raw(os.path.join(out_dir, "w1.f32"), "<f4", N_IN * N_HID)
        b1 = read_raw(os.path.join(out_dir, "b1.f32"), "<f4", N_HID)
        w2 = read_raw(os.path.join(out_dir, "w2.f32"), "<f4", N_HID * N_OUT)
        b2 = read_raw(os.path.join(out_dir, "b2.f32"), "<f4", N_OUT)
        ty = read_raw(os.path.join(out_dir, "test_y.u8"), "u1", None)
        tx = read_raw(os.path.join(out_dir, "test_x.f32"), "<f4", ty.size * N_IN)
    except (OSError, ValueError) as e:
        print("verify: %s" % e, file=sys.stderr)
        return 1
    n = ty.size
    problems = []
    if n == 0:
        problems.append("test_y.u8 is empty")
    if ty.size and int(ty.max()) >= N_OUT:
        problems.append("label %d above limit %d" % (int(ty.max()), N_OUT - 1))
    if tx.size and (float(tx.min()) < 0.0 or float(tx.max()) > PIXEL_MAX):
        problems.append("pixel range %g..%g outside 0..16"
                        % (float(tx.min()), float(tx.max())))
    for name, a in (("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2)):
        if not np.all(np.isfinite(a)):
            problems.append("%s has non-finite values" % name)
    if problems:
        for msg in problems:
            print("verify: %s" % msg, file=sys.stderr)
        return 1

    W1, W2 = w1.reshape(N_IN, N_HID), w2.reshape(N_HID, N_OUT)
    X = tx.reshape(n, N_IN)
    ok = 0
    for i in range(n):
        h = np.zeros(N_HID, dtype=np.float32)
        for k in range(N_IN):
            h += X[i, k] * W1[k]
        h = np.maximum(h + b1, np.float32(0.0))
        z = np.zeros(N_OUT, dtype=np.float32)
        for j in range(N_HID):
            z += h[j] * W2[j]
        z = z + b2
        best = 0
        for c in range(1, N_OUT):
            if z[c] > z[best]:
                best = c
        ok += int(best == int(ty[i]))
    acc = ok / n
    print("verify: held-out accuracy %.6f (%d/%d)" % (acc, ok, n))

    status = 0
    readme = os.path.join(out_dir, "README.md")
    try:
        with open(readme, encoding="ascii") as f:
            text = f.read()
        m = re.search(r"^Held-out accuracy: ([0-9.]+)$", text, re.M)
        if m is None:
            print("verify: README.md has no 'Held-out accuracy:' line",
                  file=sys.stderr)
            status = 1
        elif abs(float(m.group(1)) - acc) > 5e-7:
            print("verify: README.md states %s, recomputed %.6f"
                  % (m.group(1), acc), file=sys.stderr)
            status = 1
        for name in WEIGHT_FILES + DATA_FILES:
            digest = sha256_file(os.path.join(out_dir, name))
            if ("%s  %s" % (digest, name)) not in text:
                print("verify: sha256 of %s (%s) not listed in README.md"
                      % (name, digest), file=sys.stderr)
                status = 1
    except OSError as e:
        print("verify: %s" % e, file=sys.stderr)
        status = 1
    if acc < MIN_ACCURACY:
        print("verify: held-out accuracy %.4f below limit %.2f"
              % (acc, MIN_ACCURACY), file=sys.stderr)
        status = 1
    return status


def main(argv):
    ap = argparse.ArgumentParser(
        prog="train_digits.py",
        description="Train the digits_mlp model (64 -> 32 ReLU -> 10) with "
                    "NumPy on the UCI handwritten digits data shipped by "
                    "python3-sklearn, and write its weights and held-out set "
                    "as raw little-endian files. Deterministic: two runs write "
                    "byte-identical files.",
        epilog="Files written: w1.f32 float32[64][32], b1.f32 float32[32], "
               "w2.f32 float32[32][10], b2.f32 float32[10], "
               "test_x.f32 float32[N][64], test_y.u8 uint8[N], README.md. "
               "Exit status: 0 success; 1 held-out accuracy below 0.95 or a "
               "verification failure; 2 usage error or missing data.")
    ap.add_argument("--out-dir", default=None, metavar="DIR",
                    help="output folder (default: models/digits_mlp next to "
                         "this script's parent folder)")
    ap.add_argument("--verify", action="store_true",
                    help="do not train; reload the files in the output folder, "
                         "check their sizes and ranges, recompute the held-out "
                         "accuracy and compare it with README.md")
    ap.add_argument("-q", "--quiet", action="store_true",
                    help="print only the final accuracies")
    args = ap.parse_args(argv)
    out_dir = args.out_dir or default_out_dir()
    if args.verify:
        return cmd_verify(out_dir)

    def log(msg):
        if not args.quiet:
            print(msg, flush=True)
    return cmd_train(out_dir, log)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
