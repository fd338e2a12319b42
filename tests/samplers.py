"""Valid sample inputs for every registered loss, for the generic tests (not library code).

``sample(record, rng, config, batch_axis, dtype, batch=4, width=3) -> (args, kwargs)``:
inputs for the loss built with the constructor keywords ``config``, with ``batch``
samples of ``width`` numbers each (``width`` classes, frames or vector entries, as the
loss reads it), kept away from kinks so that central differences are accurate, for any
hyperparameter in the registry's ranges. ``args`` are the positional inputs in call
order; ``kwargs`` extra call keywords (never ``sample_weight``).
"""
import numpy as np

from lossbook import registry

SAMPLERS = {}


def sampler(*names):
    def register(function):
        for name in names:
            SAMPLERS[name] = function
        return function
    return register


def sample(record, rng, config, batch_axis, dtype, batch=4, width=3):
    """Inputs for ``record``'s loss (see the module's docstring)."""
    config = {**record.defaults, **config}
    return SAMPLERS[record.name](rng, config, batch_axis, np.dtype(dtype), batch, width)


def away_from(values, kinks, gap=0.05):
    """Move each value at least ``gap`` away from every point in ``kinks``.

    >>> away_from(np.array([0.0, 0.5, 0.99]), kinks=(0.0, 1.0), gap=0.1)
    array([0.1, 0.5, 0.9])
    """
    values = np.array(values, dtype=np.float64, copy=True)
    for kink in kinks:
        close = np.abs(values - kink) < gap
        values[close] = kink + gap * np.where(values[close] >= kink, 1.0, -1.0)
    return values


def _layout(arrays, batch_axis):
    """Samples on axis 0 made by the samplers, moved to ``batch_axis``."""
    return [a if batch_axis == 0 else np.ascontiguousarray(np.moveaxis(a, 0, batch_axis))
            for a in arrays]


# ---------------------------------------------------------------------------- regression
@sampler("L2Loss", "L1Loss", "HuberLoss", "LogCoshLoss", "QuantileLoss")
def _regression(rng, config, batch_axis, dtype, batch, width):
    kinks = [0.0]
    if "rho" in config:
        kinks += [config["rho"], -config["rho"]]
    label = rng.normal(size=(batch, width))
    offsets = away_from(rng.normal(scale=1.5, size=(batch, width)), kinks)
    pred, label = _layout([label + offsets, label], batch_axis)
    return (pred.astype(dtype), label.astype(dtype)), {}


@sampler("PoissonNLLLoss")
def _poisson(rng, config, batch_axis, dtype, batch, width):
    target = rng.poisson(3.0, size=(batch, width)).astype(np.float64)
    if config["from_logits"]:
        pred = rng.normal(scale=0.5, size=(batch, width)) + 1.0
    else:
        pred = rng.uniform(0.5, 5.0, size=(batch, width))
    pred, target = _layout([pred, target], batch_axis)
    return (pred.astype(dtype), target.astype(dtype)), {}


@sampler("GaussianNLLLoss")
def _gaussian(rng, config, batch_axis, dtype, batch, width):
    label = rng.normal(size=(batch, width))
    pred = label + rng.normal(size=(batch, width))
    var = rng.uniform(0.3, 3.0, size=(batch, width))
    return tuple(a.astype(dtype) for a in _layout([pred, label, var], batch_axis)), {}


# -------------------------------------------------------------------------------- binary
@sampler("SigmoidBinaryCrossEntropyLoss", "SigmoidFocalLoss")
def _binary_soft(rng, config, batch_axis, dtype, batch, width):
    if config.get("from_sigmoid"):
        pred = rng.uniform(0.05, 0.95, size=(batch, width))
    else:
        pred = rng.normal(scale=2.0, size=(batch, width))
    label = rng.uniform(0, 1, size=(batch, width))
    return tuple(a.astype(dtype) for a in _layout([pred, label], batch_axis)), {}


@sampler("LogisticLoss")
def _logistic(rng, config, batch_axis, dtype, batch, width):
    values = (-1.0, 1.0) if config["label_format"] == "signed" else (0.0, 1.0)
    label = rng.choice(values, size=(batch, width))
    pred = rng.normal(scale=2.0, size=(batch, width))
    return tuple(a.astype(dtype) for a in _layout([pred, label], batch_axis)), {}


@sampler("HingeLoss", "SquaredHingeLoss")
def _hinge(rng, config, batch_axis, dtype, batch, width):
    label = rng.choice([-1.0, 1.0], size=(batch, width))
    # keep the score y x away from the margin, the hinge's kink
    score = away_from(rng.normal(scale=2.0, size=(batch, width)), (config["margin"],), 0.1)
    return tuple(a.astype(dtype) for a in _layout([label * score, label], batch_axis)), {}


# ---------------------------------------------------------------------------- multiclass
def _scores_and_labels(rng, config, batch_axis, dtype, batch, width):
    """Scores of shape (batch, width) with batch axis 0, or (3, batch, width) with batch
    axis 1 (the class axis is the last one), and their sparse or dense labels."""
    shape = (batch, width) if batch_axis == 0 else (3, batch, width)
    pred = rng.normal(scale=2.0, size=shape)
    if config.get("from_logits"):       # log-probabilities, <= 0 exactly: max subtracted first
        shifted = pred - np.max(pred, axis=-1, keepdims=True)
        pred = shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))
    if config.get("sparse_label", True):
        return pred, rng.integers(0, width, size=shape[:-1])
    label = rng.dirichlet(np.ones(width), size=shape[:-1])
    return pred, label.astype(dtype)


@sampler("SoftmaxCrossEntropyLoss", "NLLLoss")
def _softmax(rng, config, batch_axis, dtype, batch, width):
    if config.get("class_weight") is not None:
        width = len(config["class_weight"])
    config = {**config, "from_logits": True} if "from_logits" not in config else config
    pred, label = _scores_and_labels(rng, config, batch_axis, dtype, batch, width)
    return (pred.astype(dtype), label), {}


@sampler("MulticlassHingeLoss")
def _multiclass_hinge(rng, config, batch_axis, dtype, batch, width):
    pred, label = _scores_and_labels(rng, {}, batch_axis, dtype, batch, width)
    # distinct scores on a grid, so that no slack margin + x_j - x_y sits near zero and no
    # two rivals tie: steps of `step`, chosen so that margin / step is half an integer away
    # from every integer, plus a small random offset per row
    margin = config["margin"]
    step = 0.37 if abs(margin / 0.37 - round(margin / 0.37)) > 0.25 else 0.29
    ranks = np.argsort(np.argsort(pred, axis=-1), axis=-1)
    pred = ranks * step + rng.uniform(-0.03, 0.03, size=pred.shape[:-1] + (1,))
    return (pred.astype(dtype), label), {}


@sampler("BrierLoss")
def _brier(rng, config, batch_axis, dtype, batch, width):
    """Logits, probabilities in [0.05, 0.95] or softmax scores, as the link says."""
    if config["link"] == "softmax":
        pred, label = _scores_and_labels(rng, config, batch_axis, dtype, batch, width)
        return (pred.astype(dtype), label), {}
    if config["link"] == "identity":
        pred = rng.uniform(0.05, 0.95, size=(batch, width))
    else:
        pred = rng.normal(scale=2.0, size=(batch, width))
    label = rng.uniform(0, 1, size=(batch, width))
    return tuple(a.astype(dtype) for a in _layout([pred, label], batch_axis)), {}


# --------------------------------------------------------------------------- information
@sampler("KLDivLoss")
def _kldiv(rng, config, batch_axis, dtype, batch, width):
    """Label rows drawn from a Dirichlet over 4 classes (their logs with log_target); pred
    as log-probabilities or logits."""
    shape, classes = (batch, width), 4
    label = rng.dirichlet(np.full(classes, 2.0), size=shape)
    if config.get("log_target"):
        label = np.log(label)
    if config["from_logits"]:
        pred = np.log(rng.dirichlet(np.full(classes, 2.0), size=shape))
    else:
        pred = rng.normal(scale=1.5, size=shape + (classes,))
    return tuple(a.astype(dtype) for a in _layout([pred, label], batch_axis)), {}


@sampler("DistillationLoss")
def _distillation(rng, config, batch_axis, dtype, batch, width):
    """Student and teacher logits over ``width`` classes (the last axis)."""
    shape = (batch, width) if batch_axis == 0 else (3, batch, width)
    student, teacher = rng.normal(scale=2.0, size=shape), rng.normal(scale=2.0, size=shape)
    return (student.astype(dtype), teacher.astype(dtype)), {}


@sampler("GaussianKLLoss")
def _gaussian_kl(rng, config, batch_axis, dtype, batch, width):
    mu, logvar = rng.normal(size=(batch, width)), rng.normal(scale=0.7, size=(batch, width))
    return tuple(a.astype(dtype) for a in _layout([mu, logvar], batch_axis)), {}


# -------------------------------------------------------------------------- segmentation
@sampler("DiceLoss", "TverskyLoss")
def _masks(rng, config, batch_axis, dtype, batch, width):
    """Masks of (batch, width, 2) pixels, about a third of them set; logits or
    probabilities."""
    shape = (batch, width, 2)
    label = (rng.uniform(size=shape) < 0.35).astype(np.float64)
    if config.get("from_sigmoid"):
        pred = rng.uniform(0.05, 0.95, size=shape)
    else:
        pred = rng.normal(scale=2.0, size=shape)
    return tuple(a.astype(dtype) for a in _layout([pred, label], batch_axis)), {}


# ------------------------------------------------------------------------------ sequence
@sampler("CTCLoss")
def _ctc(rng, config, batch_axis, dtype, batch, width):
    """C = 5, T = width + 5 frames, the lengths varied, labels with repeats and one empty."""
    from lossbook.sequence import resolve_blank
    C, T, L = 5, width + 5, 3
    blank = resolve_blank(config["blank"], C, "test")
    symbols = [c for c in range(C) if c != blank]
    pred_lengths = rng.integers(T - 2, T + 1, size=batch)
    label_lengths = np.minimum(rng.integers(0, L + 1, size=batch), 2)
    labels = np.full((batch, L), -1)
    labels[0] = [symbols[1], symbols[1], symbols[2]]        # a repeat: needs a blank between
    label_lengths[0] = 3
    for n in range(1, batch):
        labels[n, :label_lengths[n]] = rng.choice(symbols, size=label_lengths[n])
    pred = rng.normal(size=(batch, T, C))
    if config["layout"] == "TNC":
        pred = pred.transpose(1, 0, 2)
    if config["label_layout"] == "TN":
        labels = labels.T
    return ((np.ascontiguousarray(pred).astype(dtype), np.ascontiguousarray(labels)),
            {"pred_lengths": pred_lengths, "label_lengths": label_lengths})


# ----------------------------------------------------------------------------- embedding
@sampler("TripletLoss")
def _triplet(rng, config, batch_axis, dtype, batch, width):
    """Anchors, positives and negatives with |s + margin| > 0.1 (s: the distance gap)."""
    margin = config["margin"]
    pred, positive, negative = (rng.normal(size=(batch, width)) for _ in range(3))
    for _ in range(1000):
        s = np.sum((positive - pred) ** 2 - (negative - pred) ** 2, axis=1)
        bad = np.abs(s + margin) <= 0.1
        if not bad.any():
            break
        negative[bad] = rng.normal(size=(int(bad.sum()), width))
    return tuple(a.astype(dtype) for a in _layout([pred, positive, negative], batch_axis)), {}


@sampler("TripletMarginLoss")
def _triplet_margin(rng, config, batch_axis, dtype, batch, width):
    """Triplets away from every kink: the hinge (|slack| > 0.1), the swap's minimum
    (|d(a, n) - d(p, n)| > 0.1) and, for p = 1, every entry of each difference (> 0.05)."""
    from lossbook.embedding import _p_distance
    p, eps, margin = config["p"], config.get("eps", 1e-6), config["margin"]
    anchor, positive, negative = (rng.normal(size=(batch, width)) for _ in range(3))

    def distance(x, y):
        return _p_distance(x - y + eps, (1,), p)[0][:, 0]

    for _ in range(1000):
        d_pos, d_neg, d_swap = distance(anchor, positive), distance(anchor, negative), \
            distance(positive, negative)
        nearest = np.minimum(d_neg, d_swap) if config.get("swap") else d_neg
        bad = np.abs(d_pos - nearest + margin) <= 0.1
        bad |= (np.abs(d_neg - d_swap) <= 0.1) if config.get("swap") else False
        for x, y in ((anchor, positive), (anchor, negative), (positive, negative)):
            bad |= np.any(np.abs(x - y + eps) < 0.05, axis=1)
        if not bad.any():
            break
        negative[bad] = rng.normal(size=(int(bad.sum()), width))
        positive[bad] = rng.normal(size=(int(bad.sum()), width))
    arrays = _layout([anchor, positive, negative], batch_axis)
    return tuple(a.astype(dtype) for a in arrays), {}


@sampler("InfoNCELoss", "NTXentLoss")
def _pairs(rng, config, batch_axis, dtype, batch, width):
    """Pairs of embeddings: the second a noisy copy of the first."""
    first = rng.normal(size=(batch, width))
    second = first + rng.normal(scale=0.7, size=(batch, width))
    return tuple(a.astype(dtype) for a in _layout([first, second], batch_axis)), {}


@sampler("CosineEmbeddingLoss")
def _cosine(rng, config, batch_axis, dtype, batch, width):
    """Pairs labelled 1, -1, 1, ...; dissimilar pairs keep |cos - margin| > 0.05."""
    width = max(width, 2)
    margin = config["margin"]
    x, y = rng.normal(size=(batch, width)), rng.normal(size=(batch, width))
    label = np.where(np.arange(batch) % 2 == 0, 1, -1)
    for _ in range(1000):
        cos = np.sum(x * y, axis=1) / np.sqrt(np.sum(x * x, axis=1) * np.sum(y * y, axis=1))
        bad = (label == -1) & (np.abs(cos - margin) <= 0.05)
        if not bad.any():
            break
        y[bad] = rng.normal(size=(int(bad.sum()), width))
    x, y = _layout([x, y], batch_axis)
    return (x.astype(dtype), y.astype(dtype), label), {}


@sampler("MarginRankingLoss")
def _ranking(rng, config, batch_axis, dtype, batch, width):
    """Scores with label * (input1 - input2) kept 0.1 away from the margin."""
    margin = config["margin"]
    input2 = rng.normal(size=(batch, width))
    label = rng.choice([-1.0, 1.0], size=(batch, width))
    signed_gap = away_from(rng.normal(scale=1.5, size=(batch, width)), (margin,), 0.1)
    input1, input2, label = _layout([input2 + label * signed_gap, input2, label], batch_axis)
    return (input1.astype(dtype), input2.astype(dtype), label), {}


@sampler("ContrastiveLoss")
def _contrastive(rng, config, batch_axis, dtype, batch, width):
    """Pairs labelled 1, 0, 1, ...; distances > 0.1 and 0.1 away from the margin."""
    margin = config["margin"]
    input2 = rng.normal(size=(batch, width))
    direction = rng.normal(size=(batch, width))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    dist = np.maximum(away_from(rng.uniform(0.2, 2 * margin + 0.5, size=batch), (margin,), 0.1),
                      0.15)
    input1 = input2 + dist[:, None] * direction
    label = np.where(np.arange(batch) % 2 == 0, 1, 0)
    input1, input2 = _layout([input1, input2], batch_axis)
    return (input1.astype(dtype), input2.astype(dtype), label), {}


def test_every_registered_loss_has_a_sampler():
    assert set(registry.names()) <= set(SAMPLERS), sorted(set(registry.names()) - set(SAMPLERS))
