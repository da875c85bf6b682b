"""The command line's outputs as copies of the input's rows plus one new column.

``hvrt partition``, ``label``, ``predict`` and ``regress -o`` write the input's rows with a
column added. Writing the frame the model read would rewrite the user's own columns: a CSV
has no types, so pandas reads ``05004`` as 5004, ``TRUE`` as True, ``NA`` as a gap, a long
decimal as the nearest float and a time with an offset as an instant in UTC, and writes them
back changed. So a CSV output of a CSV input copies the input's cells as text (read as text,
no value taken for missing), and a Parquet output of a Parquet input copies its record
batches as stored, types and all; the model reads the typed frame separately. A CSV's
layout is kept too: its byte-order mark, its line ends and its header as written (a
nameless column stays nameless). Quoting is redone: a cell is quoted when it holds a comma,
a quote or a line break, and only then.

The text is read by pyarrow's CSV reader (when installed: several times faster than pandas'
text columns), which refuses every line pandas reads otherwise that was found (a line of
spaces, a field that starts with a space then a quote, ragged rows); then, and without
pyarrow, by pandas. Either way, the number of rows read as text must be the number read as
a table, or the copy is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

BOM = b"\xef\xbb\xbf"
_NEEDS_QUOTES = r'[,"\r\n]'
_SKIP_BLOCK = 100_000  # rows passed at a time when the text reader changes to pandas mid-file
_BLOCK_BYTES = 1 << 20  # bytes pyarrow's reader parses at a time (its default)


def _arrow() -> Any:
    """pyarrow and its CSV and compute modules, or None when it is not installed."""
    try:
        import pyarrow as pa
        import pyarrow.compute
        import pyarrow.csv
    except ImportError:
        return None
    return pa


def csv_layout(path: Path) -> tuple[bool, str]:
    """Whether ``path`` starts with a UTF-8 byte-order mark, and its line end (``\\n``, ``\\r\\n``, ``\\r``)."""
    with open(path, "rb") as handle:
        head = handle.read(1 << 16)
    bom = head.startswith(BOM)
    ends = [position for position in (head.find(b"\r"), head.find(b"\n")) if position >= 0]
    if not ends:
        return bom, "\n"
    first = min(ends)
    if head[first : first + 1] == b"\n":
        return bom, "\n"
    return bom, "\r\n" if head[first + 1 : first + 2] == b"\n" else "\r"


def header_names(path: Path) -> list[str]:
    """The names of the CSV header as written (a blank name stays blank; the byte-order mark is not one)."""
    return pd.read_csv(path, header=None, nrows=1, dtype=object, keep_default_na=False, na_filter=False).iloc[0].tolist()


class CsvRows:
    """The data rows of a CSV file as text, as written, in blocks of the sizes asked for.

    Parameters
    ----------
    path : Path
        The CSV file (its header already checked by the command line).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.names = header_names(path)
        self.taken = 0
        self._pending: list[Any] = []  # Arrow batches read and not yet taken
        self._pending_rows = 0
        self._arrow_reader: Any = None
        self._pandas_reader: Any = None
        pa = _arrow()
        # one column: pyarrow reads a line of spaces as a value, pandas skips it
        if pa is not None and len(self.names) >= 2:
            try:
                self._arrow_reader = pa.csv.open_csv(
                    path,
                    read_options=pa.csv.ReadOptions(block_size=_BLOCK_BYTES),
                    parse_options=pa.csv.ParseOptions(newlines_in_values=True),
                    convert_options=pa.csv.ConvertOptions(
                        column_types={name: pa.string() for name in self.names},
                        null_values=[], strings_can_be_null=False, quoted_strings_can_be_null=False,
                    ),
                )  # fmt: skip
            except (pa.ArrowInvalid, pa.ArrowTypeError, OSError):
                self._arrow_reader = None
            if self._arrow_reader is not None and not self._all_text(self._arrow_reader.schema):
                self._arrow_reader = None
        if self._arrow_reader is None:
            self._open_pandas()

    def _all_text(self, schema: Any) -> bool:
        pa = _arrow()
        return schema.names == self.names and all(pa.types.is_string(field.type) for field in schema)

    def _open_pandas(self) -> None:
        """Read the rest with pandas, from the first row not yet taken."""
        self._arrow_reader = None
        self._pending, self._pending_rows = [], 0
        self._pandas_reader = pd.read_csv(self.path, dtype=object, keep_default_na=False, na_filter=False, iterator=True)
        for start in range(0, self.taken, _SKIP_BLOCK):  # once, when pyarrow refused a late block
            self._pandas_reader.get_chunk(min(_SKIP_BLOCK, self.taken - start))

    def take(self, n: int) -> Any:
        """The next ``n`` rows (fewer at the end of the file): a pyarrow Table of strings, or a
        DataFrame of str when pandas reads them."""
        if self._arrow_reader is not None:
            block = self._take_arrow(n)
            if block is not None:
                self.taken += block.num_rows
                return block
        try:
            block = self._pandas_reader.get_chunk(n)
        except StopIteration:
            block = pd.DataFrame(columns=self.names, dtype=object)
        self.taken += len(block)
        return block

    def _take_arrow(self, n: int) -> Any:
        """``n`` rows from pyarrow's reader, or None when it refuses the file (pandas reads on)."""
        pa = _arrow()
        while self._pending_rows < n:
            try:
                batch = self._arrow_reader.read_next_batch()
            except StopIteration:
                break
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                self._open_pandas()
                return None
            self._pending.append(batch)
            self._pending_rows += batch.num_rows
        table = pa.Table.from_batches(self._pending, schema=self._arrow_reader.schema)
        block, rest = table.slice(0, n), table.slice(n)
        self._pending, self._pending_rows = rest.to_batches(), rest.num_rows
        return block

    def exhausted(self) -> bool:
        """Whether every row has been taken (a row more is read to see)."""
        return block_rows(self.take(1)) == 0

    def close(self) -> None:
        if self._pandas_reader is not None:
            self._pandas_reader.close()


def block_rows(block: Any) -> int:
    """The number of rows of a block: a DataFrame, or an Arrow table or record batch."""
    return len(block) if isinstance(block, pd.DataFrame) else block.num_rows


def _pandas_metadata_with(schema: Any, column: str, arrow_type: Any) -> dict | None:
    """``schema``'s metadata with ``column`` in its pandas part, whose column names are then text.

    A frame with integer (or tuple) column names, written by pandas, says in its metadata to
    make the stored names integers again (or tuples): with the added column (``partition``)
    pandas could not read the output (``invalid literal for int()``). Its column index
    becomes one level of text, as for a frame with text names (``0`` reads back ``'0'``).
    """
    import json

    metadata = schema.metadata
    pandas = schema.pandas_metadata
    if pandas is None:
        return metadata
    text = {"name": None, "field_name": None, "pandas_type": "unicode", "numpy_type": "object",
            "metadata": {"encoding": "UTF-8"}}  # fmt: skip
    levels = pandas.get("column_indexes", [])
    if len(levels) != 1 or levels[0].get("pandas_type") != "unicode":
        pandas["column_indexes"] = [text]
    kind = {"int64": "int64", "double": "float64"}.get(str(arrow_type), "object")  # labels, predictions
    entry = {"name": column, "field_name": column, "pandas_type": kind, "numpy_type": kind, "metadata": None}
    pandas["columns"] = [*pandas.get("columns", []), entry]
    return {**metadata, b"pandas": json.dumps(pandas).encode()}


class RowCopyWriter:
    """Writes blocks of the input's rows (from :class:`CsvRows`, or Parquet record batches) with
    one column added, to a CSV or Parquet file.

    Parameters
    ----------
    path : Path
        The (temporary) file to write.
    fmt : {"csv", "parquet"}
        Its format, which is the input's.
    column : str
        The name of the column added.
    source : Path
        The input file (a CSV output keeps its byte-order mark, line end and header).
    """

    def __init__(self, path: Path, fmt: str, column: str, source: Path) -> None:
        self.path = path
        self.fmt = fmt
        self.column = column
        self.source = source
        self.rows = 0
        self._parquet: Any = None
        self._schema: Any = None
        self._eol = "\n"

    def _start_csv(self) -> None:
        """The header as written, behind the input's byte-order mark (at the first write: a file the
        reader cannot parse is reported by the typed read, which comes first)."""
        bom, self._eol = csv_layout(self.source)
        names = [*header_names(self.source), self.column]
        with open(self.path, "wb") as handle:
            if bom:
                handle.write(BOM)
            handle.write(_text_lines(pd.DataFrame([names], dtype=object), None, self._eol))

    def write(self, block: Any, values: np.ndarray) -> None:
        """Append ``block`` (rows of the input) with ``values`` as the new column."""
        if block_rows(block) != len(values):
            raise ValueError(f"{len(values)} values for {block_rows(block)} rows")  # a bug, never the user's input
        if self.fmt == "csv":
            if self.rows == 0:
                self._start_csv()
            with open(self.path, "ab") as handle:
                handle.write(_text_lines(block, values, self._eol))
        else:
            self._write_batch(block, values)
        self.rows += len(values)

    def _write_batch(self, batch: Any, values: np.ndarray) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        added = pa.array(values)
        if self._parquet is None:
            schema = batch.schema.append(pa.field(self.column, added.type))
            self._schema = schema.with_metadata(_pandas_metadata_with(schema, self.column, added.type))
            self._parquet = pq.ParquetWriter(self.path, self._schema)
        added = added.cast(self._schema.field(self.column).type)
        self._parquet.write_batch(pa.RecordBatch.from_arrays([*batch.columns, added], schema=self._schema))

    def close(self) -> None:
        """Finish the file (a Parquet footer)."""
        if self._parquet is not None:
            self._parquet.close()


def _text_lines(block: Any, values: np.ndarray | None, eol: str) -> bytes:
    """The CSV lines (UTF-8) of ``block``'s text cells plus ``values`` as the last field of each."""
    pa = _arrow()
    if pa is None:
        return _pandas_lines(block, values, eol)
    import pyarrow.compute as pc

    if isinstance(block, pd.DataFrame):  # the header, or rows pandas read
        columns = [pa.array(block.iloc[:, j].to_numpy(object), type=pa.large_string()) for j in range(block.shape[1])]
    else:
        columns = [pc.cast(column.combine_chunks(), pa.large_string()) for column in block.columns]
    fields = [_arrow_quoted(column) for column in columns]
    if values is not None:
        fields.append(_arrow_value_text(values))
    if not fields or len(fields[0]) == 0:
        return b""
    comma, end, nothing = (pa.scalar(value, pa.large_string()) for value in (",", eol, ""))
    lines = pc.binary_join_element_wise(*fields, comma)
    lines = pc.binary_join_element_wise(lines, end, nothing)
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[lines.offset : lines.offset + len(lines) + 1]
    return memoryview(lines.buffers()[2])[offsets[0] : offsets[-1]].tobytes()


def _arrow_quoted(column: Any) -> Any:
    """Cells holding a comma, a quote or a line break quoted (quotes doubled), others as they are."""
    import pyarrow as pa
    import pyarrow.compute as pc

    needs = pc.match_substring_regex(column, _NEEDS_QUOTES)
    if not pc.any(needs).as_py():
        return column
    quote, nothing = pa.scalar('"', pa.large_string()), pa.scalar("", pa.large_string())
    quoted = pc.binary_join_element_wise(quote, pc.replace_substring(column, '"', '""'), quote, nothing)
    return pc.if_else(needs, quoted, column)


def _arrow_value_text(values: np.ndarray) -> Any:
    """The new column as text: labels as integers; predictions as the CSV writer's floats (``3.0``
    for a whole number, as pandas writes it), a missing value as an empty field."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from ._csv_output import _column

    values = np.asarray(values)
    column = pa.array(values) if values.dtype.kind in "iub" else _column(values.astype(np.float64))
    return pc.fill_null(pc.cast(column, pa.large_string()), "")


def _pandas_lines(block: pd.DataFrame, values: np.ndarray | None, eol: str) -> bytes:
    """:func:`_text_lines` without pyarrow (the same bytes, but numpy's float text)."""
    fields = [_pandas_quoted(pd.Series(block.iloc[:, j].to_numpy(object))) for j in range(block.shape[1])]
    if values is not None:
        values = np.asarray(values)
        text = values.astype(str).astype(object)
        if values.dtype.kind == "f":
            text[np.isnan(values)] = ""
        fields.append(pd.Series(text))
    if not fields or len(fields[0]) == 0:
        return b""
    lines = fields[0].str.cat(fields[1:], sep=",") if len(fields) > 1 else fields[0]
    return (eol.join(lines.tolist()) + eol).encode()


def _pandas_quoted(column: pd.Series) -> pd.Series:
    needs = column.str.contains(_NEEDS_QUOTES, regex=True)
    if not needs.any():
        return column
    return column.where(~needs, '"' + column.str.replace('"', '""', regex=False) + '"')
