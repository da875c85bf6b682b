"""Reading a CSV in a test as exactly as hvrt reads it, on pandas 2 and 3."""

from __future__ import annotations

from typing import Any

import pandas as pd

# pandas 3 parses a CSV's floats correctly rounded; pandas 2's default parser is an ulp off in
# about a quarter of them (its round_trip parser is exact, and deprecated in pandas 3). hvrt
# reads CSVs with the exact one (cli._csv_floats); a test that reads back what hvrt wrote
# does too, so it compares the numbers written, not pandas 2's parser.
EXACT_FLOATS: dict[str, str] = {} if int(pd.__version__.split(".", 1)[0]) >= 3 else {"float_precision": "round_trip"}


def read_csv_exact(path: Any, **options: Any) -> pd.DataFrame:
    """``pd.read_csv(path, **options)``, its floats as written whatever the pandas version."""
    return pd.read_csv(path, **EXACT_FLOATS, **options)
