"""The ``hvrt`` command line (also ``python -m hvrt``).

Commands: ``partition``, ``label``, ``regress``, ``predict``, ``rules``, ``profile`` and ``demo``. The
module imports click and the standard library only; numpy, pandas, scikit-learn, numba and
pyarrow load inside the command that needs them, so ``hvrt --help`` stays quick.

Conventions every command keeps:

- **Results and summaries go to stdout; progress goes to stderr**, and only when stderr is a
  terminal; ``--quiet`` silences everything but errors.
- **Bad input is one line on stderr and exit code 2**, never a traceback: a missing file,
  an unknown format or column, a non-numeric ``--y``, ``-k`` below 2, a model that does not
  match the input or is of the wrong kind, a file that is not an hvrt model. A ``-k`` above
  what the rows can fill is a warning (the library takes it as a bound, as scikit-learn does).
- **No partial output**: every file is written to a temporary file in its target folder and
  renamed when complete (:class:`hvrt._atomic.atomic_path`); a profile report is computed
  whole before its first file is written, and never removes a file it did not write.
- **An output never replaces the input by accident**: OUTPUT naming INPUT is refused unless
  ``--overwrite-input`` is given (as ``cp`` refuses a file onto itself), and a ``--model`` naming
  the input or output table is always refused.
- ``label`` and ``predict`` read and write in chunks (Parquet record batches, CSV chunks), so
  memory is bounded by ``--chunk-rows``, not by the file.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, closing, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from ._version import __version__

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

PARTITION_COLUMN = "partition"
PREDICTION_COLUMN = "prediction"
DEFAULT_CHUNK_ROWS = 100_000
FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
MODEL_KINDS = {
    "HVRTPartitioner": "a partitioner (saved by `hvrt partition --model`)",
    "PartitionedRegressor": "a regressor (saved by `hvrt regress --model`)",
}


class BadInput(click.ClickException):
    """Input the command cannot use: reported in one line, exit code 2."""

    exit_code = 2


def _one_line(error: BaseException) -> str:
    text = error.format_message() if isinstance(error, click.ClickException) else str(error)
    if isinstance(error, KeyError) and error.args:
        text = str(error.args[0])
    return " ".join(text.split()) or type(error).__name__


class _HvrtGroup(click.Group):
    """A click group whose errors are one line on stderr (exit 2 for bad input), never a traceback."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None, **extra: Any) -> NoReturn:  # type: ignore[override]
        extra.pop("standalone_mode", None)
        _State.quiet = False
        _State.warned = set()
        code = 0
        try:
            with warnings.catch_warnings():
                warnings.showwarning = _show_warning
                try:
                    # always "hvrt" (`python -m hvrt`, click's test runner): the name the help hints give
                    result = super().main(args=args, prog_name="hvrt", standalone_mode=False, **extra)
                    code = result if isinstance(result, int) else 0
                except click.exceptions.NoArgsIsHelpError as bare:  # plain `hvrt`: the help, as --help
                    click.echo(bare.ctx.get_help())
                except click.exceptions.Exit as done:
                    code = done.exit_code
                except (click.exceptions.Abort, KeyboardInterrupt):
                    click.echo("hvrt: interrupted", err=True)
                    code = 130
                except click.ClickException as error:
                    click.echo(f"hvrt: error: {_one_line(error)}{_help_hint(error)}", err=True)
                    code = error.exit_code
                except (OSError, ValueError, TypeError) as error:
                    # hvrt's own checks raise ValueError, TypeError, FileNotFoundError and
                    # IsADirectoryError with a message naming the column, parameter or file: bad
                    # input, 2; an OSError with an errno is the system refusing a read or a write
                    # (a folder without permission, a full disk): 1. HVRT_TRACEBACK=1 shows where
                    # one came from.
                    if os.environ.get("HVRT_TRACEBACK"):
                        raise
                    if isinstance(error, OSError) and error.errno is not None:
                        click.echo(f"hvrt: error: {_system_error(error)}", err=True)
                        code = 1
                    else:
                        click.echo(f"hvrt: error: {_for_the_command_line(_one_line(error))}", err=True)
                        code = 2
                except ImportError as error:  # a missing extra: the message names it
                    click.echo(f"hvrt: error: {_one_line(error)}", err=True)
                    code = 1
        finally:  # also when an error escapes (HVRT_TRACEBACK=1): later logs keep their own clock
            if "hvrt._progress" in sys.modules:
                sys.modules["hvrt._progress"].share_start(None)
        sys.exit(code)


def _help_hint(error: click.ClickException) -> str:
    """`` Try 'hvrt partition -h' for help.`` after a usage error (an unknown option or command, a
    missing argument, a value out of range), as click itself ends one; on the error's line, which
    stays the one line of C7 and C16-C18. hvrt's own bad input (BadInput) names the file or
    column and what to do instead, so it gets none."""
    ctx = error.ctx if isinstance(error, click.UsageError) else None
    if ctx is None or ctx.command.get_help_option(ctx) is None:
        return ""
    return f" Try '{ctx.command_path} {ctx.help_option_names[0]}' for help."


def _system_error(error: OSError) -> str:
    """An error of the operating system in one line naming the file: the file the user named, not
    the temporary file beside it that :class:`hvrt._atomic.atomic_path` writes first."""
    import re

    text = error.strerror or type(error).__name__
    if error.filename is None:
        return text
    path = Path(os.fsdecode(error.filename))
    written = re.fullmatch(r"\.(.+)\.[0-9a-f]{8}\.(?:part|partial)", path.name)
    if written:
        return f"cannot write {str(path.with_name(written[1]))!r}: {text}"
    return f"{text}: {str(path)!r}"


def _show_warning(message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
    text = _for_the_command_line(" ".join(str(message).split()))
    if not _State.quiet and text not in _State.warned:  # (a fit that grows several trees warns once)
        _State.warned.add(text)
        click.echo(f"hvrt: warning: {text}", err=True)


class _State:
    """Whether this run is quiet (set by each command's --quiet), and the warnings it has shown."""

    quiet = False
    warned: set[str] = set()


# The library's messages advise a Python user: code to run on the frame, parameters to pass.
# The command line shows them (errors, C23, and warnings) with that advice in its own terms:
# the file to change, or the option to give. Each entry is the advice as the library words it
# (a pattern over the message; its row in docs/errors.md) and what the command line says
# instead. tests/test_cli.py runs every message the command line can reach and checks that
# none gives Python advice, so an entry that no longer matches its message is found.
_COMMAND_LINE_ADVICE: tuple[tuple[str, str, str], ...] = (
    # X20: a date beyond the nanosecond range (a 9999-12-31 sentinel)
    (
        r"replace them with NaT, a missing value \(\w+\[.*?\]\.where\(.*?\)\); (a sentinel such as 9999-12-31 "
        r"mostly means no date)\), or make the column text to split it as categories",
        r"make them missing in the file (an empty field of a CSV, a null of Parquet; \1)",
        "X20",
    ),
    # X22: a column of numbers holding a stray text value (a warning)
    (
        r"replace those values with NaN to split it as ordered numbers \(pd\.to_numeric\(.*?\)\), or list it in "
        r"categorical_features to keep it categorical without this warning",
        (
            "empty those fields in the file (a missing value) to split it as ordered numbers, or give it to "
            "--categorical-features to keep it categorical without this warning"
        ),
        "X22",
    ),
    # X18: a categorical column of lists or dicts (a Parquet list column)
    (
        r"expand lists and dicts into columns, or make them text with X\[column\]\.astype\(str\)",
        "expand them into columns of the file, or leave the column out with --columns",
        "X18",
    ),
    # L9: a date column whose time zone changed since fit (a CSV's UTC offsets dropped or added)
    (
        r"make the column naive again \(Series\.dt\.tz_convert\(zone\)\.dt\.tz_localize\(None\)\) or give it "
        r"the zone it had at fit",
        "write its times as they were at fit: with a UTC offset (such as +01:00) if they had one, else without",
        "L9",
    ),
    # X14: only text columns, and no y
    (
        r"pass a numeric y or list fewer columns in categorical_features",
        "give a numeric column of the file as --y, or as a feature",
        "X14",
    ),
    # M12, M13, M25: a --model file that is not a model file
    (
        r"write one with hvrt\.save",
        "save one with `hvrt partition --model` or `hvrt regress --model`",
        "M13",
    ),
    # X27: a 64-bit integer column beyond 2**53 (a warning): at fit (partition, regress) ...
    (
        r"[Ii]f they are IDs, list the column in categorical_features (\(ints are matched exactly as categories\)); "
        r"if only their differences matter (\(nanosecond counts, amounts in cents\)), subtract an offset first "
        r"\(\w+\[.*?\] - \w+\[.*?\]\.min\(\), and the same offset from the rows to label\)",
        (
            r"If they are IDs, give the column to --categorical-features \1; if only their differences matter \2, "
            "subtract an offset from the column in the file first (and the same offset from the files to label)"
        ),
        "X27",
    ),
    # ... at labelling (label, predict, and regress's predictions of its own rows) ...
    (
        r"[Ii]f they are IDs, fit with the column in categorical_features (\(ints are matched exactly as categories\)); "
        r"if only their differences matter, subtract one offset from the column both in the data the model is "
        r"fitted on and in the rows it labels \(\w+\[.*?\] - offset\)",
        (
            r"If they are IDs, fit the model with the column in --categorical-features \1; if only their differences "
            "matter, subtract one offset from the column both in the file the model is fitted on and in the files it labels"
        ),
        "X27",
    ),
    # ... and in the analysis tools (profile), which take no categorical features
    (
        r"[Ii]f they are IDs, they measure nothing: leave the column out or make it a category \(.*?, which the "
        r"analysis tools skip\); if only their differences matter (\(nanosecond counts, amounts in cents\)), subtract "
        r"an offset first \(\w+\[.*?\] - \w+\[.*?\]\.min\(\)\)",
        (
            r"If they are IDs, they measure nothing: leave the column out with --columns; if only their differences "
            r"matter \1, subtract an offset from the column in the file first"
        ),
        "X27",
    ),
    # X26: a categorical column of whole floats beyond 2**53 (a Parquet float column of IDs; a warning)
    (
        r"keep them as integers \(\w+\[.*?\]\.astype\('Int64'\)\) or as text",
        "store them in the file as integers (a Parquet int64 column, which holds nulls too) or as text",
        "X26",
    ),
    # X29 / Y11: a feature (or the blended --y) that varies only within a few ulps of its mean
    (
        r"subtract the offset \(e\.g\. \w+\[.*?\] - ([^,)]+), and the same from the rows to label\) to keep them",
        r"subtract the offset from the column in the file (e.g. \1), and from the files to label, to keep them",
        "X29",
    ),
    (
        r"subtract the offset \(y(?:\[.*?\])? - ([^)]+)\) to keep them",
        r"subtract the offset from the --y column in the file (\1) to keep them",
        "Y11",
    ),
    # R22: a feature (or --y) that varies only within a few ulps of its mean (a warning)
    (
        r"subtract the offset \(e\.g\. \w+\[.*?\] - ([^)]+)\) to keep them",
        r"subtract the offset from the column in the file (e.g. \1) to keep them",
        "R22",
    ),
    (
        r"partitions grown on y \(partition_on='y', or 'auto''s y candidate\) ignore it; subtract the offset "
        r"\(y - ([^)]+)\) to keep it",
        r"partitions grown on it ignore it; subtract the offset from the --y column in the file (\1) to keep it",
        "R22",
    ),
    # R14: categoricals target encoded beyond the one-hot cap (a warning)
    (
        r"Pass a partitioner with category_encoding='target' to do so without this warning, or 'ohe' to keep one-hot",
        "Pass --category-encoding target to do so without this warning, or --category-encoding ohe to keep one-hot",
        "R14",
    ),
)
# Estimator parameters the commands take as options, with the values the option takes:
# `category_encoding='target'` is `--category-encoding target` (`engine='python'`, pandas'
# query engine, is not `--engine`), and `(max_leaf_nodes)` is `(-k)`.
_PARAMETER_OPTIONS = {
    "category_encoding": ("--category-encoding", ("auto", "native", "ohe", "target")),
    "engine": ("--engine", ("auto", "exact", "hist")),
}
_PARAMETER_NAMES = {"max_leaf_nodes": "-k"}


def _for_the_command_line(message: str) -> str:
    """A library message with its Python advice in the command line's terms (see above)."""
    import re

    for pattern, advice, _ in _COMMAND_LINE_ADVICE:
        message = re.sub(pattern, advice, message)
    for name, (option, values) in _PARAMETER_OPTIONS.items():
        value = "|".join(values)
        # "category_encoding='ohe' or 'target'": each alternative value becomes the option too
        message = re.sub(
            rf"\b{name}='({value})'((?: or '(?:{value})')*)",
            lambda found, option=option: " or ".join(
                f"{option} {choice}" for choice in re.findall("'([^']*)'", found[0])
            ),
            message,
        )
    for name, option in _PARAMETER_NAMES.items():
        message = message.replace(f"({name})", f"({option})")
    return message


# --------------------------------------------------------------------------- progress


class Progress:
    """Progress on stderr: step lines and chunk bars, on only for a terminal and without ``--quiet``.

    Parameters
    ----------
    quiet : bool
        ``--quiet``: show nothing but errors.
    """

    def __init__(self, quiet: bool) -> None:
        _State.quiet = quiet
        self.enabled = not quiet and sys.stderr.isatty()
        from ._progress import StepLog, share_start

        self._log = StepLog(self.enabled, "")  # "[hvrt] reading ...": the handler names hvrt once
        share_start(self._log.start)  # the estimators' step lines count from the command's start too

    def step(self, message: str) -> None:
        """One line on stderr (with the seconds since the command began)."""
        self._log(message)

    def bar(self, total: int | None, description: str) -> Any:
        """A tqdm bar over rows on stderr (a silent one when progress is off)."""
        from tqdm import tqdm

        return tqdm(total=total, desc=description, unit="rows", unit_scale=True, file=sys.stderr, disable=not self.enabled, leave=False)


def _quiet_option(function: Any) -> Any:
    return click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors (no progress, no summary).")(function)


def _overwrite_input_option(column: str) -> Any:
    return click.option(
        "--overwrite-input", is_flag=True,
        help=f"Allow OUTPUT to be INPUT: INPUT is replaced by its rows plus the {column!r} column (written "
             "to a temporary file first, so a failure leaves it as it was). Without it, that is refused.",
    )  # fmt: skip


CATEGORY_ENCODINGS = _PARAMETER_OPTIONS["category_encoding"][1]  # HVRTPartitioner's category_encoding


def _category_encoding_option(default_is: str) -> Any:
    return click.option(
        "--category-encoding", "category_encoding", type=click.Choice(CATEGORY_ENCODINGS), default="auto",
        show_default=True,
        help="How text (categorical) columns enter, as the partitioner's category_encoding: native (category "
             "splits; --engine hist only), ohe (one-hot), target (each category's mean target; fast for many "
             f"categories), or auto: {default_is}.",
    )  # fmt: skip


def _categorical_features_option(function: Any) -> Any:
    return click.option(
        "--categorical-features", "categorical_features", multiple=True, metavar="A,B,...",
        help="Feature columns of numbers to take as unordered categories (codes, ids; a CSV's read as text, as "
             "written), as the partitioner's categorical_features; comma-separated or repeated. Text and "
             "true/false columns are categories anyway.",
    )(function)  # fmt: skip


def _count(n: int, noun: str) -> str:
    """``1 row``, ``1,200 rows``: a summary read after a one-row input says it right too."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _say(quiet: bool, text: str) -> None:
    if not quiet:
        click.echo(text)


# --------------------------------------------------------------------------- files


def _format_of(path: Path, role: str) -> str:
    suffix = path.suffix.lower()
    inner = Path(path.stem).suffix.lower()
    if suffix in (".gz", ".bz2", ".xz", ".zip", ".zst") and inner in FORMATS:  # data.csv.gz
        done = "read: decompress it first" if role == "input" else f"write: write {path.stem!r} and compress it after"
        raise BadInput(f"{role} {str(path)!r} is compressed ({suffix}), which hvrt does not {done}")
    if suffix not in FORMATS:
        raise BadInput(f"unknown format of {role} {str(path)!r}: use a .csv or .parquet (.pq) file")
    return FORMATS[suffix]


def _input_path(path: str) -> tuple[Path, str]:
    source = Path(path)
    fmt = _format_of(source, "input")
    if source.is_dir():
        raise BadInput(f"input {path!r} is a folder; give a file (hvrt reads one CSV or Parquet file)")
    if not source.is_file():
        raise BadInput(f"input file {path!r} does not exist")
    return source, fmt


def _output_path(path: str) -> tuple[Path, str]:
    target = Path(path)
    fmt = _format_of(target, "output")
    if not target.parent.is_dir():
        raise BadInput(f"the folder of output {path!r} does not exist")
    if target.is_dir():
        raise BadInput(f"output {path!r} is a folder; give a file name")
    return target, fmt


def _pyarrow() -> Any:
    from ._compat import import_pyarrow

    return import_pyarrow()


@contextmanager
def _reading(path: Path, fmt: str) -> Iterator[None]:
    """A parser's own error (pandas, pyarrow) as one line that names the file."""
    try:
        yield
    except (ImportError, FileNotFoundError, BadInput):
        raise
    except UnicodeDecodeError as error:  # pandas' words name the codec and a place in its buffer, not the line
        if fmt != "csv":
            raise BadInput(f"cannot read {str(path)!r} as {fmt.upper()}: {_one_line(error)}") from None
        raise BadInput(
            f"cannot read {str(path)!r} as CSV: it is not UTF-8 text ({_first_non_utf8(path)}); hvrt reads UTF-8 "
            "files (with or without a byte-order mark): save it as UTF-8"
        ) from None
    except Exception as error:  # noqa: BLE001 (each parser error becomes one line naming the file)
        if fmt == "csv" and type(error).__name__ == "EmptyDataError" and not path.read_bytes().strip():
            # (pandas: "No columns to parse from file")
            raise BadInput(f"cannot read {str(path)!r} as CSV: the file is empty (not even a header)") from None
        raise BadInput(f"cannot read {str(path)!r} as {fmt.upper()}: {_one_line(error)}") from None


def _first_non_utf8(path: Path) -> str:
    """Where the file ``path`` first is not UTF-8: its line and byte (on the way to an error only)."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as file:
        for number, line in enumerate(file, start=1):  # the error path only
            try:
                decoder.decode(line)
            except UnicodeDecodeError as error:
                return f"line {number:,} holds the byte 0x{line[min(error.start, len(line) - 1)]:02x}"
    return "it ends inside a character"


def _check_csv_header(path: Path, fmt: str) -> list[str]:
    """Refuse a CSV header that names two columns alike; return pandas's names of its nameless columns.

    Blank names are not compared (``x,z,,``, as a spreadsheet exports empty columns):
    pandas names them ``Unnamed: 2`` and ``Unnamed: 3``, and :func:`_features` warns when
    one is used as a feature.

    pandas reads a second column ``a`` as ``a.1`` and a nameless one as ``Unnamed: 0``, so the
    output's header would differ from the input's without a word; a nameless first column is
    most often a saved row index (``DataFrame.to_csv`` writes one by default), which would then
    be partitioned on: :func:`_features` warns when one is a feature.
    """
    import pandas as pd

    with _reading(path, fmt):
        names = pd.read_csv(path, header=None, nrows=1, dtype=str, keep_default_na=False).iloc[0].tolist()
    separator = next((mark for mark in (";", "\t", "|") if mark in names[0]), None) if len(names) == 1 else None
    if separator is not None:  # "a;b;y": pandas reads one column, and every later error would be about it
        raise BadInput(
            f"{str(path)!r} has one column, named {names[0]!r}: it looks separated by {separator!r}, but hvrt reads "
            "comma-separated files only (no option takes another separator); save it comma-separated first (a "
            "spreadsheet's CSV export, comma-delimited)"
        )
    _check_no_implicit_index(path, fmt, len(names))
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        if not name.strip():  # trailing commas of a spreadsheet export: pandas names them apart
            continue
        if name in seen:
            raise BadInput(
                f"{str(path)!r} has two columns named {name!r} (columns {seen[name]} and {position}); "
                "give each column its own name"
            )
        seen[name] = position
    return [f"Unnamed: {position - 1}" for position, name in enumerate(names, start=1) if not name.strip()]


def _check_no_implicit_index(path: Path, fmt: str, n_names: int) -> None:
    """Refuse a CSV whose first data row has more fields than the header has names.

    pandas then reads the leading fields as the row index (``DataFrame.to_csv`` with its index
    and the index's header cell left out): they would be neither a feature nor copied to the output.
    """
    import pandas as pd

    with _reading(path, fmt):
        try:
            first = pd.read_csv(path, header=None, skiprows=1, nrows=1, dtype=str, keep_default_na=False)
        except pd.errors.EmptyDataError:  # a header alone
            return
    extra = first.shape[1] - n_names
    if extra > 0:
        more = "one field" if extra == 1 else f"{extra} fields"
        raise BadInput(
            f"{str(path)!r}: its rows have {more} more than its header ({first.shape[1]} fields, {n_names} names), "
            "so pandas would take the first field as a row index and hvrt would drop it; name every column in the "
            "header (a saved row index: put a name such as 'index' first in the header, and give --columns the other "
            "columns)"
        )


def _whole_number_columns(frame: pd.DataFrame) -> list[int]:
    """Positions of the float columns of ``frame`` whose values are whole numbers, some beyond 2**53.

    pandas reads a CSV column of integers with a gap as float64, which rounds
    9007199254740993 to 9007199254740992: ids would come out changed in the output (and be
    written ``9007199254740992.0``). Such columns are read again as text and made nullable
    integers (:func:`_exact_integers`).
    """
    import numpy as np

    found = []
    for position, column in enumerate(frame.columns):  # columns, not rows
        if frame[column].dtype == np.float64:
            values = frame[column].to_numpy()
            present = values[~np.isnan(values)]
            if len(present) and np.abs(present).max() >= 2.0**53 and (present == np.round(present)).all():
                found.append(position)
    return found


def _exact_integers(frame: pd.DataFrame, text: pd.DataFrame, positions: Sequence[int]) -> pd.DataFrame:
    """``frame`` with its columns at ``positions`` made ``Int64`` from ``text`` (the same rows and
    columns read as text, in file order); a column whose text is not all integers within int64
    (decimals, ``1e20``) keeps its floats."""
    import pandas as pd

    exact = {}
    for position, (_, values) in zip(sorted(positions), text.items()):
        try:
            try:  # Arrow's parser, fast; it takes no sign '+' nor spaces, which the CSV parser took
                integers = values.astype("Int64")
            except (ValueError, TypeError):
                integers = pd.Series(pd.array(values.to_numpy(object), dtype="Int64"), index=values.index)
        except (ValueError, TypeError, OverflowError):
            continue
        exact[frame.columns[position]] = integers.set_axis(frame.index)
    return frame.assign(**exact) if exact else frame


def _exact_whole_numbers(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """The whole file ``frame`` with its float columns of whole numbers beyond 2**53 read again
    from ``path`` as nullable integers (see :func:`_whole_number_columns`)."""
    import pandas as pd

    positions = _whole_number_columns(frame)
    if not positions:
        return frame
    text = pd.read_csv(path, usecols=positions, dtype=str, nrows=len(frame))
    return _exact_integers(frame, text, positions)


class _ExactChunks:
    """:func:`_exact_whole_numbers` for the chunks of one CSV file, read in order.

    The columns to read again are read by a second reader that keeps step with the chunks,
    so each row is parsed twice at most (the file is not read from its start for each
    chunk, which took rows²/chunk work). It starts at the first chunk that needs it (passing
    the rows before once), and again with more columns if a later chunk needs another one.
    """

    def __init__(self, path: Path, chunk_rows: int) -> None:
        self.path = path
        self.chunk_rows = chunk_rows
        self.positions: list[int] = []
        self.reader: Any = None

    def __call__(self, chunk: pd.DataFrame, rows_before: int) -> pd.DataFrame:
        import pandas as pd

        positions = _whole_number_columns(chunk)
        if set(positions) - set(self.positions):
            if self.reader is not None:
                self.reader.close()
            self.positions = sorted({*self.positions, *positions})
            self.reader = pd.read_csv(self.path, usecols=self.positions, dtype=str, iterator=True)
            for start in range(0, rows_before, self.chunk_rows):  # once per new column set
                self.reader.get_chunk(min(self.chunk_rows, rows_before - start))
        if self.reader is None:
            return chunk
        text = self.reader.get_chunk(len(chunk))  # the chunk's own rows, in step
        if not positions or len(text) != len(chunk):
            return chunk
        wanted = [self.positions.index(position) for position in positions]
        return _exact_integers(chunk, text.iloc[:, wanted], positions)

    def close(self) -> None:
        if self.reader is not None:
            self.reader.close()


def read_table(path: Path, fmt: str, text_columns: Sequence[str] = ()) -> pd.DataFrame:
    """The whole file as a DataFrame (CSV types inferred over every row, not per block; a text
    column of ISO 8601 dates or of durations, of a CSV or a Parquet file, is read as such, and
    one that is mostly such but for some values is refused: see :func:`_time_columns`).

    A CSV's ``text_columns`` (``--categorical-features``) are read as text, as written: codes
    keep their leading zeros (``02134``), and every later chunk reads them alike.
    """
    import pandas as pd

    with _reading(path, fmt):
        if fmt == "parquet":
            _pyarrow()
            frame = _read_parquet(path)
        else:
            if text_columns:  # (named as the options name them: see _named)
                text_columns = _named(list(pd.read_csv(path, nrows=0).columns), text_columns)
            frame = pd.read_csv(path, low_memory=False, dtype=dict.fromkeys(text_columns, str) or None, **_csv_floats())
    if len(frame) == 0:  # (scikit-learn would say "Found array with 0 sample(s)")
        raise BadInput(f"input {str(path)!r} has no rows")
    if fmt == "csv":
        _check_csv_header(path, fmt)
        frame = _exact_whole_numbers(frame, path)
    # a Parquet file's text columns too: the same dates are dates whichever format holds them
    times, doubtful = _time_columns(frame, path, skip=_named(list(frame.columns), text_columns))
    frame = frame.assign(**times) if times else frame
    frame.attrs[_DOUBTFUL_TIMES] = doubtful  # refused if a feature (see _features)
    return frame


# A duration as pandas writes it ("0 days 00:19:13.7", "-1 days +23:59:00") or in ISO 8601
# ("PT19M13.7S", "P2D"); a bare number is not one ("5" would be read as 5 nanoseconds).
_DURATION_TEXT = (
    r"-?\d+ days? [+-]?\d{1,2}:\d{2}:\d{2}(?:\.\d+)?"  # pandas
    r"|-?P(?=\d|T\d)(?:\d+(?:\.\d+)?[WD])*(?:T(?:\d+(?:\.\d+)?[HMS])+)?"  # ISO 8601
)


def _durations(values: pd.Series) -> pd.Series | None:
    """``values`` (text) as durations, or None unless every value is one (see ``_DURATION_TEXT``).

    A CSV has no types: a duration column written by pandas comes back as text, and would be a
    categorical of every distinct duration.
    """
    import pandas as pd

    present = values.dropna().astype(str)
    # one value first: most text columns fail it, without matching every row
    if present.empty or not present.iloc[:1].str.fullmatch(_DURATION_TEXT).all():
        return None
    if not present.str.fullmatch(_DURATION_TEXT).all():
        return None
    try:
        return pd.to_timedelta(values)
    except (ValueError, TypeError, OverflowError):
        return None


# a time of day followed by its UTC offset (or Z): "12:30+02:00", "12:30:00.5 -0500", "12:30Z"
_OFFSET_AT_END = r"\d{2}:\d{2}(?::\d{2}(?:\.\d*)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$"


def _iso_dates(values: pd.Series) -> pd.Series | None:
    """``values`` (text) as ISO 8601 dates, or None if some value is not one.

    A column whose every time carries a UTC offset, but not the same one (a log written in
    Europe/Paris crosses a daylight-saving change: +01:00 in winter, +02:00 in summer), is
    read as instants in UTC; pandas refuses to parse mixed offsets otherwise, and the column
    would become a categorical of every distinct time. Naive times mixed with offsets stay
    refused: no zone for the naive ones is right.
    """
    try:
        parsed = _parse_iso(values)
    except (ValueError, TypeError, OverflowError):  # mixed time zones
        present = values.dropna().astype(str)
        if present.empty or not present.str.contains(_OFFSET_AT_END).all():
            return None
        try:
            parsed = _parse_iso(values, utc=True)
        except (ValueError, TypeError, OverflowError):
            return None
    return parsed if parsed.notna().sum() == values.notna().sum() else None


def _pandas_3() -> bool:
    """Whether the installed pandas is 3 or later (hvrt reads files alike on 2 and 3: see the callers)."""
    import pandas as pd

    return int(pd.__version__.split(".", 1)[0]) >= 3


def _csv_floats() -> dict[str, str]:
    """``read_csv``'s options that read a CSV's floats as written.

    pandas 3 parses them correctly rounded; pandas 2's default parser is an ulp off in about a
    quarter of them, so a model fitted on a CSV differed from one fitted on the same frame in
    Python (predictions ~1e-14 apart), and a Parquet file converted to CSV did not read back
    equal. Its ``round_trip`` parser is exact (about 2.5x slower on float columns; the option is
    deprecated in pandas 3, so it is passed to pandas 2 only).
    """
    return {} if _pandas_3() else {"float_precision": "round_trip"}


# the Gregorian calendar repeats every 400 years, 146,097 days
_CYCLE_YEARS, _CYCLE_DAYS = 400, 146_097


def _to_datetime(values: pd.Series, utc: bool) -> pd.Series:
    """``values`` parsed as ISO 8601 (NaT where not one); times of several UTC offsets, ``utc``
    False, raise ValueError on pandas 2 as on 3 (pandas 2 returned objects, with a FutureWarning)."""
    import pandas as pd

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "In a future version of pandas, parsing datetimes with mixed", FutureWarning)
        parsed = pd.to_datetime(values, format="ISO8601", errors="coerce", utc=utc)
    if parsed.dtype == object:
        raise ValueError("mixed time zones")
    return parsed


def _parse_iso(values: pd.Series, utc: bool = False) -> pd.Series:
    """``pd.to_datetime(values, format="ISO8601", errors="coerce", utc=utc)`` as pandas 3 parses it.

    pandas 2 differs twice. It parses into nanoseconds only, so a date beyond them (a
    ``9999-12-31`` sentinel) became NaT and the whole column text, a categorical, without a
    word (pandas 3 parses it, and the partitioner names it, X20): such values are parsed
    again with their year moved into range by whole 400-year cycles, then moved back in
    microseconds, pandas' own ISO 8601 parser checking all else. And it returns objects,
    with a FutureWarning, for times of several UTC offsets, where pandas 3 raises (the caller
    then reads them as instants in UTC): this raises likewise.

    Raises
    ------
    ValueError
        For times of several UTC offsets, ``utc`` False.
    """
    import numpy as np
    import pandas as pd

    parsed = _to_datetime(values, utc)
    if _pandas_3():
        return parsed
    failed = np.flatnonzero((parsed.isna() & values.notna()).to_numpy())
    if not len(failed):
        return parsed
    text = values.iloc[failed].astype(str).str.strip()
    year = pd.to_numeric(text.str.extract(r"^(\d{4})", expand=False), errors="coerce").to_numpy()
    known = ~np.isnan(year)
    if not known.any():
        return parsed
    failed, text, year = failed[known], text[known], year[known].astype(np.int64)
    moved = 1800 + (year - 1800) % _CYCLE_YEARS  # 1800-2199: inside the nanoseconds' range, offsets too
    shifted = _to_datetime(pd.Series(moved.astype(str), index=text.index) + text.str[4:], utc)
    days = ((year - moved) // _CYCLE_YEARS * _CYCLE_DAYS).astype("timedelta64[D]").astype("timedelta64[us]")
    far = shifted.dt.as_unit("us") + pd.Series(days, index=shifted.index)  # (pandas 2's to_timedelta: [ns] only)
    if parsed.notna().any():
        out = parsed.dt.as_unit("us").copy()  # (a .dt result is a view without copy-on-write, pandas 2)
        if out.dtype != far.dtype:  # one UTC offset in range, another beyond: pandas 3 refuses the mix
            raise ValueError("mixed time zones")
    else:
        out = pd.Series(pd.NaT, index=values.index, dtype=far.dtype)
    out.iloc[failed] = far.array
    return out


# How an ISO 8601 calendar date begins ("2021-02-30", "2021-02-30T10:00"): the cheap test of a
# text column's first values before the whole column is parsed as dates.
_DATE_SHAPE = r"\s*[+-]?\d{4}-\d{2}"
_PROBE_VALUES = 20  # a text column's first values tried as dates or durations before the whole column


_DOUBTFUL_TIMES = "hvrt_cli_doubtful_times"  # DataFrame.attrs key: read_table's columns of mostly dates, refused as features


def _time_columns(
    frame: pd.DataFrame, path: Path, skip: Sequence[str] = ()
) -> tuple[dict[str, pd.Series], dict[str, str]]:
    """The text columns whose every value is an ISO 8601 date or time (see :func:`_iso_dates`)
    or a duration (see :func:`_durations`), parsed; the columns in ``skip`` (given to
    ``--categorical-features``) stay text. And the columns that are mostly such values but not
    all, each with the message that refuses it as a feature (C57).

    A CSV has no types: read as text, a date column would be a categorical of every distinct
    date, and the partitions would know nothing of its order. Read as dates, it is an ordered
    feature (as a date column of a DataFrame or a Parquet file is); durations likewise.

    A column of which most values are written as dates (or durations) but some are not one
    (``2021-02-30``, ``unknown``, naive times among times with a UTC offset) stays text, and
    ``partition`` and ``regress`` refuse it as a feature, naming the first such value and its
    data row (C57): taken as text, it became a categorical of every distinct date without a
    word, and every later date an unseen category, where labelling refuses the same value by
    its row (C38). Most is at least half of the values present each a valid date alone (see
    :func:`_share_of_times`); a column with fewer (notes that hold a date here and there, invoice
    numbers such as ``2023-00017``) stays text. (A column left out by ``--columns``, or profiled,
    which skips text, is no error.)
    """
    import pandas as pd

    found, doubtful = {}, {}
    skipped = set(skip)
    for column in frame.columns:
        values = frame[column]
        if column in skipped or pd.api.types.infer_dtype(values, skipna=True) != "string":
            continue
        head = values.dropna().iloc[:_PROBE_VALUES].astype(str)
        if head.str.match(_DATE_SHAPE).any():
            parse, kind = _iso_dates, "dates"
        elif head.str.fullmatch(_DURATION_TEXT).any():
            parse, kind = _durations, "durations"
        else:
            continue
        parsed = parse(values)
        if parsed is not None:
            found[str(column)] = parsed
            continue
        if _share_of_times(values, kind) >= 0.5:
            doubtful[str(column)] = _mostly_times(values, kind, str(column), path)
    return found, doubtful


def _share_of_times(values: pd.Series, kind: str) -> float:
    """The share of the values present (text) that are each a date (a duration) alone.

    A valid date counts, not the shape of one: invoice numbers such as ``2023-00017`` begin as
    dates do, and none is one, so such a column stays text.
    """
    present = values.dropna()
    if present.empty:
        return 0.0
    if kind == "durations":
        return float(present.astype(str).str.fullmatch(_DURATION_TEXT).mean())
    try:
        return float(_parse_iso(present, utc=True).notna().mean())  # (naive and offset times alike)
    except (ValueError, TypeError, OverflowError):
        return 0.0


def _mostly_times(values: pd.Series, kind: str, column: str, path: Path) -> str:
    """Why a column that is mostly dates (durations) cannot be a feature: its first value that is not one."""
    position, value, why, count = _first_bad_time(values, kind)
    what = "ISO 8601 dates" if kind == "dates" else "durations"
    verb = "is" if count == 1 else "are"
    many = "" if count is None else f" ({count:,} of its {int(values.notna().sum()):,} values {verb} not)"
    return (
        f"column {column!r} of {str(path)!r} holds {what}, but data row {position + 1:,} holds {value!r}, {why}{many}; "
        f"empty such fields (a missing value) to read the column as {kind}, or give it to --categorical-features to "
        "take it as text categories"
    )


def _first_bad_time(values: pd.Series, kind: str, rows_before: int = 0) -> tuple[int, Any, str, int | None]:
    """The first value of ``values`` (text) that keeps them from being read as ``kind`` ("dates" or
    "durations"): its position, the value, why (``which is not an ISO 8601 date``), and how many
    values are not one (None when each is, but not together: naive times among times with a UTC
    offset). Vectorised: a column of a million rows is refused in a few passes."""
    import numpy as np

    present = values.notna().to_numpy()
    text = values.astype(str)
    if kind == "dates":
        try:
            bad = _parse_iso(values, utc=True).isna().to_numpy() & present
        except (ValueError, TypeError, OverflowError):  # (pandas 2: offsets in and beyond the nanoseconds' range)
            # value by value: the error path only
            bad = np.array([ok and _iso_dates(values.iloc[i : i + 1]) is None for i, ok in enumerate(present)])
        why = "which is not an ISO 8601 date"
    else:
        bad = ~text.str.fullmatch(_DURATION_TEXT).to_numpy(dtype=bool) & present
        if not bad.any():  # each looks like one; pandas refuses one (beyond its range): value by value, the error path only
            bad = np.array([ok and _durations(values.iloc[i : i + 1]) is None for i, ok in enumerate(present)])
        why = "which is not a duration"
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        return first, values.iloc[first], why, int(bad.sum())
    # every value is a date alone: naive times mixed with times that carry a UTC offset
    offset = text.str.contains(_OFFSET_AT_END).to_numpy(dtype=bool)
    rows = np.flatnonzero(present)
    first = rows[0] if len(rows) else 0
    other = rows[offset[rows] != offset[first]]
    if not len(other):  # (not reached: kept so an unforeseen mix still gets a message)
        return int(first), values.iloc[first], "which cannot be read with the other values as dates", None
    row = int(other[0])
    has, before = ("has a UTC offset", "none") if offset[row] else ("has no UTC offset", "one")
    why = (
        f"which {has}, while data row {rows_before + int(first) + 1:,} before it has {before}; give every time of "
        "the column a UTC offset or none"
    )
    return row, values.iloc[row], why, None


def iter_chunks(
    path: Path,
    fmt: str,
    chunk_rows: int,
    text_columns: Sequence[str] = (),
    date_columns: Sequence[str] = (),
    duration_columns: Sequence[str] = (),
) -> Iterator[pd.DataFrame]:
    """The file in chunks of at most ``chunk_rows`` rows.

    ``text_columns`` (recorded in the model file at fit) are read as text in every CSV chunk,
    so a chunk whose values of such a column all look like numbers keeps them as the same
    categories the whole file had; ``date_columns`` and ``duration_columns`` (recorded too)
    are read as dates and durations, as :func:`read_table` read them at fit (a value that is
    not one is refused with its row and value; of a Parquet file, its date columns named in
    ``date_columns`` are read as ``datetime64``).
    """
    import pandas as pd

    if fmt == "parquet":
        batches = _parquet_chunks(path, chunk_rows, date_columns, duration_columns, text_columns)
        yield from (frame for frame, _ in batches)
        return
    with _reading(path, fmt):
        header = pd.read_csv(path, nrows=0).columns
    _check_csv_header(path, fmt)
    dates = [column for column in date_columns if column in header]
    durations = [column for column in duration_columns if column in header]
    dtypes = {column: str for column in [*text_columns, *dates, *durations] if column in header}
    with _reading(path, fmt):
        reader = pd.read_csv(path, chunksize=chunk_rows, dtype=dtypes or None, **_csv_floats())
    exact = _ExactChunks(path, chunk_rows)
    try:
        yield from _csv_chunks(reader, exact, path, fmt, dates, durations)
    finally:
        exact.close()
        reader.close()


def _parquet_batches(path: Path, chunk_rows: int) -> Iterator[Any]:
    """The record batches of a Parquet file, as stored, of at most ``chunk_rows`` rows (a file
    pyarrow cannot read, or a damaged batch, is an error naming the file)."""
    with _reading(path, "parquet"):
        batches = _pyarrow().parquet.ParquetFile(path).iter_batches(batch_size=chunk_rows)
    while True:
        with _reading(path, "parquet"):  # (not around the yield: the consumer's errors are its own)
            batch = next(batches, None)
        if batch is None:
            return
        yield batch


def _parquet_chunks(
    path: Path, chunk_rows: int, dates: Sequence[str] = (), durations: Sequence[str] = (), text: Sequence[str] = ()
) -> Iterator[tuple[pd.DataFrame, Any]]:
    """The record batches of a Parquet file, each as a DataFrame and as stored (to copy it).

    Its date columns named in ``dates`` (the model's ``date_columns``: read as ``datetime64`` at
    fit, by :func:`read_table`) are ``datetime64`` too; any other stays Python dates, as a model
    fitted on them as categories (saved by an older ``hvrt``, or from Python) saw them. Such a
    column stored as text (ISO 8601 dates, or durations for ``durations``) is parsed as a CSV's
    is, a value that is not one refused with its data row (C38). A column named in ``text`` (the
    model's text columns: a CSV's ``--categorical-features`` column was read as text) stored as
    whole numbers is read as their digits, as a CSV writes them (``17``, ``17.0`` alike), so that
    the codes match the categories read from a CSV at fit.
    """
    pa = _pyarrow()
    rows_before = 0
    for batch in _parquet_batches(path, chunk_rows):
        frame = _string_names(batch.to_pandas())
        schema = batch.schema
        times = {
            name: batch.column(name).to_pandas(date_as_object=False).to_numpy() for name in dates
            if name in schema.names and pa.types.is_date(schema.field(name).type)
        }  # fmt: skip
        for names, parse, kind in ((dates, _iso_dates, "dates"), (durations, _durations, "durations")):
            for name in names:
                if name not in schema.names or not _arrow_text(schema.field(name).type):
                    continue
                parsed = parse(frame[name])
                if parsed is not None:
                    times[name] = parsed
                elif frame[name].notna().any():
                    _refuse_time_text(frame[name], kind, name, path, rows_before)
        for name in text:
            stored = schema.field(name).type if name in schema.names else None
            if stored is not None and (pa.types.is_integer(stored) or pa.types.is_floating(stored)):
                digits = _integer_text(frame[name])
                if digits is not None:
                    times[name] = digits
        rows_before += len(frame)
        yield (frame.assign(**times) if times else frame), batch


def _integer_text(values: pd.Series) -> pd.Series | None:
    """Whole numbers as their digits (``17.0`` as ``'17'``), gaps kept; None if one is not whole."""
    import numpy as np

    if values.dtype.kind == "f":
        numbers = values.to_numpy()
        present = numbers[~np.isnan(numbers)]
        if not ((present == np.round(present)) & (np.abs(present) < 2.0**63)).all():
            return None
    try:
        digits = values.astype("Int64").astype(str)
    except (TypeError, ValueError, OverflowError):  # (uint64 beyond int64: left to the library's kind check)
        return None
    return digits.where(values.notna().to_numpy(), None).astype(object)


def _arrow_text(arrow_type: Any) -> bool:
    types = _pyarrow().types
    return bool(types.is_string(arrow_type) or types.is_large_string(arrow_type) or types.is_string_view(arrow_type))


def _string_names(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its column names as the file stores them, text.

    A Parquet file written from a frame with integer column names stores them as text and
    says, in its pandas metadata, to make them integers again: ``--y 2`` or ``--columns 0,1``
    then named no column (while the error listed ``0, 1, 2``), and ``label`` refused the very
    file the model was fitted on (the model records its names as text, ``'0'``).
    """
    import pandas as pd

    if isinstance(frame.columns, pd.MultiIndex) or all(isinstance(name, str) for name in frame.columns):
        return frame
    return frame.set_axis([str(name) for name in frame.columns], axis=1)


def _read_parquet(path: Path) -> pd.DataFrame:
    """The Parquet file ``path`` as pandas reads it, with its date columns as ``datetime64[ms]``.

    pandas reads a Parquet date column as Python ``datetime.date`` objects, which the
    partitioner takes as unordered categories, one per day (and warned of with pandas code to
    run); as ``datetime64`` they are an ordered feature, as a CSV's ISO dates are. pandas 3
    passes pyarrow's ``date_as_object=False`` on, so the file is read once (and no date
    object is made). Before pandas 3, ``read_parquet`` cannot pass it on, so the file is read
    here as it reads it (pyarrow's ``read_table``, then ``Table.to_pandas``), once too: the
    date columns were read a second time (converting the objects pandas made took about 2 s
    for 2,000,000 dates). Either way 9999-12-31 stays (milliseconds hold it; the partitioner
    names it, X20).
    """
    import inspect

    import pandas as pd

    if "to_pandas_kwargs" in inspect.signature(pd.read_parquet).parameters:  # pandas >= 3.0
        return _string_names(pd.read_parquet(path, to_pandas_kwargs={"date_as_object": False}))
    # (pandas 2's opt-in future.infer_string would make text its string dtype: here it stays
    # Python strings, which hvrt reads alike)
    table = _pyarrow().parquet.read_table(path, use_pandas_metadata=True)
    return _string_names(table.to_pandas(date_as_object=False))


def _csv_chunks(
    reader: Any, exact: _ExactChunks, path: Path, fmt: str, dates: list[str], durations: list[str]
) -> Iterator[pd.DataFrame]:
    """The chunks of ``reader``, dates and durations parsed, whole numbers beyond 2**53 exact."""
    rows_before = 0
    while True:
        with _reading(path, fmt):  # a row the parser refuses, in a late chunk
            chunk = next(reader, None)
        if chunk is None:
            break
        # parsed as read_table parsed them (a chunk may hold one UTC offset only)
        for columns, parse, kind in ((dates, _iso_dates, "dates"), (durations, _durations, "durations")):
            for column in columns:
                parsed = parse(chunk[column])
                if parsed is not None:
                    chunk[column] = parsed
                elif chunk[column].notna().any():  # (a chunk with nothing in it keeps its gaps)
                    _refuse_time_text(chunk[column], kind, column, path, rows_before)
        chunk = exact(chunk, rows_before)
        rows_before += len(chunk)
        yield chunk


def _refuse_time_text(values: pd.Series, kind: str, column: str, path: Path, rows_before: int) -> NoReturn:
    """Name the first value of a date or duration column that is not one, with its data row (C38),
    or the first time whose UTC offset (or its lack) differs from the column's first (C38 too)."""
    position, value, why, _ = _first_bad_time(values, kind, rows_before)
    raise BadInput(
        f"column {column!r} of {str(path)!r} held {kind} at fit, but data row {rows_before + position + 1:,} "
        f"holds {value!r}, {why}"
    )


def count_rows(path: Path, fmt: str) -> int | None:
    """Rows of a Parquet file from its footer; None for CSV (it would need a pass)."""
    if fmt != "parquet":
        return None
    with _reading(path, fmt):
        return _pyarrow().parquet.ParquetFile(path).metadata.num_rows


def _all_whole(values: np.ndarray) -> bool:
    """Whether every value of a float array is a whole number or NaN."""
    import numpy as np

    present = values[~np.isnan(values)]
    return bool((present == np.round(present)).all())


class ChunkWriter:
    """Appends DataFrame chunks to a CSV or Parquet file being written (under a temporary name).

    Parameters
    ----------
    path : Path
        The (temporary) file to write.
    fmt : {"csv", "parquet"}
    """

    def __init__(self, path: Path, fmt: str) -> None:
        self.path = path
        self.fmt = fmt
        self._writer: Any = None
        self._schema: Any = None
        self._first = True
        self._rows = 0
        self._filled: set[str] = set()  # Parquet columns with a value written so far (not only nulls)
        self._gaps: set[str] = set()  # integer columns with a gap written so far
        self._big: set[str] = set()  # integer columns with a value beyond 2**53 written so far
        self._floats: set[str] = set()  # CSV columns written as floats so far
        self._fractional: set[str] = set()  # ... of which some value was not a whole number
        self._big_ints: set[str] = set()  # CSV columns written as integers, one beyond 2**53

    def write(self, frame: pd.DataFrame) -> None:
        """Append ``frame`` (the first chunk sets the columns and, for Parquet, the schema, which a
        later chunk widens if it must: see :meth:`_widen`)."""
        if self.fmt == "csv":
            from ._csv_output import write_csv

            frame = self._floats_stay_floats(frame)
            write_csv(frame, self.path, header=self._first)
        else:
            pa = _pyarrow()
            if self._writer is None:
                table = pa.Table.from_pandas(frame, preserve_index=False)
                self._schema = table.schema
                self._writer = pa.parquet.ParquetWriter(self.path, self._schema)
            else:
                # a column with nothing but gaps so far takes this chunk's type (see _widen): the
                # schema's (float64, as pandas reads an empty column) would take true/false as 1.0/0.0
                untyped = any(name not in self._filled and frame[name].notna().any() for name in self._schema.names)
                try:
                    if untyped:
                        raise pa.ArrowInvalid("a column typed by its gaps alone")
                    table = pa.Table.from_pandas(frame, schema=self._schema, preserve_index=False)
                except (pa.ArrowInvalid, pa.ArrowTypeError):
                    table = pa.Table.from_pandas(frame, preserve_index=False)
                    self._widen(table)
                    table = table.select(self._schema.names).cast(self._schema, safe=False)
            self._filled |= {name for name in table.column_names if table.column(name).null_count < table.num_rows}
            self._note_big_integers(table)
            self._writer.write_table(table)
        self._rows += len(frame)
        self._first = False

    def _floats_stay_floats(self, frame: pd.DataFrame) -> pd.DataFrame:
        """A CSV column written as floats so far stays floats: ``3.0``, as a whole-file read writes it.

        CSV chunks are typed one by one, so a column with a gap in the first chunk (floats, as
        pandas reads it) holds integers in a chunk without one; they were written ``3`` after
        ``0.0``. Integers beyond 2**53 stay integers (as floats they would change), and then
        the column is what a whole-file read makes it, integers (:func:`_exact_whole_numbers`):
        its whole floats written so far are written again as integers (:meth:`_as_integers`,
        one more pass over the rows so far, only then), and its whole floats in later chunks
        are written as integers. A column whose first float comes in a later chunk keeps the
        integers written before it.
        """
        import numpy as np

        ints = [c for c in frame.columns if frame[c].dtype.kind in "iu"]
        big = {c for c in ints if ((frame[c] >= 2**53) | (frame[c] <= -(2**53))).any()}
        again = [c for c in big if c in self._floats and c not in self._fractional]
        if again:
            self._as_integers(frame, again)
            self._floats -= set(again)
        self._big_ints |= big
        exact = [c for c in ints if c in self._floats and c not in big]
        if exact:
            frame = frame.astype({column: np.float64 for column in exact})
        floats = [c for c in frame.columns if frame[c].dtype == np.float64]
        # (a column found fractional once is not tested again: most float columns, after one chunk)
        whole = {c: _all_whole(frame[c].to_numpy()) for c in floats if c in self._big_ints or c not in self._fractional}
        integral = [c for c in floats if c in self._big_ints and whole[c]]
        if integral:
            frame = frame.astype({column: "Int64" for column in integral})
        self._floats |= {c for c in floats if c not in integral}
        self._fractional |= {c for c in floats if c not in integral and not whole.get(c, False)}
        return frame

    def _as_integers(self, frame: pd.DataFrame, columns: list[str]) -> None:
        """Write the CSV rows so far again with the whole floats of ``columns`` as integers
        (``3.0`` as ``3``, ``-0.0`` as ``0``), every other field as it was (read back as text)."""
        import pandas as pd

        positions = [frame.columns.get_loc(c) for c in columns]
        copy = self.path.with_name(f"{self.path.name}.integers")
        try:
            self.path.replace(copy)
            frame.iloc[:0].to_csv(self.path, index=False)  # the header, as it was written
            reader = pd.read_csv(copy, dtype=str, keep_default_na=False, chunksize=100_000)
            with reader:
                for rows in reader:
                    for j in positions:
                        values = rows.iloc[:, j]
                        rows.isetitem(j, values.str.replace(r"\.0$", "", regex=True).replace("-0", "0"))
                    rows.to_csv(self.path, mode="a", header=False, index=False)
        finally:
            copy.unlink(missing_ok=True)

    def _widen(self, chunk: Any) -> None:
        """Widen the Parquet schema to take ``chunk`` (an Arrow table) whose types the first chunk's
        cannot hold, and rewrite the rows written so far in it (rare: one more pass over them).

        CSV chunks are typed one by one: a column of whole numbers in the first rows may hold
        7.5 later, and a column empty in the first rows (read as floats) text later. Whole
        numbers widen to floats; a column with nothing but gaps so far takes the chunk's type,
        and a chunk with nothing but gaps in a column keeps the column's type. Floats that are
        all whole so far (an integer column with a gap, as pandas reads it) meeting integers
        (ids beyond 2**53 in a later chunk) become nullable integers, so no id is rounded, as a
        whole-file read keeps them (:func:`_exact_whole_numbers`). Other changes (text, then
        numbers) are refused by name: a CSV output takes them.
        """
        pa = _pyarrow()
        self._writer.close()  # the rows so far are read back (a whole-number test) and rewritten
        chunk_schema = chunk.schema
        fields, entries = [], []
        ours = _pandas_columns(self._schema)
        theirs = _pandas_columns(chunk_schema)
        for field in self._schema:
            other = chunk_schema.field(field.name)
            if field.name not in self._filled and chunk.column(field.name).null_count < chunk.num_rows:
                if pa.types.is_integer(other.type) and self._rows:
                    # the rows so far are gaps: as a whole-file read, floats, or nullable integers
                    # for ids beyond 2**53 (which floats would round)
                    if self._beyond_floats(chunk.column(field.name)):
                        fields.append(pa.field(field.name, pa.int64()))
                        entries.append(_nullable_integer_entry(field.name))
                        self._gaps.add(field.name)
                    else:
                        fields.append(pa.field(field.name, pa.float64()))
                        entries.append(ours.get(field.name))
                    continue
                fields.append(other)
                entries.append(theirs.get(field.name))
            elif other.type == field.type or chunk.column(field.name).null_count == chunk.num_rows:
                fields.append(field)
                entries.append(ours.get(field.name))
            elif pa.types.is_floating(field.type) and pa.types.is_integer(other.type) and self._whole_so_far(field.name):
                fields.append(pa.field(field.name, pa.int64()))
                entries.append(_nullable_integer_entry(field.name))
            else:
                try:
                    wider_field = pa.unify_schemas([pa.schema([field]), pa.schema([other])], promote_options="permissive")
                except (pa.ArrowInvalid, pa.ArrowTypeError):
                    raise BadInput(
                        f"column {field.name!r} holds {_arrow_kind(field.type)} in the first {self._rows:,} rows and "
                        f"{_arrow_kind(other.type)} after them, which one Parquet column cannot hold; write a CSV output"
                    ) from None
                fields.append(wider_field.field(0))
                entries.append(theirs.get(field.name) if wider_field.field(0).type == other.type else ours.get(field.name))
        # the pandas metadata names each column's dtype (Int64, not float64, when read back)
        metadata = _pandas_metadata(chunk_schema, [entry for entry in entries if entry is not None])
        self._rewrite(pa.schema(fields, metadata=metadata))

    def _rewrite(self, schema: Any) -> None:
        """Write the rows so far (the writer closed) again in ``schema``; the writer then appends to them."""
        pa = _pyarrow()
        copy = self.path.with_name(f"{self.path.name}.widening")
        try:
            with pa.parquet.ParquetWriter(copy, schema) as writer:
                for batch in pa.parquet.ParquetFile(self.path).iter_batches():
                    writer.write_table(pa.Table.from_batches([batch]).cast(schema, safe=False))
            self._writer = pa.parquet.ParquetWriter(self.path, schema)  # starts the file again
            for batch in pa.parquet.ParquetFile(copy).iter_batches():
                self._writer.write_table(pa.Table.from_batches([batch]))
        finally:
            copy.unlink(missing_ok=True)
        self._schema = schema

    def _note_big_integers(self, table: Any) -> None:
        """Record the integer columns of ``table`` with a gap, and those with a value beyond 2**53."""
        pa = _pyarrow()
        import pyarrow.compute as pc

        for name in table.column_names:
            column = table.column(name)
            if not pa.types.is_integer(column.type):
                continue
            if column.null_count:
                self._gaps.add(name)
            if name not in self._big and column.null_count < len(column):
                bounds = pc.min_max(column)
                if max(abs(bounds["min"].as_py()), abs(bounds["max"].as_py())) >= 2**53:
                    self._big.add(name)

    def _finish_metadata(self) -> None:
        """Name as ``Int64`` in the pandas metadata each integer column with a gap and a value beyond
        2**53 (rewriting the file once, rare): a first chunk without a gap named it ``int64``, which
        pandas reads back with gaps as floats, rounding the ids a whole-file read keeps exact."""
        entries = _pandas_columns(self._schema)
        stale = [
            name for name in self._gaps & self._big
            if name in entries and entries[name].get("numpy_type") != "Int64"
            and self._schema.field(name).type == _pyarrow().int64()
        ]  # fmt: skip
        if not stale:
            return
        columns = [_nullable_integer_entry(name) if name in stale else entry for name, entry in entries.items()]
        self._rewrite(self._schema.with_metadata(_pandas_metadata(self._schema, columns)))
        self._writer.close()

    @staticmethod
    def _beyond_floats(column: Any) -> bool:
        """Whether an integer column holds a value beyond 2**53 (which a float64 would round)."""
        import pyarrow.compute as pc

        bounds = pc.min_max(column)
        if bounds["min"].as_py() is None:
            return False
        return max(abs(bounds["min"].as_py()), abs(bounds["max"].as_py())) >= 2**53

    def _whole_so_far(self, name: str) -> bool:
        """Whether the floats written so far in column ``name`` are all whole numbers within int64."""
        import numpy as np

        values = _pyarrow().parquet.read_table(self.path, columns=[name]).column(name).to_numpy()
        present = values[~np.isnan(values)]
        return bool(((present == np.floor(present)) & (present >= -(2.0**63)) & (present < 2.0**63)).all())

    def close(self) -> None:
        """Finish the file (a Parquet footer); an empty input still gets a header."""
        if self._writer is not None:
            self._writer.close()
            self._finish_metadata()


def _pandas_columns(schema: Any) -> dict[str, dict]:
    """The pandas metadata's entry of each column of ``schema`` (none when it has no such metadata)."""
    return {entry["field_name"]: entry for entry in (schema.pandas_metadata or {}).get("columns", [])}


def _nullable_integer_entry(name: str) -> dict:
    """The pandas metadata of an ``Int64`` column (as ``Table.from_pandas`` writes it)."""
    return {"name": name, "field_name": name, "pandas_type": "int64", "numpy_type": "Int64", "metadata": None}


def _pandas_metadata(schema: Any, columns: list[dict]) -> dict[bytes, bytes] | None:
    """``schema``'s pandas metadata with its column entries replaced by ``columns``."""
    import json

    pandas = schema.pandas_metadata
    if pandas is None:
        return None
    return {b"pandas": json.dumps({**pandas, "columns": columns}).encode()}


def _arrow_kind(arrow_type: Any) -> str:
    """What values of an Arrow type are, in words (``text``, not ``large_string``)."""
    types = _pyarrow().types
    for test, words in ((types.is_string, "text"), (types.is_large_string, "text"), (types.is_integer, "whole numbers"),
                        (types.is_floating, "numbers"), (types.is_boolean, "true/false values"),
                        (types.is_timestamp, "dates"), (types.is_duration, "durations")):  # fmt: skip
        if test(arrow_type):
            return words
    return f"{arrow_type} values"


def write_table(frame: pd.DataFrame, target: Path, fmt: str) -> None:
    """Write ``frame`` to ``target`` through a temporary file in the same folder."""
    from ._atomic import atomic_path

    with atomic_path(target) as temporary:
        writer = ChunkWriter(temporary, fmt)
        writer.write(frame)
        writer.close()


COPY_BLOCK_ROWS = 100_000  # rows of the input copied at a time into a whole-file output


def write_rows_plus(source: Path, fmt: str, frame: pd.DataFrame, column: str, values: Any, target: Path,
                    out_fmt: str) -> None:
    """Write the rows of ``source`` (read whole into ``frame``) plus ``column`` to ``target``.

    An output of the input's format copies its rows as written (:mod:`hvrt._row_copy`: a CSV's
    cells as text, a Parquet file's batches as stored), block by block; another format writes
    ``frame``, the rows as read.
    """
    import numpy as np

    from ._atomic import atomic_path

    if out_fmt != fmt:
        write_table(frame.assign(**{column: values}), target, out_fmt)
        return
    from ._row_copy import RowCopyWriter, block_rows

    values = np.asarray(values)
    with atomic_path(target) as temporary:
        writer = RowCopyWriter(temporary, out_fmt, column, source)
        if fmt == "csv":
            sizes = [min(COPY_BLOCK_ROWS, len(frame) - start) for start in range(0, len(frame), COPY_BLOCK_ROWS)]
            blocks = _csv_rows(source, sizes)
        else:
            blocks = _parquet_batches(source, COPY_BLOCK_ROWS)  # copied as stored: no frame of each
        start = 0
        for block in blocks:
            writer.write(block, values[start : start + block_rows(block)])
            start += block_rows(block)
        writer.close()


def _csv_rows(source: Path, sizes: Sequence[int]) -> Iterator[Any]:
    """The rows of the CSV file ``source`` as written (:class:`hvrt._row_copy.CsvRows`), in blocks of
    ``sizes`` rows, then a check that the file holds no more (see :func:`_take_text`)."""
    from ._row_copy import CsvRows

    rows = CsvRows(source)
    try:
        for size in sizes:
            yield _take_text(rows, size, source)
        _check_all_taken(rows, source)
    finally:
        rows.close()


def _take_text(rows: Any, size: int, source: Path) -> Any:
    """The next ``size`` rows of ``rows`` (a :class:`hvrt._row_copy.CsvRows`), which must have them.

    A CSV's text rows must be the rows pandas read as a table: a block of fewer rows, or rows
    left after the last, is refused (the two readers never disagreed on a file tried, but a
    shifted row would put every later value beside another row's).
    """
    from ._row_copy import block_rows

    block = rows.take(size)
    if block_rows(block) != size:
        _copy_mismatch(source, rows.taken)
    return block


def _check_all_taken(rows: Any, source: Path) -> None:
    if not rows.exhausted():
        _copy_mismatch(source, rows.taken)


def _copy_mismatch(source: Path, text_rows: int) -> NoReturn:
    raise BadInput(
        f"{str(source)!r} read as text gives other rows than read as a table (from data row {text_rows:,} on); "
        "its rows cannot be copied as written: write a Parquet output, which takes the table as read"
    )


def _columns_option(values: Sequence[str]) -> list[str]:
    """``--columns a,b --columns c`` -> ``["a", "b", "c"]`` (a name given twice counts once).

    A comma preceded by a backslash is part of a name (``price\\, usd``), and so is a backslash
    preceded by one (``\\\\``); any other backslash is itself.
    """
    names = []
    for value in values:
        name, escaped = [], False
        for character in value:  # the option's characters, not the data's
            if escaped:
                name.append(character if character in ",\\" else "\\" + character)
                escaped = False
            elif character == "\\":
                escaped = True
            elif character == ",":
                names.append("".join(name))
                name = []
            else:
                name.append(character)
        names.append("".join(name) + ("\\" if escaped else ""))
    return list(dict.fromkeys(name.strip() for name in names if name.strip()))


def _named(columns: Sequence[Any], names: Sequence[str]) -> list[Any]:
    """``names`` from ``--columns``-style options (spaces around each name dropped, so that
    ``--columns "a, b"`` names ``b``) as the columns they name: a name is a column's when equal
    to it, or else to the column's name without its spaces around, if one column's only (a
    header ``a, b`` names its second column ``' b'``, which no option could name). A name no
    column has is kept, for the error that names it."""
    found = []
    for name in names:
        if name in columns:
            found.append(name)
            continue
        spaced = [column for column in columns if str(column).strip() == name]
        found.append(spaced[0] if len(spaced) == 1 else name)
    return found


def _check_columns(frame: pd.DataFrame, names: Sequence[str], role: str, source: Path, repeatable: bool = False) -> None:
    """Refuse a name ``frame`` lacks, listing its columns (``repeatable``: the option takes several
    columns one by one, and ``a,b`` gets that hint)."""
    missing = [name for name in names if name not in frame.columns]
    if missing:
        # a name holding a comma is quoted, so that 'price, usd' does not look like two columns
        shown = ", ".join(repr(c) if "," in str(c) or str(c) != str(c).strip() else str(c) for c in frame.columns[:12])
        shown += ", ..." if frame.shape[1] > 12 else ""
        hint = ""
        comma = next((str(c) for c in frame.columns if "," in str(c)), None)
        if role == "--columns" and comma is not None:
            escaped = comma.replace("\\", "\\\\").replace(",", "\\,")
            hint = f"; a comma inside a name is written with a backslash before it: --columns '{escaped}'"
        parts = str(missing[0]).split(",")
        if repeatable and len(parts) > 1 and all(part.strip() in frame.columns for part in parts):
            hint = f"; give each column its own {role}: " + " ".join(f"{role} {part.strip()}" for part in parts)
        if not hint:  # a typo or another case: 'prize', 'Price' for 'price'
            hint = _did_you_mean(str(missing[0]), [str(c) for c in frame.columns])
        raise BadInput(f"unknown {role} column {missing[0]!r} in {str(source)!r} (its columns: {shown}){hint}")


def _did_you_mean(name: str, columns: Sequence[str]) -> str:
    """``; did you mean 'price'?`` when one column is named alike (another case, a letter off)."""
    import difflib

    by_case = [column for column in columns if column.lower() == name.lower()]
    close = by_case or difflib.get_close_matches(name, columns, n=1, cutoff=0.75)
    return f"; did you mean {close[0]!r}?" if close else ""


def _numeric_target(frame: pd.DataFrame, names: Sequence[str], source: Path) -> None:
    import pandas as pd

    for name in names:
        if not (pd.api.types.is_numeric_dtype(frame[name]) and not pd.api.types.is_bool_dtype(frame[name])):
            raise BadInput(f"--y column {name!r} of {str(source)!r} is not numeric (dtype {frame[name].dtype})")


def _finite_target(values: pd.Series, source: Path) -> None:
    """A regressor's --y must be finite in every row: say which column and which row of the file."""
    import numpy as np

    bad = ~np.isfinite(values.to_numpy(dtype=np.float64, na_value=np.nan))
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise BadInput(
            f"--y column {values.name!r} of {str(source)!r} has {int(bad.sum()):,} missing or infinite value(s), "
            f"first in data row {first + 1:,}; every training row needs a finite target (drop those rows)"
        )


def _text_columns(frame: pd.DataFrame) -> list[str]:
    """Columns that hold text, which every later CSV chunk must read as text too."""
    import pandas as pd

    return [str(c) for c in frame.columns if pd.api.types.infer_dtype(frame[c], skipna=True) == "string"]


def _date_columns(frame: pd.DataFrame) -> list[str]:
    """Columns of dates, which every later CSV chunk must read as dates too."""
    import pandas as pd

    return [str(c) for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]


def _column_metadata(X: pd.DataFrame, y: list[str], categorical: Sequence[str] = ()) -> dict:
    """What a model file records of its input, for reading later CSV chunks as at fit (a
    ``--categorical-features`` column read as text is text in every chunk, even one with
    nothing in it)."""
    import pandas as pd

    listed = [str(c) for c in categorical if not pd.api.types.is_numeric_dtype(X[c])]
    return {
        "text_columns": list(dict.fromkeys([*_text_columns(X), *listed])),
        "date_columns": _date_columns(X),
        "duration_columns": _duration_columns(X),
        "y": y,
    }


def _duration_columns(frame: pd.DataFrame) -> list[str]:
    """Columns of durations, which every later CSV chunk must read as durations too.

    A dtype of kind ``"m"``: numpy's ``timedelta64`` (any unit) and pyarrow's ``duration``, which
    ``is_timedelta64_dtype`` misses (``_validation.is_duration_dtype`` reads durations so too).
    """
    return [str(c) for c in frame.columns if frame[c].dtype.kind == "m"]


def _features(
    frame: pd.DataFrame, columns: list[str], y: Sequence[str], source: Path, role: str = "--y", job: str = "partition on"
) -> pd.DataFrame:
    """The feature columns: ``--columns``, or every column but ``y`` (the columns of the option ``role``)."""
    columns = _named(list(frame.columns), columns)
    _check_columns(frame, columns, "--columns", source)
    chosen = columns or [c for c in frame.columns if c not in set(y)]
    overlap = sorted(set(chosen) & set(y))
    if overlap:
        raise BadInput(f"column {overlap[0]!r} is given both as a feature (--columns) and as {role}")
    if not chosen:
        raise BadInput(f"{str(source)!r} has no column left to {job} besides {role}")
    doubtful = frame.attrs.get(_DOUBTFUL_TIMES, {})
    refused = [str(c) for c in chosen if str(c) in doubtful]
    if refused and job != "profile":  # (a profile skips text columns: one of mostly dates stays skipped)
        raise BadInput(doubtful[refused[0]])
    fmt = _format_of(source, "input")
    nameless = [column for column in _check_csv_header(source, fmt) if column in set(chosen)] if fmt == "csv" else []
    if nameless:
        warnings.warn(
            f"{str(source)!r}: a column without a name in the header (pandas calls it {nameless[0]!r}) is used as a "
            "feature; if it is a saved row index, leave it out with --columns",
            UserWarning,
            stacklevel=2,
        )
    return frame[chosen]


def _categorical(frame: pd.DataFrame, X: pd.DataFrame, listed: Sequence[str], y: Sequence[str], source: Path) -> list[str] | None:
    """The partitioner's ``categorical_features``: the ``--categorical-features`` columns, which must be
    features, and the features the library takes as categories by their dtype (text, true/false),
    which an explicit list must name too, found as it reads them (``categorical_by_dtype``: a
    Parquet decimal128 column is numbers); None (found by dtype) when none is listed.
    """
    if not listed:
        return None
    listed = _named(list(frame.columns), listed)
    _check_columns(frame, listed, "--categorical-features", source)
    features = {str(c) for c in X.columns}
    for name in listed:
        if name not in features:
            why = "is --y" if name in set(y) else "is left out by --columns"
            raise BadInput(f"--categorical-features column {name!r} {why}, not a feature; list feature columns only")

    from .partitioner import categorical_by_dtype

    # the library's own reading of X, not a copy of its rule (which missed its Decimal reading)
    chosen = set(listed) | set(categorical_by_dtype(X, listed))
    return [str(c) for c in X.columns if str(c) in chosen]


def _load_model(path: str, kind: str, command: str) -> tuple[Any, dict]:
    """The model in ``path`` and its metadata, if it is of ``kind``."""
    from .persistence import load, model_info

    info = model_info(path)
    if info.kind != kind:
        other = {"HVRTPartitioner": "label", "PartitionedRegressor": "predict"}[info.kind]
        raise BadInput(
            f"{path!r} holds {'an' if info.kind.startswith('H') else 'a'} {info.kind}; `hvrt {command}` needs "
            f"{MODEL_KINDS[kind]}; use `hvrt {other}` with this model"
        )
    model = load(path)
    return model, _reading_metadata(model, info.metadata or {})


_READING_KEYS = ("text_columns", "date_columns", "duration_columns")


def _preprocessors(model: Any) -> list[Any]:
    """The fitted preprocessors of ``model`` (a regressor's and its partitioner's, once each)."""
    found = []
    for owner in (model, getattr(model, "partitioner_", None)):
        preprocessor = getattr(owner, "_preprocessor", None)
        if preprocessor is not None and all(preprocessor is not seen for seen in found):
            found.append(preprocessor)
    return found


def _reading_metadata(model: Any, metadata: dict) -> dict:
    """How to read a file for ``model``: the command line's record (``metadata``), or for a model
    saved from Python (``hvrt.save``, without it) the model's own record of its columns: its date
    and duration features are read as such, its text categorical columns as text (their values
    that look like numbers in some chunk stay the categories they were), as the command line reads
    a file for a model it fitted. (Without it, a Python model's CSV date column was text, refused
    with advice a command-line user could not follow.)"""
    if all(key in metadata for key in _READING_KEYS):
        return metadata
    dates, durations, text = [], [], []
    for preprocessor in _preprocessors(model):
        for column, kind in (preprocessor.time_kinds or {}).items():
            (durations if kind == "durations" else dates).append(str(column))
        kinds = preprocessor.category_kinds or ["numbers"] * len(preprocessor.categorical_columns)
        text += [str(c) for c, kind in zip(preprocessor.categorical_columns, kinds) if kind == "text"]
    derived = {
        "text_columns": list(dict.fromkeys(text)),
        "date_columns": list(dict.fromkeys(dates)),
        "duration_columns": list(dict.fromkeys(durations)),
    }
    return {**derived, **metadata}


def _text_categories(model: Any, metadata: dict) -> dict[str, Any]:
    """The categories at fit (a pandas Index of their keys, the text as written) of each column
    the command line reads as text for ``model``."""
    import pandas as pd

    text = set(metadata.get("text_columns", ()))
    known: dict[str, Any] = {}
    for preprocessor in _preprocessors(model):
        if preprocessor.category_values is None:
            continue
        kinds = preprocessor.category_kinds or ["numbers"] * len(preprocessor.categorical_columns)
        for column, kind, values in zip(preprocessor.categorical_columns, kinds, preprocessor.category_values):
            if str(column) in text and kind == "text" and str(column) not in known:
                known[str(column)] = pd.Index(list(values), dtype=object)
    return known


_INTEGER_TEXT = r"\s*[+-]?\d+\s*"


class _UnseenCategories:
    """Checks the text categorical columns of each chunk against the model's categories at fit.

    The command line reads such a column as text and the model matches its categories by the
    text as written at fit, so that codes keep their leading zeros (``02134`` and ``2134`` are two
    zip codes). The same code written otherwise in a new file (``1.0`` where the fit read ``1``,
    as a float export writes it, or ``001``) matched no category, without a word: a value unseen
    at fit that is the number of a category written as an integer is refused, naming the column,
    the row and both texts (C57). And a column whose values are mostly categories unseen at fit
    (half or more of the values present, over the whole file) is warned of once, naming it.
    """

    def __init__(self, known: dict[str, Any], source: Path, model_path: str) -> None:
        import pandas as pd

        self.known = known
        self.source = source
        self.model_path = model_path
        self.counts = {column: [0, 0] for column in known}  # unseen, present
        self.first: dict[str, tuple[int, Any]] = {}
        # each column's categories written as integers, by their value
        self.integers = {}
        for column, keys in known.items():
            written = keys[pd.Series(keys.astype(str)).str.fullmatch(_INTEGER_TEXT).to_numpy(dtype=bool)]
            # (a loop over categories, not rows)
            self.integers[column] = pd.Series(list(written), index=[int(k) for k in written], dtype=object)

    def check(self, chunk: pd.DataFrame, rows_before: int) -> None:
        import numpy as np
        import pandas as pd

        for column, keys in self.known.items():
            values = chunk.get(column)
            if values is None or not pd.api.types.is_string_dtype(values.dtype):  # numbers: the library's C23
                continue
            present = values.notna().to_numpy()
            unseen = present & ~values.isin(keys).to_numpy()
            self.counts[column][0] += int(unseen.sum())
            self.counts[column][1] += int(present.sum())
            if not unseen.any():
                continue
            if column not in self.first:
                first = int(np.flatnonzero(unseen)[0])
                self.first[column] = (rows_before + first, values.iloc[first])
            if len(self.integers[column]):
                self._refuse_integers_written_otherwise(column, values, unseen, rows_before)

    def _refuse_integers_written_otherwise(
        self, column: str, values: pd.Series, unseen: np.ndarray, rows_before: int
    ) -> None:
        from decimal import Decimal, InvalidOperation

        import numpy as np
        import pandas as pd

        distinct = pd.unique(values[unseen].astype(str))  # the unseen texts, once each
        numbers = pd.to_numeric(pd.Series(distinct), errors="coerce").to_numpy(dtype=np.float64)
        integers = self.integers[column]
        # numerically equal to a category (through float64, which rounds equal values alike; the
        # digits are compared exactly below): mostly none, else the first is refused
        candidates = np.isin(numbers, integers.index.to_numpy(dtype=np.float64))
        for text in distinct[candidates]:
            try:
                exact = Decimal(str(text).strip())
            except InvalidOperation:
                continue
            if exact != exact.to_integral_value() or int(exact) not in integers.index:
                continue
            category = integers.loc[int(exact)]
            category = category.iloc[0] if isinstance(category, pd.Series) else category
            row = rows_before + int(np.flatnonzero((values.astype(str) == text).to_numpy() & unseen)[0])
            raise BadInput(
                f"column {column!r} of {str(self.source)!r}: data row {row + 1:,} holds {text!r}, a category the model "
                f"{self.model_path!r} never saw, which is its category {category!r} written otherwise; the model matches "
                "the categories of a text column (such as a --categorical-features column of a CSV) by their text as "
                "written at fit, so that codes keep their leading zeros: write the column's codes as the file it was "
                "fitted on wrote them"
            )

    def warn(self) -> None:
        """Warn of each column whose values were mostly categories unseen at fit."""
        for column, (unseen, present) in self.counts.items():
            if unseen and 2 * unseen >= present:
                row, value = self.first[column]
                warnings.warn(
                    f"column {column!r}: {unseen:,} of the {present:,} values of {str(self.source)!r} are categories the "
                    f"model {self.model_path!r} never saw at fit (first {value!r}, in data row {row + 1:,}); it places "
                    "them without their category, as any unseen one: check that the column holds the codes it held at fit",
                    UserWarning,
                    stacklevel=2,
                )


def _check_model_columns(frame: pd.DataFrame, model: Any, model_path: str, source: Path) -> None:
    missing = [str(c) for c in model.feature_names_ if c not in frame.columns]
    if missing:
        raise BadInput(
            f"{str(source)!r} lacks column {missing[0]!r}, which the model {model_path!r} was fitted on "
            f"({len(missing)} of its {len(model.feature_names_)} columns are missing)"
        )


def _check_model_folder(path: str | None) -> None:
    if path is not None and not Path(path).parent.is_dir():
        raise BadInput(f"the folder of --model {path!r} does not exist")
    if path is not None and Path(path).is_dir():
        raise BadInput(f"--model {path!r} is a folder; give the model file's name (e.g. model.hvrt)")


def _same_file(first: Path, second: Path) -> bool:
    """Whether two paths name one file: the same file on disk (links and ``./`` included), or
    the same path when the second does not exist yet."""
    try:
        return os.path.samefile(first, second)
    except OSError:  # one of them does not exist (yet)
        return first.resolve() == second.resolve()


def _check_not_input(source: Path, target: Path, output: str, column: str, overwrite_input: bool) -> None:
    """Refuse an OUTPUT that is INPUT unless ``--overwrite-input`` says so, as ``cp`` refuses to copy a
    file onto itself: the file would be replaced by its rows plus a column, and running the same
    command again would then fail on that column."""
    if not overwrite_input and _same_file(source, target):
        raise BadInput(
            f"output {output!r} is the input file; write to another file, or pass --overwrite-input "
            f"to replace the input with its rows plus the {column!r} column"
        )


def _check_model_not_data(model_path: str | None, source: Path, target: Path | None) -> None:
    """A model saved over the input or the output would replace that table (no flag allows it)."""
    if model_path is None:
        return
    for path, role in ((source, "input"), (target, "output")):
        if path is not None and _same_file(path, Path(model_path)):
            raise BadInput(
                f"--model {model_path!r} is the {role} file; saving the model there would replace that table: "
                "give the model its own file (e.g. model.hvrt)"
            )


def _check_output_not_model(model_path: str, target: Path, output: str, what: str) -> None:
    """An output written over the --model it is made with would replace the model (no flag allows it)."""
    if _same_file(Path(model_path), target):
        raise BadInput(f"output {output!r} is the --model file; write the {what} to another file")


def _save_model(model: Any, path: str, metadata: dict) -> Path:
    from .persistence import save

    return save(model, Path(path), metadata=metadata)


def _check_free_column(frame: pd.DataFrame, column: str, source: Path) -> None:
    if column in frame.columns:
        raise BadInput(f"{str(source)!r} already has a {column!r} column; rename it first")


def _warn_of_k_beyond_rows(k: int | None, rows: int, least: int, source: Path) -> None:
    """Warn when ``-k`` asks for more partitions than ``rows`` can fill at ``least`` rows each.

    The partitioner, as scikit-learn's ``max_leaf_nodes``, takes ``-k`` as a bound and grows
    what the rows allow, without a word: ``-k 500`` on 30 rows gave 30 partitions of one row,
    most likely a -k meant for a larger file. A warning, not an error: the output is what the
    library gives for that bound, and a script running one -k over files of several sizes
    keeps working on the small ones.
    """
    most = rows // least
    if k is None or k <= most:
        return
    if least == 1:
        what = f"{str(source)!r} has rows ({rows:,}): the partitioner grows at most {_count(most, 'partition')}, of one row each"
    else:
        what = (
            f"the {_count(rows, 'row')} of {str(source)!r} can fill at {least} rows each (the least a local model "
            f"gets): the regressor grows at most {_count(most, 'partition')}"
        )
    warnings.warn(f"-k {k} asks for more partitions than {what}; give a smaller -k", UserWarning, stacklevel=2)


# --------------------------------------------------------------------------- commands


@click.group(cls=_HvrtGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="hvrt", message="%(prog)s %(version)s")
def cli() -> None:
    """H-VRT: fine-grained partitions of tabular data, local models on them, and reports.

    Files are CSV or Parquet, by extension. Results go to stdout, progress to stderr.

    \b
    Exit status:
      0    done
      1    the system refused a file (permission, a full disk), or a missing extra
      2    bad input (a file, a column, an option): one line on stderr
      130  interrupted
    """


@cli.command(short_help="Partition INPUT; write its rows plus a 'partition' column.")
@click.argument("input_path", metavar="INPUT")
@click.option("-k", "--partitions", "k", type=click.IntRange(min=2), default=None,
              help="Number of partitions, at most (at most the rows; default: sqrt(rows), clipped to [2, 4096]).")
@click.option("--target", type=click.Choice(["sum", "features"]), default="sum", show_default=True,
              help="Synthetic target: the sum of the scaled features, or one output per feature.")
@click.option("--y", "y_columns", multiple=True, metavar="COL",
              help="A numeric column that guides the partitions (repeatable); it is not a feature.")
@click.option("--y-weight", "y_weight", type=click.FloatRange(0.0, 1.0), default=None,
              help="Share of the target that --y carries (default 0.5): 0 ignores it, 1 partitions on --y alone.")
@click.option("--columns", "columns", multiple=True, metavar="A,B,...",
              help="Feature columns (comma-separated or repeated; default: every column but --y).")
@click.option("--engine", type=click.Choice(["auto", "exact", "hist"]), default="auto", show_default=True,
              help="exact (scikit-learn's tree), hist (histograms), or auto: hist from 50,000 rows.")
@_category_encoding_option("native on the hist engine, ohe on the exact one")
@_categorical_features_option
@click.option("-o", "--output", required=True, metavar="OUTPUT", help="The input rows plus a 'partition' column.")
@click.option("--model", "model_path", metavar="PATH", help="Save the fitted partitioner here (for `hvrt label`).")
@_overwrite_input_option(PARTITION_COLUMN)
@_quiet_option
def partition(input_path: str, k: int | None, target: str, y_columns: tuple[str, ...], y_weight: float | None,
              columns: tuple[str, ...], engine: str, category_encoding: str, categorical_features: tuple[str, ...], output: str,
              model_path: str | None, overwrite_input: bool, quiet: bool) -> None:
    """Partition INPUT and write its rows with a 'partition' column to OUTPUT."""
    y_columns = tuple(dict.fromkeys(y_columns))  # --y price --y price: one guide
    if y_weight is not None and not y_columns:
        raise BadInput("--y-weight is the share of the target that --y carries; name the --y column(s) it weighs")
    source, fmt = _input_path(input_path)
    target_path, out_fmt = _output_path(output)
    _check_not_input(source, target_path, output, PARTITION_COLUMN, overwrite_input)
    _check_model_folder(model_path)
    _check_model_not_data(model_path, source, target_path)
    progress = Progress(quiet)
    listed = _columns_option(categorical_features)
    progress.step(f"reading {source}")
    frame = read_table(source, fmt, [name for name in listed if name not in set(y_columns)])
    _check_columns(frame, y_columns, "--y", source, repeatable=True)
    _numeric_target(frame, y_columns, source)
    X = _features(frame, _columns_option(columns), y_columns, source)
    categorical = _categorical(frame, X, listed, y_columns, source)
    _check_free_column(frame, PARTITION_COLUMN, source)
    _warn_of_k_beyond_rows(k, len(frame), 1, source)

    from .partitioner import HVRTPartitioner

    start = time.perf_counter()
    model = HVRTPartitioner(
        k if k is not None else "auto", target=target, y_weight=0.5 if y_weight is None else y_weight, engine=engine,
        category_encoding=category_encoding, categorical_features=categorical, verbose=progress.enabled,
    )
    model.fit(X, frame[list(y_columns)] if y_columns else None)
    seconds = time.perf_counter() - start
    progress.step(f"writing {target_path}")
    write_rows_plus(source, fmt, frame, PARTITION_COLUMN, model.labels_, target_path, out_fmt)
    sizes = model.partition_sizes_
    _say(quiet, f"partitioned {_count(len(frame), 'row')} x {_count(X.shape[1], 'column')} into "
                f"{_count(model.n_partitions_, 'partition')} (engine {model.engine_}, {seconds:.2f} s); "
                f"sizes min {sizes.min()} / median {_median(sizes):g} / max {sizes.max()}")
    _say(quiet, f"wrote {target_path}")
    if model_path:
        saved = _save_model(model, model_path, _column_metadata(X, list(y_columns), categorical or ()))
        _say(quiet, f"saved the partitioner to {saved}")


def _check_predictions(values: Any, rows_before: int, source: Path, model_path: str) -> None:
    """Refuse to write a prediction that is missing (an empty field, exit 0, was written before)."""
    import numpy as np

    missing = np.isnan(np.asarray(values, dtype=np.float64))
    if missing.any():
        raise BadInput(
            f"the model {model_path!r} gave no prediction for {int(missing.sum()):,} row(s) of {str(source)!r}, "
            f"first data row {rows_before + int(np.flatnonzero(missing)[0]) + 1:,}; nothing was written"
        )


def _median(values: Any) -> float:
    import numpy as np

    return float(np.median(values))


def _chunked(command: str, kind: str, column: str, input_path: str, model_path: str, output: str,
             chunk_rows: int, overwrite_input: bool, quiet: bool) -> None:
    """``label`` and ``predict``: read INPUT in chunks, add ``column``, append to OUTPUT."""
    from ._atomic import atomic_path

    source, fmt = _input_path(input_path)
    target_path, out_fmt = _output_path(output)
    _check_not_input(source, target_path, output, column, overwrite_input)
    _check_output_not_model(model_path, target_path, output, "labels" if command == "label" else "predictions")
    progress = Progress(quiet)
    model, metadata = _load_model(model_path, kind, command)
    categories = _UnseenCategories(_text_categories(model, metadata), source, model_path)
    rows = chunks = 0
    copy = out_fmt == fmt  # the input's rows copied as written (hvrt._row_copy), else as read
    text = None
    with atomic_path(target_path) as temporary, ExitStack() as stack:
        if copy:
            from ._row_copy import RowCopyWriter

            writer: Any = RowCopyWriter(temporary, out_fmt, column, source)
        else:
            writer = ChunkWriter(temporary, out_fmt)
        if fmt == "parquet":
            pairs = _parquet_chunks(
                source, chunk_rows, metadata.get("date_columns", ()), metadata.get("duration_columns", ()),
                metadata.get("text_columns", ()),
            )
        else:
            pairs = ((chunk, None) for chunk in iter_chunks(
                source, fmt, chunk_rows, metadata.get("text_columns", ()), metadata.get("date_columns", ()),
                metadata.get("duration_columns", ()),
            ))  # fmt: skip
        with progress.bar(count_rows(source, fmt), f"{command} {source.name}") as bar:
            for chunk, batch in pairs:
                if chunks == 0:
                    _check_free_column(chunk, column, source)
                    _check_model_columns(chunk, model, model_path, source)
                if len(chunk) == 0:
                    continue
                categories.check(chunk, rows)
                if copy and fmt == "csv" and text is None:  # opened after the typed read checked the file
                    from ._row_copy import CsvRows

                    text = stack.enter_context(closing(CsvRows(source)))
                values = model.predict(chunk)
                if command == "predict":
                    _check_predictions(values, rows, source, model_path)
                if not copy:
                    writer.write(chunk.assign(**{column: values}))
                else:
                    writer.write(batch if text is None else _take_text(text, len(chunk), source), values)
                rows += len(chunk)
                chunks += 1
                bar.update(len(chunk))
        if rows == 0:
            raise BadInput(f"input {str(source)!r} has no rows")
        categories.warn()
        if text is not None:
            _check_all_taken(text, source)
        writer.close()
    what = "labelled" if command == "label" else "predicted"
    _say(quiet, f"{what} {_count(rows, 'row')} in {chunks} chunk(s) with {model_path}; wrote {target_path}")


@cli.command()
@click.argument("input_path", metavar="INPUT")
@click.option("--model", "model_path", required=True, metavar="PATH", help="A partitioner saved by `hvrt partition --model` (or by hvrt.save in Python).")
@click.option("-o", "--output", required=True, metavar="OUTPUT", help="The input rows plus a 'partition' column.")
@click.option("--chunk-rows", type=click.IntRange(min=1), default=DEFAULT_CHUNK_ROWS, show_default=True,
              help="Rows read, labelled and written at a time (bounds the memory used).")
@_overwrite_input_option(PARTITION_COLUMN)
@_quiet_option
def label(input_path: str, model_path: str, output: str, chunk_rows: int, overwrite_input: bool, quiet: bool) -> None:
    """Label INPUT with a saved partitioner, in chunks, into OUTPUT."""
    _chunked("label", "HVRTPartitioner", PARTITION_COLUMN, input_path, model_path, output, chunk_rows, overwrite_input, quiet)


@cli.command(short_help="The partitions of a saved model as pandas queries.")
@click.option("--model", "model_path", required=True, metavar="PATH",
              help="A partitioner (`hvrt partition --model`) or a regressor (`hvrt regress --model`).")
@click.option("-o", "--output", default=None, metavar="OUTPUT",
              help="Write the rules as a table (CSV or Parquet) instead of printing them.")
@click.option("--precision", type=click.IntRange(min=1), default=None,
              help="Significant digits of numeric bounds, for reading (default: exact bounds); date and "
                   "duration bounds become the coarsest whole day, hour, ..., microsecond between the "
                   "training values the split separates.")
@click.option("--missing", type=click.Choice(["all", "fit"]), default="all", show_default=True,
              help="Say where missing values go in every constrained column, or only in those that had gaps at fit.")
@_quiet_option
def rules(model_path: str, output: str | None, precision: int | None, missing: str, quiet: bool) -> None:
    """The partitions of a saved model as pandas queries, one per partition.

    `DataFrame.query(rule, engine="python")` selects exactly the rows the model puts in
    that partition (rounded bounds from --precision are for reading only), on the file as
    hvrt reads it: a --categorical-features column of a CSV is text (read it with
    `pd.read_csv(path, dtype={"zip": str})`; a warning names such columns).
    """
    from .persistence import load, model_info

    target = None if output is None else _output_path(output)
    if target is not None:
        _check_output_not_model(model_path, target[0], output, "rules")
    info = model_info(model_path)
    model = load(model_path)
    partitioner = model.partitioner_ if info.kind == "PartitionedRegressor" else model
    _warn_of_text_digits(model, info.metadata or {})
    # A regressor's partitions grow on the global ridge's residual (or on y, or X alone): the
    # mean of that guide is not the mean of y, so it is not called y_mean.
    guide = getattr(model, "partition_on_", "y") if info.kind == "PartitionedRegressor" else "y"
    if target is None:
        text = partitioner.export_rules(precision, missing=missing)
        if guide == "residual":
            text = "\n".join(line.replace("  y_mean=", "  residual_mean=", 1) for line in text.split("\n"))
        click.echo(text)
        return
    table = partitioner.partition_rules(precision, missing=missing).reset_index()
    if guide == "residual":
        table = table.rename(columns={"y_mean": "residual_mean"})
    write_table(table, *target)
    _say(quiet, f"wrote the rules of {_count(len(table), 'partition')} of {model_path} to {target[0]}")


def _warn_of_text_digits(model: Any, metadata: dict) -> None:
    """Warn that rules compare a text column of digits as text (``zip in ['02134']``).

    The command line read the column as text (a ``--categorical-features`` column of a CSV):
    ``pd.read_csv`` reads it as numbers, and the rules then select no row (or, negated, every
    row) without an error; read as text, they select exactly their partitions.
    """
    import pandas as pd

    digits = [
        column for column, keys in _text_categories(model, _reading_metadata(model, metadata)).items()
        if len(keys) and pd.Series(keys.astype(str)).str.fullmatch(_INTEGER_TEXT).all()
    ]  # fmt: skip
    if digits:
        dtypes = ", ".join(f"{column!r}: str" for column in digits)
        warnings.warn(
            f"column(s) {', '.join(map(repr, digits))} were read as text at fit (as a CSV's --categorical-features column is), "
            f"so the rules compare their codes as text ({digits[0]} in ['...']); a plain pd.read_csv reads them as numbers, "
            f"which such a rule never matches: read the file with pd.read_csv(path, dtype={{{dtypes}}}) to query it",
            UserWarning,
            stacklevel=2,
        )


@cli.command(short_help="Fit a PartitionedRegressor of --y on INPUT; save it for predict.")
@click.argument("input_path", metavar="INPUT")
@click.option("--y", "y_columns", required=True, multiple=True, metavar="COL", help="The numeric column to predict.")
@click.option("-k", "--partitions", "k", type=click.IntRange(min=2), default=None,
              help="Number of partitions, at most (default 256, of at least 20 rows each: at most rows / 20).")
@click.option("--columns", "columns", multiple=True, metavar="A,B,...",
              help="Feature columns (comma-separated or repeated; default: every column but --y).")
@click.option("--engine", type=click.Choice(["auto", "exact", "hist"]), default="hist", show_default=True,
              help="The partitioner's engine; hist, the regressor's default, at every size.")
@_category_encoding_option(
    "one-hot for the local models and the partitions, target encoded (with a warning) beyond 64 one-hot inputs"
)
@_categorical_features_option
@click.option("--model", "model_path", required=True, metavar="PATH", help="Save the fitted regressor here (for `hvrt predict`).")
@click.option("-o", "--output", default=None, metavar="OUTPUT", help="Also write the input rows plus a 'prediction' column.")
@_overwrite_input_option(PREDICTION_COLUMN)
@_quiet_option
def regress(input_path: str, y_columns: tuple[str, ...], k: int | None, columns: tuple[str, ...], engine: str,
            category_encoding: str, categorical_features: tuple[str, ...], model_path: str, output: str | None,
            overwrite_input: bool, quiet: bool) -> None:
    """Fit a PartitionedRegressor (a shrunk ridge per partition) of --y on INPUT."""
    given = list(dict.fromkeys(y_columns))
    if len(given) > 1:  # click would keep the last one without a word
        raise BadInput(f"--y is given {len(given)} columns ({', '.join(map(repr, given))}); regress predicts one: give one --y")
    y_column = given[0]
    source, fmt = _input_path(input_path)
    target = _output_path(output) if output else None
    if target is not None:
        _check_not_input(source, target[0], output, PREDICTION_COLUMN, overwrite_input)
    _check_model_folder(model_path)
    _check_model_not_data(model_path, source, None if target is None else target[0])
    progress = Progress(quiet)
    listed = _columns_option(categorical_features)
    progress.step(f"reading {source}")
    frame = read_table(source, fmt, [name for name in listed if name != y_column])
    _check_columns(frame, [y_column], "--y", source)
    _numeric_target(frame, [y_column], source)
    _finite_target(frame[y_column], source)
    if target is not None:
        _check_free_column(frame, PREDICTION_COLUMN, source)
    X = _features(frame, _columns_option(columns), [y_column], source)
    categorical = _categorical(frame, X, listed, [y_column], source)

    from .local_models import PartitionedRegressor, default_partitioner

    partitioner = default_partitioner().set_params(
        engine=engine, category_encoding=category_encoding, categorical_features=categorical
    )
    if k is not None:
        partitioner.set_params(max_leaf_nodes=k)
    _warn_of_k_beyond_rows(k, len(frame), partitioner.min_samples_leaf, source)
    start = time.perf_counter()
    model = PartitionedRegressor(partitioner, verbose=progress.enabled).fit(X, frame[y_column])
    seconds = time.perf_counter() - start
    from ._validation import rounded_integers_warning

    with rounded_integers_warning("elsewhere"):  # the fit warned of these rows (X27), with the fit's advice
        fitted = model.predict(X)
        if target is not None:
            _check_predictions(fitted, 0, source, model_path)
        # R² of one row is not defined (scikit-learn warns and gives nan)
        r2 = f"{model.score(X, frame[y_column]):.4f}" if len(frame) > 1 else "not defined on 1 row"
    saved = _save_model(model, model_path, _column_metadata(X, [y_column], categorical or ()))
    _say(quiet, f"fitted {_count(model.n_partitions_, 'local model')} of {y_column!r} on {_count(len(frame), 'row')} in {seconds:.2f} s "
                f"(partitions grown on {model.partition_on_}, shrinkage {model.shrinkage_:g}); training R² {r2}")
    _say(quiet, f"saved the regressor to {saved}")
    if target is not None:
        write_rows_plus(source, fmt, frame, PREDICTION_COLUMN, fitted, *target)
        _say(quiet, f"wrote {target[0]}")


@cli.command()
@click.argument("input_path", metavar="INPUT")
@click.option("--model", "model_path", required=True, metavar="PATH", help="A regressor saved by `hvrt regress --model` (or by hvrt.save in Python).")
@click.option("-o", "--output", required=True, metavar="OUTPUT", help="The input rows plus a 'prediction' column.")
@click.option("--chunk-rows", type=click.IntRange(min=1), default=DEFAULT_CHUNK_ROWS, show_default=True,
              help="Rows read, predicted and written at a time (bounds the memory used).")
@_overwrite_input_option(PREDICTION_COLUMN)
@_quiet_option
def predict(input_path: str, model_path: str, output: str, chunk_rows: int, overwrite_input: bool, quiet: bool) -> None:
    """Predict INPUT with a saved regressor, in chunks, into OUTPUT."""
    _chunked("predict", "PartitionedRegressor", PREDICTION_COLUMN, input_path, model_path, output, chunk_rows,
             overwrite_input, quiet)


@cli.command(short_help="Profile the partitions of INPUT into the --out folder.")
@click.argument("input_path", metavar="INPUT")
@click.option("--labels", "labels_column", required=True, metavar="COL",
              help="The column that holds the partition labels: integers or text, such as the 'partition' column "
                   "`hvrt partition` writes (whole-number floats such as 2.0 are read as integers); every row needs one.")
@click.option("--columns", "columns", multiple=True, metavar="A,B,...",
              help="Columns to profile (default: every column but the labels).")
@click.option("--out", "out_dir", required=True, metavar="DIR", help="Folder for the tables, figures and report.html.")
@_quiet_option
def profile(input_path: str, labels_column: str, columns: tuple[str, ...], out_dir: str, quiet: bool) -> None:
    """Profile the partitions of INPUT (tables, figures, summary.json, report.html) into the --out folder."""
    source, fmt = _input_path(input_path)
    out = _check_out_folder(out_dir)
    progress = Progress(quiet)
    progress.step(f"reading {source}")
    frame = read_table(source, fmt)
    _check_columns(frame, [labels_column], "--labels", source)
    _labelled_rows(frame[labels_column], source)
    frame[labels_column] = _integer_labels(frame[labels_column], source)
    _several_partitions(frame[labels_column], source)
    X = _features(frame, _columns_option(columns), [labels_column], source, "--labels", "profile")
    progress.step("profiling")
    report = write_profile(X, frame[labels_column], out)
    _say(quiet, f"profiled {_count(len(frame), 'row')} in {_count(frame[labels_column].nunique(), 'partition')}; wrote {out}")
    _say(quiet, str(report))


def _labelled_rows(labels: pd.Series, source: Path) -> None:
    """Every row needs a --labels value: say which column and which data row of the file (as C31)."""
    import numpy as np

    missing = labels.isna().to_numpy()
    if missing.any():
        raise BadInput(
            f"--labels column {labels.name!r} of {str(source)!r} has {int(missing.sum()):,} missing value(s), first in "
            f"data row {int(np.flatnonzero(missing)[0]) + 1:,}; every row needs a partition label (drop those rows)"
        )


def _several_partitions(labels: pd.Series, source: Path) -> None:
    """A profile compares partitions: refuse a --labels column of one value, naming it and the file
    (the library's A7 named neither: "labels holds 1 distinct partition(s)")."""
    if labels.nunique() < 2:
        raise BadInput(
            f"--labels column {labels.name!r} of {str(source)!r} holds one partition label ({labels.iloc[:1].tolist()[0]!r} in every "
            "row); a profile compares partitions, at least 2: give --labels the column that holds the partition labels "
            "(such as the 'partition' column `hvrt partition` writes)"
        )


def _integer_labels(labels: pd.Series, source: Path) -> pd.Series:
    """``labels`` of floats as integers, which they must all be (``2.0``); any other column as it is.

    A CSV column of labels is read as floats when a value is written ``2.0`` (or when it
    had a gap, refused before by :func:`_labelled_rows`): whole numbers are the partitions
    ``2``, ... they name. A value such as ``2.5`` names no partition ``hvrt partition``
    writes: the column is most likely a feature (the profile would be one partition per
    distinct value, without a word), so it is refused, with its first such value and row.
    """
    import numpy as np
    import pandas as pd

    from ._validation import whole_float_labels

    if labels.dtype.kind != "f":
        return labels
    values = labels.to_numpy(dtype=np.float64)
    whole = whole_float_labels(values)  # the library's rule (label_codes), with the CLI's message
    if not whole.all():
        first = int(np.flatnonzero(~whole)[0])
        raise BadInput(
            f"--labels column {labels.name!r} of {str(source)!r} holds {int((~whole).sum()):,} value(s) that are not "
            f"whole numbers, first {float(values[first])!r} in data row {first + 1:,}; partition labels are integers or text "
            "(such as the 'partition' column `hvrt partition` writes): give --labels the column that holds them"
        )
    return pd.Series(values.astype(np.int64), index=labels.index, name=labels.name)


def write_profile(X: pd.DataFrame, labels: Any, out: Path) -> Path:
    """Profile into ``out`` with the profiler's own writer; return the path of ``report.html``.

    The profiler computes every table and renders every figure, and checks that nothing in
    ``out`` stands where a file goes, before it writes a file, so a run that fails on its
    input or on ``out`` leaves ``out`` as it was (a folder it had just made is removed again);
    a re-run removes only what the earlier run wrote (its ``hvrt_manifest.json``), never a
    file or folder of the user's. Each file replaces a link at its place rather than writing
    through it, and a feature whose folder name a file or a link of the user's holds is
    written to ``<name>_2`` (a warning says so). (Moving a finished run in from a staging
    folder replaced any folder named like a feature, with the user's files in it, and left
    the earlier run's files.)

    Parameters
    ----------
    X : DataFrame
        The columns to profile.
    labels : array-like
        The partition label of each row of ``X``.
    out : Path
        The report's folder; made if it does not exist (its parent must).

    Returns
    -------
    Path
        ``out / "report.html"``.

    Raises
    ------
    IsADirectoryError
        If a folder in ``out`` stands where the report writes a file (see docs/errors.md, F6).
    """
    from .profiler import PartitionProfiler

    made = not out.exists()
    try:
        PartitionProfiler(X, labels, output_path=out).run_profiling()
    except BaseException:
        if made and out.is_dir() and not any(out.iterdir()):
            out.rmdir()
        raise
    return out / "report.html"


def _check_out_folder(out_dir: str) -> Path:
    out = Path(out_dir)
    if not out.parent.is_dir():
        raise BadInput(f"the folder of --out {out_dir!r} does not exist")
    if out.exists() and not out.is_dir():
        raise BadInput(f"--out {out_dir!r} is a file; give a folder for the report")
    return out


@cli.command(short_help="The whole job on demo data: partitions, local models, a report.")
@click.option("--out", "out_dir", default="hvrt-demo", show_default=True, metavar="DIR",
              help="Folder for the profiler's report of the demo partitions.")
@click.option("--rows", type=click.IntRange(min=1000), default=None, help="Rows of demo data (default 250,000).")
@_quiet_option
def demo(out_dir: str, rows: int | None, quiet: bool) -> None:
    """The whole job on embedded data: partition, local models against Ridge, a report."""
    from . import demo as demo_job

    out = _check_out_folder(out_dir)
    progress = Progress(quiet)
    demo_job.run(
        out,
        n_samples=rows or demo_job.DEMO_ROWS,
        echo=(lambda text: None) if quiet else click.echo,
        write_report=lambda X, labels, folder: write_profile(X, labels, folder),
        verbose=progress.enabled,
    )


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Run the command line (the ``hvrt`` console script and ``python -m hvrt``).

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; ``None`` reads ``sys.argv``.
    """
    cli.main(args=list(argv) if argv is not None else None, prog_name="hvrt")
