"""verbose=True: the estimators report their steps through the "hvrt" logger."""

from __future__ import annotations

import logging
import subprocess
import sys

import numpy as np
import pytest

from hvrt import HVRTPartitioner, PartitionedRegressor


@pytest.fixture
def data():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(600, 3))
    return X, X[:, 0] ** 2 + rng.normal(0, 0.1, 600)


def test_verbose_partitioner_logs_each_step_and_quiet_logs_nothing(data, caplog):
    X, _ = data
    with caplog.at_level(logging.INFO, logger="hvrt"):
        HVRTPartitioner(12, engine="exact").fit(X)
        assert caplog.records == []
        HVRTPartitioner(12, engine="exact", verbose=True).fit(X)
    messages = [record.getMessage() for record in caplog.records]
    assert messages[0].startswith("HVRTPartitioner: preprocessing 600 rows x 3 columns")
    assert any("growing 12 leaves with the exact engine" in m for m in messages)
    assert messages[-1].startswith("HVRTPartitioner: fitted: 12 partitions")


def test_verbose_regressor_logs_its_steps_and_its_partitioners(data, caplog):
    X, y = data
    with caplog.at_level(logging.INFO, logger="hvrt"):
        model = PartitionedRegressor(HVRTPartitioner(8, engine="exact", min_samples_leaf=20), verbose=True).fit(X, y)
    messages = [record.getMessage() for record in caplog.records]
    assert any(m.startswith("PartitionedRegressor: cross-validating the shrinkage") for m in messages)
    assert any(m.startswith("HVRTPartitioner: growing") for m in messages)
    assert messages[-1].startswith(f"PartitionedRegressor: fitted: {model.n_partitions_} partition models")


def test_without_logging_configured_verbose_writes_to_stderr():
    code = (
        "import numpy as np; from hvrt import HVRTPartitioner;"
        "HVRTPartitioner(4, engine='exact', verbose=True).fit(np.arange(40.0).reshape(20, 2))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout == ""
    assert "[hvrt] HVRTPartitioner: fitted: 4 partitions" in result.stderr
