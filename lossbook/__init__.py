"""lossbook: loss functions and their analytic gradients in numpy, Gluon's API.

>>> import lossbook as lb
>>> lb.L2Loss()([1.0, 1.0], [2.0, 2.0])
array([0.5, 0.5])
"""
from ._base import Loss
from .classification import HingeLoss
from .classification import LogisticLoss
from .classification import MulticlassHingeLoss
from .classification import NLLLoss
from .classification import NotLogProbabilitiesWarning
from .classification import SigmoidBCELoss
from .classification import SigmoidBinaryCrossEntropyLoss
from .classification import SigmoidFocalLoss
from .classification import SoftmaxCELoss
from .classification import SoftmaxCrossEntropyLoss
from .classification import SquaredHingeLoss
from .regression import HuberLoss
from .regression import L1Loss
from .regression import L2Loss
from .regression import PoissonNLLLoss
from .regression import LogCoshLoss
from .regression import QuantileLoss
from .regression import GaussianNLLLoss
from .embedding import TripletLoss
from .embedding import CosineEmbeddingLoss
from .embedding import MarginRankingLoss
from .embedding import ContrastiveLoss
from . import gradcheck
from . import registry

__all__ = [
    "Loss",
    "L1Loss",
    "L2Loss",
    "HuberLoss",
    "PoissonNLLLoss",
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
    "LogCoshLoss",
    "QuantileLoss",
    "GaussianNLLLoss",
    "TripletLoss",
    "CosineEmbeddingLoss",
    "MarginRankingLoss",
    "ContrastiveLoss",
    "gradcheck",
    "registry",
]
