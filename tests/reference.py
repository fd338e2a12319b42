"""The one loader of the stored reference data in tests/data (written by tests/data/store.py).

``load("kldiv_reference")`` reads ``tests/data/kldiv_reference.npz`` and returns a
:class:`Reference`:
``ref.cases`` maps each case to its fields (``ref.cases["logits"]["pred"]``), keys in the
file being ``"<case>/<field>"``; ``ref.torch_version`` is the PyTorch that made it. A case
whose metadata is kept as JSON beside the file (``<name>.json``, a list of cases with a
``"name"``) has it in ``ref.meta[case]``. Expected values come from PyTorch, never
from lossbook: the scripts tests/data/make_*_reference.py regenerate the files with torch.
"""
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

DATA = Path(__file__).parent / "data"


@dataclass
class Reference:
    cases: dict
    torch_version: str
    meta: dict = field(default_factory=dict)


def load(name):
    """The reference data ``tests/data/<name>.npz`` (see the module's docstring)."""
    cases = {}
    with np.load(DATA / f"{name}.npz") as data:
        version = str(data["torch_version"]) if "torch_version" in data.files else ""
        for key in data.files:
            if key == "torch_version":
                continue
            case, _, name_of_field = key.partition("/")
            assert name_of_field, f"{name}: key {key!r} is not <case>/<field>"
            cases.setdefault(case, {})[name_of_field] = data[key]
    meta_path = DATA / f"{name}.json"
    meta = {}
    if meta_path.exists():
        document = json.loads(meta_path.read_text())
        meta = {case["name"]: case for case in document["cases"]}
        version = version or document.get("generator", "")
    return Reference(cases, version, meta)
