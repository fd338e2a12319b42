"""lossbook: loss functions and their analytic gradients in numpy, with Gluon's API.

Every loss returns one value per sample and has ``grad`` and ``value_and_grad``; see
:class:`lossbook.Loss`. The import order below is the registry's order: regression,
classification, information, sequence, embedding.

>>> import lossbook as lb
>>> lb.L2Loss()([1.0, 1.0], [2.0, 2.0])
array([0.5, 0.5])
"""
from ._base import Loss
from ._base import set_num_threads, get_num_threads
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
from .classification import SoftmaxCrossEntropyLoss
from .classification import SoftmaxCELoss
from .classification import NLLLoss
from .classification import NotLogProbabilitiesWarning
from .classification import MulticlassHingeLoss
from .information import KLDivLoss
from .information import entropy
from .information import cross_entropy
from .information import kl_divergence
from .information import js_divergence
from .information import mutual_information
from .sequence import CTCLoss
from .embedding import TripletLoss
from .embedding import CosineEmbeddingLoss
from .embedding import MarginRankingLoss
from .embedding import ContrastiveLoss
from . import gradcheck
from . import registry
from . import sequence

__all__ = [
    "Loss",
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
    "SoftmaxCrossEntropyLoss",
    "SoftmaxCELoss",
    "NLLLoss",
    "NotLogProbabilitiesWarning",
    "MulticlassHingeLoss",
    "KLDivLoss",
    "entropy",
    "cross_entropy",
    "kl_divergence",
    "js_divergence",
    "mutual_information",
    "CTCLoss",
    "TripletLoss",
    "CosineEmbeddingLoss",
    "MarginRankingLoss",
    "ContrastiveLoss",
    "gradcheck",
    "registry",
    "sequence",
]
