"""Label files in and answers out: the CSV shapes ``crewline quality`` reads and writes.

Ops people run the quality commands on exports from any tool, so the input is the plainest
shape there is: a header naming ``task``, ``worker`` and ``label`` (other columns are
ignored), then one row per label. Exports run to millions of rows, so the file is parsed and
its ids coded by Arrow's C++ reader (a million rows in a fraction of a second, against about
two seconds for Python's ``csv`` module); the slow, exact reader is kept for the error path,
to name the line of a bad row. Ids that are plain decimal integers (every text exactly as the
integer prints, so ``007``, ``-0`` and ``0x1F`` are not) are coded as integers, which skips
trimming and hashing their text; anything else is coded as text, with the same result.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, NoReturn, TextIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from crewline.quality.data import FloatArray, IntArray, LabelTable, unique_ints
from crewline.quality.errors import QualityInputError

COLUMNS = ("task", "worker", "label")
#: The bytes of a decimal integer's text.
_DECIMAL = b"-0123456789"
#: Integers, their distinct values and each one's index among them (``unique_ints``).
_Ints = tuple[IntArray, IntArray, IntArray]


def _header(path: Path) -> list[str]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as stream:
            header = next(csv.reader(stream), None)
    except UnicodeDecodeError:
        raise QualityInputError(f"{path.name} is not UTF-8 text") from None
    if header is None:
        raise QualityInputError(f"{path.name} is empty")
    return [h.strip().lower() for h in header]


def _data_lines(path: Path) -> list[tuple[int, list[str]]]:
    """Every non-blank data row with its line number: the exact (slow) reading, used only to
    say where a problem the fast reader found is."""
    with path.open(newline="", encoding="utf-8-sig") as stream:
        reader = csv.reader(stream)
        next(reader, None)
        return [(reader.line_num, row) for row in reader if any(c.strip() for c in row)]


def _line(path: Path, row: int) -> int:
    """The file line of the ``row``-th data row (0-based, blank lines not counted)."""
    return _data_lines(path)[row][0]


def _columns(path: Path, wanted: tuple[str, ...], *, trim: bool = True) -> list[pa.Array]:
    """The ``wanted`` columns, found by name (case and spaces ignored), whitespace-trimmed
    unless ``trim`` is false."""
    names = _header(path)
    missing = [c for c in wanted if c not in names]
    if missing:
        raise QualityInputError(
            f"{path.name} needs the columns {', '.join(wanted)}; missing {', '.join(missing)}"
        )
    generated = [f"c{i}" for i in range(len(names))]
    picked = [generated[names.index(c)] for c in wanted]
    try:
        table = pa_csv.read_csv(
            path,
            # One thread: with quoted newlines allowed the blocks are found serially anyway,
            # and on the two-core benchmark machine two threads were slower (0.078 s against
            # 0.062 s at a million rows).
            read_options=pa_csv.ReadOptions(skip_rows=1, column_names=generated, use_threads=False),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(
                include_columns=picked,
                column_types=dict.fromkeys(picked, pa.string()),
                strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        for line, row in _data_lines(path):
            if len(row) != len(names):
                raise QualityInputError(
                    f"{path.name} line {line}: expected {len(names)} columns, got {len(row)}"
                ) from None
        raise QualityInputError(f"{path.name}: {exc}") from None
    columns = [table.column(name).combine_chunks() for name in picked]
    return [pc.utf8_trim_whitespace(c) for c in columns] if trim else columns


def _codes(column: pa.Array) -> tuple[IntArray, list[Any]]:
    """Each value's code in first-seen order, and the distinct values."""
    encoded = column.dictionary_encode()
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, encoded.dictionary.to_pylist()


def _exact_ints(column: pa.Array) -> _Ints | None:
    """A column of untrimmed text as integers, when every value is a decimal integer written
    exactly as it prints (``7``, ``-12``; not ``007``, ``+7``, `` 7``, ``-0``, ``0x7``, empty
    or beyond 64 bits): then equal texts are equal integers and back, and coding the integers
    codes the text. Returns the integers with their distinct values and each one's index among
    them (``unique_ints``); None when some value is not such an integer.
    """
    if column.type != pa.string() or column.null_count or not len(column):
        return None
    try:
        ints = pc.cast(column, pa.int64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None  # empty, padded, not an integer, or beyond 64 bits
    _, offsets, data = column.buffers()
    bounds = np.frombuffer(offsets, np.int32)[column.offset : column.offset + len(column) + 1]
    start, end = int(bounds[0]), int(bounds[-1])
    # Only minus signs and digits (Arrow also parses hexadecimal, ``0x1F``).
    if data is None or bytes(memoryview(data)[start:end]).translate(None, _DECIMAL):
        return None
    distinct, inverse = unique_ints(ints)
    if _printed_length(distinct, inverse) != end - start:
        return None
    return ints, distinct, inverse


def _printed_length(distinct: IntArray, inverse: IntArray) -> int:
    """The total length of the integers ``distinct[inverse]`` as they print.

    Every other text of minus signs and digits that parses to an integer (``007``, ``-0``,
    ``-07``) is longer than the integer's own text, so texts of those bytes are exactly the
    integers' iff their total length is this.
    """
    lengths = pc.binary_length(pc.cast(pa.array(distinct), pa.string())).to_numpy()
    return int(lengths.astype(np.int64) @ np.bincount(inverse, minlength=distinct.size))


def _integer_file(path: Path, names: list[str]) -> tuple[_Ints, _Ints, _Ints] | None:
    """``_exact_ints`` of the three columns of a file that holds nothing else: the common
    export, whose every byte after the header is a digit, a minus sign, a comma or a newline.

    Such a file has no quotes, so Arrow may split it across threads, and parses the numbers
    directly instead of building three million strings and casting them (0.07 s against
    0.2 s at a million rows). Exactness is checked on the whole body at once: its length
    less one comma pair and newline per row is the total length of the fields' texts, which
    ``_printed_length`` must match. Anything else (other columns, quotes, spaces, ``\r``,
    blank lines, empty cells) returns None and is read as text.
    """
    if sorted(names) != sorted(COLUMNS):
        return None
    allowed = _DECIMAL + b",\n"
    with path.open("rb") as stream:  # a text file is turned away on its first block
        first = stream.read(1 << 16)
        start = first.find(b"\n") + 1
        header = first[:start]
        if not start or b'"' in header or first[start:].translate(None, allowed):
            return None
        data = first + stream.read()
    # The body's bytes are all allowed iff removing them leaves what it leaves of the header.
    if data.translate(None, allowed) != header.translate(None, allowed):
        return None
    body_length = len(data) - start
    try:
        table = pa_csv.read_csv(
            pa.py_buffer(data).slice(start),  # no copy of the body
            read_options=pa_csv.ReadOptions(column_names=names),
            convert_options=pa_csv.ConvertOptions(column_types=dict.fromkeys(names, pa.int64())),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None  # a short row, a lone minus sign, an integer beyond 64 bits
    # Two commas and a newline a row (the last may lack its newline); a blank line is an
    # extra newline, so a file with one does not add up and is read as text.
    text_length = body_length - 3 * table.num_rows + (not data.endswith(b"\n"))
    columns = []
    for name in COLUMNS:
        column = table.column(name)
        if column.null_count:
            return None  # an empty cell
        ints = column.to_numpy()
        distinct, inverse = unique_ints(ints)
        text_length -= _printed_length(distinct, inverse)
        columns.append((ints, distinct, inverse))
    if text_length or not table.num_rows:
        return None
    return columns[0], columns[1], columns[2]


def _int_codes(distinct: IntArray, inverse: IntArray) -> tuple[IntArray, list[Any]]:
    """``_codes`` of integer ids from their ``unique_ints``: codes in first-seen order, and
    the distinct ids as text (their exact text in the file, which ``_exact_ints`` checked)."""
    if inverse.size < 2 or (inverse[1:] >= inverse[:-1]).all():
        # A file sorted by the id (tasks usually are): first seen is smallest first.
        return inverse, pc.cast(pa.array(distinct), pa.string()).to_pylist()
    first = np.full(distinct.size, inverse.size, dtype=np.int64)
    np.minimum.at(first, inverse, np.arange(inverse.size, dtype=np.int64))
    order = np.argsort(first)  # the distinct values in first-seen order
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return rank[inverse], pc.cast(pa.array(distinct[order]), pa.string()).to_pylist()


def _numbers(path: Path, column: pa.Array, rows: IntArray) -> FloatArray:
    """The labels as finite floats; the first one that is not is refused with its line."""
    try:
        values: FloatArray = pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
        bad = [int(i) for i in np.flatnonzero(~np.isfinite(values))[:1]]
    except pa.ArrowInvalid:
        values = np.empty(0)
        bad = [next(i for i, text in enumerate(column.to_pylist()) if not _is_number(text))]
    if bad:
        _refuse_number(path, int(rows[bad[0]]), column[bad[0]].as_py())
    return values


def _refuse_number(path: Path, row: int, text: str) -> NoReturn:
    kind = "a finite number" if _is_number(text) else "a number"
    raise QualityInputError(f"{path.name} line {_line(path, row)}: label {text!r} is not {kind}")


def _is_number(text: str) -> bool:
    """What the fast reader takes for a number (Python's float also allows ``1_000``)."""
    try:
        float(text)
    except ValueError:
        return False
    return "_" not in text


def _text_ids(
    path: Path, task: pa.Array, worker: pa.Array, label: pa.Array, label_empty: Any
) -> tuple[IntArray, list[Any], IntArray, list[Any], pa.Array, Any, IntArray]:
    """Task and worker codes from trimmed text, refusing unnamed rows; also returns the labels
    kept (empty ones are missing labels), which rows those are, and each row's number."""
    task_empty = pc.equal(task, "").to_numpy(zero_copy_only=False)
    worker_empty = pc.equal(worker, "").to_numpy(zero_copy_only=False)
    # Rows whose cells are all blank are blank lines, which the exact reader also skips.
    row_number = np.cumsum(~(task_empty & worker_empty & label_empty)) - 1
    keep = ~(task_empty & worker_empty & label_empty)
    unnamed = keep & (task_empty | worker_empty)
    if unnamed.any():
        row = int(row_number[int(np.argmax(unnamed))])
        line = _line(path, row)
        raise QualityInputError(f"{path.name} line {line}: task and worker are required")
    keep &= ~label_empty
    if not keep.any():
        raise QualityInputError(f"{path.name} has no labels")
    if not keep.all():
        chosen = pa.array(np.flatnonzero(keep))
        task, worker, label = (pc.take(c, chosen) for c in (task, worker, label))
    task_codes, tasks = _codes(task)
    worker_codes, workers = _codes(worker)
    return task_codes, tasks, worker_codes, workers, label, keep, row_number


def _from_ints(task: _Ints, worker: _Ints, label: _Ints, *, numeric: bool) -> LabelTable:
    """The table of a file whose three columns are exact integers: nothing to trim, and no
    row is blank, unnamed or unlabelled. Classes sort as text, or as numbers if ``numeric``."""
    task_codes, tasks = _int_codes(*task[1:])
    worker_codes, workers = _int_codes(*worker[1:])
    _, distinct, inverse = label
    if numeric:  # the sorted distinct integers: np.unique of the numbers
        classes: list[Any] = [float(v) for v in distinct]
        return LabelTable.from_codes(task_codes, worker_codes, inverse, tasks, workers, classes)
    texts = pc.cast(pa.array(distinct), pa.string()).to_pylist()
    order = sorted(range(len(texts)), key=texts.__getitem__)
    rank = np.empty(len(texts), dtype=np.int64)
    rank[order] = np.arange(len(texts))
    classes = [texts[i] for i in order]
    return LabelTable.from_codes(task_codes, worker_codes, rank[inverse], tasks, workers, classes)


def read_labels(path: Path, *, numeric: bool = False) -> LabelTable:
    """A ``task,worker,label`` file as a LabelTable; labels are numbers when ``numeric``.

    Empty labels are missing labels and are skipped; a row without a task or worker, a worker
    labelling a task twice, or a label that is not a number when one is needed, is refused
    with the line number.
    """
    ints = _integer_file(path, _header(path))
    if ints is not None:
        return _from_ints(*ints, numeric=numeric)
    task, worker, label = _columns(path, COLUMNS, trim=False)
    task_ints = _exact_ints(task)
    worker_ints = _exact_ints(worker) if task_ints is not None else None
    label_ints = _exact_ints(label) if worker_ints is not None else None
    if task_ints is not None and worker_ints is not None and label_ints is not None:
        return _from_ints(task_ints, worker_ints, label_ints, numeric=numeric)
    label = pc.utf8_trim_whitespace(label)
    label_empty = pc.equal(label, "").to_numpy(zero_copy_only=False)
    if task_ints is not None and worker_ints is not None:
        # Every task and worker is a nonempty integer, so no row is blank or unnamed.
        keep = ~label_empty
        row_number = np.arange(keep.size)
        if not keep.any():
            raise QualityInputError(f"{path.name} has no labels")
        ids = [column[1:] for column in (task_ints, worker_ints)]
        if not keep.all():
            ids = [unique_ints(column[0][keep]) for column in (task_ints, worker_ints)]
            label = label.filter(pa.array(keep))
        task_codes, tasks = _int_codes(*ids[0])
        worker_codes, workers = _int_codes(*ids[1])
    else:
        task_codes, tasks, worker_codes, workers, label, keep, row_number = _text_ids(
            path, pc.utf8_trim_whitespace(task), pc.utf8_trim_whitespace(worker), label, label_empty
        )
    if numeric:
        values = _numbers(path, label, row_number[keep])
        distinct, label_codes = np.unique(values, return_inverse=True)
        classes: list[Any] = [float(v) for v in distinct]
    else:
        first_seen, names = _codes(label)
        order = sorted(range(len(names)), key=names.__getitem__)
        rank = np.empty(len(names), dtype=np.int64)
        rank[order] = np.arange(len(names))
        label_codes = rank[first_seen]
        classes = [names[i] for i in order]
    return LabelTable.from_codes(
        task_codes, worker_codes, label_codes.astype(np.int64), tasks, workers, classes
    )


def read_gold(path: Path, table: LabelTable) -> dict[int, int]:
    """A ``task,label`` file of known answers, as task code -> class code of ``table``.

    Gold for tasks nobody labelled is ignored (it cannot inform anything); a gold label that
    is not one of the table's classes is refused, since no worker could have given it.
    """
    task_code = {task: code for code, task in enumerate(table.tasks)}
    numeric = all(isinstance(c, float) for c in table.classes)
    class_code = {value: code for code, value in enumerate(table.classes)}
    tasks, labels = (column.to_pylist() for column in _columns(path, ("task", "label")))
    gold: dict[int, int] = {}
    row = -1
    for task, label in zip(tasks, labels, strict=True):
        row += bool(task or label)
        if task not in task_code or label == "":
            continue
        if numeric and not (_is_number(label) and np.isfinite(float(label))):
            _refuse_number(path, row, label)
        key: Any = float(label) if numeric else label
        if key not in class_code:
            raise QualityInputError(
                f"{path.name} line {_line(path, row)}: gold label {label!r} "
                "is not among the labels given"
            )
        gold[task_code[task]] = class_code[key]
    return gold


def write_answers(stream: TextIO, table: LabelTable, labels: Any, confidence: Any) -> None:
    """``task,label,confidence`` rows, one per task, in the order tasks first appeared."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(("task", "label", "confidence"))
    for task, label, conf in zip(table.tasks, labels, confidence, strict=True):
        value = table.classes[int(label)]
        shown = f"{value:g}" if isinstance(value, float) else value
        writer.writerow((task, shown, f"{float(conf):.6f}"))
