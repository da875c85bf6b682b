"""Write the model files of this folder with the hvrt of commit fe13466 (how they were made).

That hvrt keyed an int category through float64 (``2**60 + 1`` was ``"1152921504606846976"``);
later ones key it by its digits, and re-key such models when they load them
(``tests/test_old_model_keys.py``). Made with::

    git archive fe13466 | tar -x -C /tmp/base
    PYTHONPATH=/tmp/base/src python tests/data/fe13466_int_keys/make.py

which writes ``data.json`` (the rows, and each model's labels or predictions on them at save
time) and one ``.hvrt`` file per encoding (and ``twin.hvrt``, see :data:`TWIN`). Not a test: pytest collects only ``test_*.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

import hvrt
from hvrt import HVRTPartitioner, PartitionedRegressor

HERE = Path(__file__).parent
CATEGORICAL = ["id", "u", "obj"]
# IDs small and beyond 2**53 (rounded by float64; 2**63 - 1 even to a float's repr), the
# most frequent a rounded one (so the imputer's mode is one too)
ID_POOL = [3, 17, 2**60 + 1, 2**60 + 1001, 2**62 + 9001, -(2**62) - 70001, 2**63 - 1]
ID_WEIGHTS = [0.1, 0.1, 0.3, 0.15, 0.15, 0.1, 0.1]
U_POOL = [7, 2**63 + 1001, 2**64 - 1, 2**63 + 2**20 + 5]  # uint64 beyond int64
OBJ_POOL = ["x", "y", 5, 2**60 + 7, 2**61 + 3]  # text and ints in one object column
# "twin.hvrt": the object column's "x" made the text of 2**60 + 7's digits, which that hvrt
# kept apart from the int (keyed "1152921504606846976") and later ones key alike
TWIN = str(2**60 + 7)


def twin_rows(X: pd.DataFrame) -> pd.DataFrame:
    """The rows of "twin.hvrt": ``X`` with the object column's ``"x"`` made :data:`TWIN`."""
    return X.assign(
        obj=pd.Series(
            [TWIN if v == "x" else v for v in X["obj"]], dtype=object, index=X.index
        )
    )


def rows() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(16)
    n = 240
    ids = [ID_POOL[i] for i in rng.choice(len(ID_POOL), size=n, p=ID_WEIGHTS)]
    for i in rng.choice(n, size=12, replace=False):
        ids[i] = None
    u = [U_POOL[i] for i in rng.integers(0, len(U_POOL), n)]
    obj = [OBJ_POOL[i] for i in rng.integers(0, len(OBJ_POOL), n)]
    X = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "id": pd.array(ids, dtype="Int64"),
            "u": np.array(u, dtype=np.uint64),
            "obj": pd.Series(obj, dtype=object),
        }
    )
    effect = {
        v: e
        for v, e in zip([*ID_POOL, *U_POOL, *OBJ_POOL], rng.normal(scale=3.0, size=16))
    }
    y = (
        np.array([effect[v] if v is not None else 0.0 for v in ids])
        + np.array([effect[v] for v in u])
        + np.array([effect[v] for v in obj])
        + 0.3 * rng.normal(size=n)
    )
    return X, y


def main() -> None:
    X, y = rows()
    models = {
        "native": HVRTPartitioner(
            max_leaf_nodes=8,
            engine="hist",
            category_encoding="native",
            categorical_features=CATEGORICAL,
            y_weight=0.9,
            random_state=0,
        ),
        "ohe": HVRTPartitioner(
            max_leaf_nodes=8,
            engine="exact",
            category_encoding="ohe",
            categorical_features=CATEGORICAL,
            y_weight=0.9,
            random_state=0,
        ),
        "target": HVRTPartitioner(
            max_leaf_nodes=8,
            engine="exact",
            category_encoding="target",
            categorical_features=CATEGORICAL,
            y_weight=0.9,
            random_state=0,
        ),
        "regressor": PartitionedRegressor(
            HVRTPartitioner(
                max_leaf_nodes=6,
                category_encoding="ohe",
                categorical_features=CATEGORICAL,
                random_state=0,
            )
        ),
    }
    models["twin"] = HVRTPartitioner(
        max_leaf_nodes=8,
        engine="exact",
        category_encoding="ohe",
        categorical_features=CATEGORICAL,
        y_weight=0.9,
        random_state=0,
    )
    saved: dict[str, list] = {}
    for name, model in models.items():
        rows_of = twin_rows(X) if name == "twin" else X
        model.fit(rows_of, y)
        hvrt.save(model, HERE / f"{name}.hvrt")
        saved[name] = model.predict(rows_of).tolist()
    data = {
        "made_by": "hvrt at commit fe13466, tests/data/fe13466_int_keys/make.py",
        "X": {
            "a": X["a"].tolist(),
            "id": [None if pd.isna(v) else int(v) for v in X["id"]],
            "u": [int(v) for v in X["u"]],
            "obj": list(X["obj"]),
        },
        "at_save": saved,
    }
    (HERE / "data.json").write_text(
        json.dumps(data, indent=None) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
