"""Shared code for the Python/TensorFlow peer implementation (PaperCNN + SNNL + DkNN)."""
import os, gzip, time, json, resource
import numpy as np

PEER = os.path.dirname(os.path.abspath(__file__))
# Outputs go to a writable folder, outside the repository.
OUT = os.environ.get("PEER_OUT", "/tmp/tangle-peer/out")
os.makedirs(OUT, exist_ok=True)
LOGS = os.environ.get("PEER_LOGS", os.path.join(os.path.dirname(OUT), "logs"))
os.makedirs(LOGS, exist_ok=True)
FASH = "/usr/share/datasets/fashion-mnist/"
# The repository's data/mnist-test/, which scripts/fetch-mnist-test.sh fills.
MNIST_TEST = os.path.join(PEER, "..", "..", "data", "mnist-test", "t10k-images-idx3-ubyte.gz")
# More out-of-distribution IDX sets: PEER_EXTRA_OOD="name=path.gz,name2=path2.gz"
EXTRA_OOD = [kv.split("=", 1) for kv in os.environ.get("PEER_EXTRA_OOD", "").split(",") if "=" in kv]
N_TRAIN = 59000          # first 59000 train images used for training / DkNN index
BATCH = 256
LAYER_NAMES = ["pool1", "pool2", "dense256", "dense128", "logits"]


def set_threads(intra=2, inter=1):
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(intra)
    tf.config.threading.set_inter_op_parallelism_threads(inter)


def load_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    ndim = magic & 0xFF
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def images01(path):
    x = load_idx(path).astype(np.float32) / 255.0
    return x.reshape(-1, 28, 28, 1)


def load_fashion():
    xtr = images01(FASH + "train-images-idx3-ubyte.gz")
    ytr = load_idx(FASH + "train-labels-idx1-ubyte.gz").astype(np.int32)
    xte = images01(FASH + "t10k-images-idx3-ubyte.gz")
    yte = load_idx(FASH + "t10k-labels-idx1-ubyte.gz").astype(np.int32)
    assert xtr.shape == (60000, 28, 28, 1) and xte.shape == (10000, 28, 28, 1)
    return (xtr[:N_TRAIN], ytr[:N_TRAIN]), (xtr[N_TRAIN:], ytr[N_TRAIN:]), (xte, yte)


def build_model(seed=0, shape=(28, 28, 1)):
    """PaperCNN. Outputs: [pool1 (flat 6272), pool2 (flat 3136), dense256, dense128, logits]."""
    import keras
    from keras import layers as L
    keras.utils.set_random_seed(seed)
    inp = keras.Input(shape)
    c1 = L.Conv2D(32, 5, strides=1, padding="same", activation="relu", name="conv1")(inp)
    p1 = L.MaxPooling2D(2, name="pool1")(c1)
    c2 = L.Conv2D(64, 5, strides=1, padding="same", activation="relu", name="conv2")(p1)
    p2 = L.MaxPooling2D(2, name="pool2")(c2)
    f2 = L.Flatten(name="flat2")(p2)
    d1 = L.Dense(256, activation="relu", name="dense256")(f2)
    d2 = L.Dense(128, activation="relu", name="dense128")(d1)
    lo = L.Dense(10, name="logits")(d2)
    f1 = L.Flatten(name="flat1")(p1)
    return keras.Model(inp, [f1, f2, d1, d2, lo], name="PaperCNN")


def snnl_tf(x, y, inv_t, eps=1e-5):
    """Soft nearest neighbour loss (Frosst et al. 2019), cleverhans-style epsilon,
    computed with a max-subtracted softmax over k != i (stable).
    x: [b, d] float32, y: [b] int, inv_t: scalar 1/T."""
    import tensorflow as tf
    sq = tf.reduce_sum(tf.square(x), axis=1)
    d = sq[:, None] + sq[None, :] - 2.0 * tf.matmul(x, x, transpose_b=True)
    d = tf.maximum(d, 0.0)
    b = tf.shape(x)[0]
    eye = tf.eye(b, dtype=tf.bool)
    logits = tf.where(eye, tf.constant(-np.inf, tf.float32), -d * inv_t)
    p = tf.nn.softmax(logits, axis=1)                       # p_ij over k != i
    same = tf.logical_and(tf.equal(y[:, None], y[None, :]), tf.logical_not(eye))
    ps = tf.reduce_sum(tf.where(same, p, 0.0), axis=1)
    return tf.reduce_mean(-tf.math.log(eps + ps))


def snnl_np_from_dist(d, y, inv_t, eps=1e-5):
    """Same formula in numpy (float64) from a precomputed squared-distance matrix."""
    n = d.shape[0]
    lg = -d * inv_t
    np.fill_diagonal(lg, -np.inf)
    lg = lg - lg.max(axis=1, keepdims=True)
    e = np.exp(lg)
    p = e / e.sum(axis=1, keepdims=True)
    same = (y[:, None] == y[None, :]) & ~np.eye(n, dtype=bool)
    ps = (p * same).sum(axis=1)
    return float(np.mean(-np.log(eps + ps)))


def sqdist_np(x):
    x = x.astype(np.float64)
    sq = (x * x).sum(1)
    d = sq[:, None] + sq[None, :] - 2.0 * x @ x.T
    return np.maximum(d, 0.0)


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def save_json(obj, path):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2, default=lambda o: o.item() if hasattr(o, "item") else str(o))


def versions():
    import tensorflow as tf, keras, faiss, sklearn, platform
    return {"python": platform.python_version(), "tensorflow": tf.__version__, "keras": keras.__version__,
            "faiss": faiss.__version__, "numpy": np.__version__, "sklearn": sklearn.__version__}
