"""The demo job's printed rules: each is a pandas query that selects the rows counted beside it."""

from __future__ import annotations

import re

import pytest

from hvrt import demo
from hvrt.datasets import make_demo_data

ROWS = 20_000


@pytest.fixture(scope="module")
def printed() -> list[str]:
    lines: list[str] = []
    steps = [demo.describe_data, demo.partition, demo.largest_rules]  # the local models are not needed here
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(demo, "STEPS", steps)
        demo.run("unused", n_samples=ROWS, echo=lines.append)
    return lines


def test_every_printed_rule_selects_the_rows_counted_beside_it(printed) -> None:
    X, _ = make_demo_data(n_samples=ROWS, random_state=0)
    heading = next(i for i, line in enumerate(printed) if line.startswith("The three largest partitions"))
    assert "pandas queries" in printed[heading]
    pairs = printed[heading + 1 : heading + 7]
    counts = [re.match(r"\s+\d+\s+n=([\d,]+)\s", line) for line in pairs[0::2]]
    assert all(counts), pairs
    for count, rule in zip(counts, pairs[1::2]):
        assert len(X.query(rule.strip())) == int(count.group(1).replace(",", "")), rule


def test_the_explained_share_is_labelled_in_sample(printed) -> None:
    line = next(line for line in printed if "explained by the partition means" in line)
    assert "in-sample" in line
