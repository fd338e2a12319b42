"""lossbook: loss functions and their analytic gradients in numpy, with Gluon's API.

Every loss returns one value per sample and has ``grad`` and ``value_and_grad``, and the
elementwise losses and the softmax cross-entropy ``hess_diag``, the Hessian's diagonal;
see :class:`lossbook.Loss`. The package is laid out by kind of code:

* the losses, one module per family, and their maths: :mod:`lossbook.regression`,
  :mod:`lossbook.classification` (binary), :mod:`lossbook.segmentation` (Dice, Tversky),
  :mod:`lossbook.multiclass`, :mod:`lossbook.information`, :mod:`lossbook.sequence`,
  :mod:`lossbook.embedding`, :mod:`lossbook.contrastive` (InfoNCE, NT-Xent), with the
  stable primitives in ``lossbook._math``;
* the base class (:mod:`lossbook.base`): the call, weighting, reduction and ``out_grad``;
* the engine (:mod:`lossbook.engine`): the same steps in blocks and threads;
* the checks (:mod:`lossbook.checks`): every argument's validation;
* the registry (:mod:`lossbook.registry`): one record per loss; and
  :mod:`lossbook.gradcheck`, central differences;
* :mod:`lossbook.calibration`: reliability curves, calibration errors, the Brier
  decomposition and temperature scaling, for the predictions of a classifier;
* the book's helpers, which the losses never import: :mod:`lossbook.book`.

The import order below is the registry's order: regression, classification,
information, sequence, embedding.

>>> import lossbook as lb
>>> lb.L2Loss()([1.0, 1.0], [2.0, 2.0])
array([0.5, 0.5])
"""
from .base import Loss
from .base import ElementwiseLoss
from .base import Hyperparameter
from .engine import set_num_threads, get_num_threads
from .regression import L2Loss
from .regression import L1Loss
from .regression import HuberLoss
from .regression import PoissonNLLLoss
from .regression import LogCoshLoss
from .regression import QuantileLoss
from .regression import GaussianNLLLoss
from .classification import SigmoidBinaryCrossEntropyLoss
from .classification import SigmoidBCELoss
from .classification import LogisticLoss
from .classification import HingeLoss
from .classification import SquaredHingeLoss
from .classification import SigmoidFocalLoss
from .segmentation import DiceLoss
from .segmentation import TverskyLoss
from .multiclass import SoftmaxCrossEntropyLoss
from .multiclass import SoftmaxCELoss
from .multiclass import NLLLoss
from .multiclass import NotLogProbabilitiesWarning
from .multiclass import MulticlassHingeLoss
from .multiclass import BrierLoss
from .information import KLDivLoss
from .information import DistillationLoss
from .information import GaussianKLLoss
from .information import entropy
from .information import cross_entropy
from .information import kl_divergence
from .information import js_divergence
from .information import mutual_information
from .sequence import CTCLoss
from .embedding import TripletLoss
from .embedding import TripletMarginLoss
from .embedding import CosineEmbeddingLoss
from .embedding import MarginRankingLoss
from .embedding import ContrastiveLoss
from .contrastive import InfoNCELoss
from .contrastive import NTXentLoss
from . import calibration
from . import checks
from . import gradcheck
from . import registry
from . import sequence

__all__ = [
    "Loss",
    "ElementwiseLoss",
    "Hyperparameter",
    "set_num_threads",
    "get_num_threads",
    "L2Loss",
    "L1Loss",
    "HuberLoss",
    "PoissonNLLLoss",
    "LogCoshLoss",
    "QuantileLoss",
    "GaussianNLLLoss",
    "SigmoidBinaryCrossEntropyLoss",
    "SigmoidBCELoss",
    "LogisticLoss",
    "HingeLoss",
    "SquaredHingeLoss",
    "SigmoidFocalLoss",
    "DiceLoss",
    "TverskyLoss",
    "SoftmaxCrossEntropyLoss",
    "SoftmaxCELoss",
    "NLLLoss",
    "NotLogProbabilitiesWarning",
    "MulticlassHingeLoss",
    "BrierLoss",
    "KLDivLoss",
    "DistillationLoss",
    "GaussianKLLoss",
    "entropy",
    "cross_entropy",
    "kl_divergence",
    "js_divergence",
    "mutual_information",
    "CTCLoss",
    "TripletLoss",
    "TripletMarginLoss",
    "CosineEmbeddingLoss",
    "MarginRankingLoss",
    "ContrastiveLoss",
    "InfoNCELoss",
    "NTXentLoss",
    "calibration",
    "checks",
    "gradcheck",
    "registry",
    "sequence",
]
