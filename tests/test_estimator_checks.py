"""scikit-learn's estimator checks, for every engine."""

from __future__ import annotations

from sklearn.utils.estimator_checks import parametrize_with_checks

from hvrt import HVRTPartitioner


# check_clustering would be an expected failure (a variance partitioner is not a blob
# clusterer), but it passes with the default "auto" leaves, so nothing is marked.
@parametrize_with_checks([HVRTPartitioner(engine="exact"), HVRTPartitioner(engine="hist")])
def test_sklearn_compatible(estimator, check) -> None:
    check(estimator)
