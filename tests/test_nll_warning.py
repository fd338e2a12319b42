"""NLLLoss's NotLogProbabilitiesWarning looks only at the positions it reads."""
import warnings

import numpy as np
import pytest

import lossbook as lb


def padded_batch():
    # two sequences of three positions, four classes; uniform log-probabilities (-log 4)
    # except the padding at position 2, which holds zeros (exp sums to 4, not 1)
    log_probs = np.log(np.full((2, 3, 4), 0.25))
    log_probs[:, 2] = 0.0
    label = np.array([[1, 2, -100], [0, 1, -100]])
    return log_probs, label


def test_ignored_padding_does_not_warn():
    log_probs, label = padded_batch()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = lb.NLLLoss(ignore_index=-100)(log_probs, label)
    # per position -log(1/4) = log 4 on the two real positions, 0 on the padding; mean of 3
    np.testing.assert_allclose(out, [2 * np.log(4) / 3] * 2)


def test_a_bad_row_that_is_read_still_warns():
    log_probs, label = padded_batch()
    label[1, 2] = 3                                    # the zero row is now a real position
    with pytest.warns(lb.NotLogProbabilitiesWarning, match="log_softmax"):
        lb.NLLLoss(ignore_index=-100)(log_probs, label)
    with pytest.warns(lb.NotLogProbabilitiesWarning):  # without ignore_index: every row is read
        lb.NLLLoss()(log_probs, np.where(label < 0, 0, label))
