"""How every reference file of tests/data is written: one key convention for all of them.

``save(path, cases, torch_version)`` stores ``cases`` (``{case: {field: array}}``) in one
``.npz`` whose keys are ``"<case>/<field>"``, plus ``"torch_version"``: the version of
the second framework that made the numbers (PyTorch's, or a string naming another, such
as ``"scikit-learn 1.9.1, scipy 1.17.1"``). tests/reference.py reads them back. The
make_*_reference.py scripts beside this file call it.
"""
import numpy as np


def save(path, cases, torch_version, compressed=True):
    arrays = {"torch_version": np.array(torch_version)}
    for case, fields in cases.items():
        for field, value in fields.items():
            arrays[f"{case}/{field}"] = np.asarray(value)
    (np.savez_compressed if compressed else np.savez)(path, **arrays)
    return arrays
