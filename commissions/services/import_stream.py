"""Streaming a sales CSV into a PostgreSQL staging table, one block at a time.

The file is read in blocks of BLOCK bytes, hashed and decoded as it goes; memory holds one block
and one piece of staged rows, whatever the size of the file. Each record becomes one row of the
staging table (one text column per CSV column, numbered from 2 like the rows of the file). The
pass does only what PostgreSQL cannot: it finds the records, counts their fields, and rejects
NUL bytes, control characters and bytes that are not UTF-8 with the reasons of
`import_checks`. Every other check is set-based SQL (`import_sql`).

A block that holds no quote, no control character and no whitespace at the edge of a cell is
sent as it is, line by line; only the other blocks pay for Python's csv reader."""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import io
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import repeat
from typing import IO

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from psycopg2.extras import execute_values

from .import_checks import (
    BAD_CHARACTER,
    ImportFileError,
    _character_problem,
    _unlimited_fields,
    check_header,
)

BLOCK = 1 << 20  # bytes read at a time
BATCH_ROWS = 100_000  # staged rows per COPY; progress is reported between two
PIECE_ROWS = 10_000  # staged rows handed to a COPY at a time
# Control characters other than tab and line breaks, and DEL: any of them makes a block slow.
_CONTROL_BYTES = bytes([*range(9), 11, 12, *range(14, 32), 127])
_CLEAN_BYTES = bytes(b for b in range(128) if b not in _CONTROL_BYTES)
# Whitespace that str.strip() removes and that is not ASCII (the ASCII ones are looked for one by
# one): a block holding any of them is read by the csv reader, whose cells are stripped.
_WIDE_SPACE = re.compile(
    "[" + "".join(c for c in map(chr, range(128, 0x3001)) if c.isspace()) + "]"
)
_EDGE_SPACE = (" ,", ", ", " \n", "\n ", " \r", "\r ", "\t")
# The cells whose text a rejection quotes with repr() or upper-cases: a non-ASCII value there is
# checked by RowChecker itself, so that Python's own repr() and upper() write the reason.
PYTHON_CELLS = ("partner_code", "sku", "currency", "original_external_id")


@dataclass
class Staged:
    """What the pass learnt: the header, the number of records, and the file's hash."""

    header: list[str]
    columns: dict[str, int]
    records: int = 0
    sha256: str = ""
    problems: int = 0
    escapes: int = 0
    nonblank: bool = False
    stats: dict[str, float] = field(default_factory=dict)


def _open_text(handle: IO[bytes], digest) -> Iterator[tuple[str, bool]]:
    """The file's text block by block, with whether the block holds a character no cell may
    hold; the file is hashed as it is read."""
    head = b""
    while not head.strip():
        block = handle.read(BLOCK)
        if not block:
            break
        digest.update(block)
        head += block
    if not head.strip():
        raise ImportFileError("The file is empty.")
    utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if utf16:
        decoder = codecs.getincrementaldecoder("utf-16")("strict")
    else:
        # Bytes that are not UTF-8 become lone surrogates: their rows are rejected one by one.
        decoder = codecs.getincrementaldecoder("utf-8-sig")("surrogateescape")
    block, final = head, False
    while True:
        try:
            text = decoder.decode(block, final=final)
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                "The file starts as UTF-16 text but is not valid UTF-16; save it as CSV UTF-8."
            ) from exc
        if text:
            if text.isascii():
                dirty = bool(text.encode("ascii").translate(None, _CLEAN_BYTES))
            else:
                dirty = BAD_CHARACTER.search(text) is not None
            yield text, dirty
        if final:
            return
        block = handle.read(BLOCK)
        if block:
            digest.update(block)
        else:
            final = True


class _Lines:
    """The file's physical lines (as csv's reader sees them with newline=""), block by block."""

    def __init__(self, texts: Iterator[tuple[str, bool]]) -> None:
        self.texts = texts
        self.carry = ""
        self.dirty = False  # a character no cell may hold was seen: every later row is scanned
        self.done = False
        self.bodies: list[str] = []
        self.seps: list[str] | str = "\n"
        self.fast = False
        self.i = 0

    def next_block(self) -> bool:
        """Load the next block's complete lines; False at the end of the file."""
        while not self.done:
            try:
                text, dirty = next(self.texts)
            except StopIteration:
                self.done = True
                text, dirty = "", False
            self.dirty = self.dirty or dirty
            text = self.carry + text
            self.carry = ""
            if not text:
                continue
            self._split(text)
            self.i = 0
            # The block's complete lines decide: the line cut at its end is carried into the
            # next block and looked at there, whole.
            lines = text[: len(text) - len(self.carry)]
            self.fast = (
                not self.dirty
                and '"' not in lines
                and not any(edge in lines for edge in _EDGE_SPACE)
                and not lines.startswith(" ")
                and not lines.endswith(" ")
                and (lines.isascii() or _WIDE_SPACE.search(lines) is None)
            )
            if self.bodies:
                return True
        return False

    def _split(self, text: str) -> None:
        if not self.done and text.endswith("\r"):
            # The next block may begin with the "\n" of this "\r\n".
            text, self.carry = text[:-1], "\r"
        if "\r" not in text:
            bodies, seps = text.split("\n"), "\n"
        else:
            core = text.replace("\r\n", "")
            if "\r" not in core and "\n" not in core:
                bodies, seps = text.split("\r\n"), "\r\n"
            else:
                lines = io.StringIO(text, newline="").readlines()
                bodies = [line.rstrip("\r\n") if line[-1:] in "\r\n" else line for line in lines]
                seps = [line[len(body) :] for line, body in zip(lines, bodies, strict=True)]
                if seps and seps[-1] == "":
                    seps.pop()
                else:
                    bodies.append("")
        tail = bodies.pop()
        if tail:
            if self.done:
                bodies.append(tail)
                if isinstance(seps, list):
                    seps.append("")
            else:
                self.carry = tail + self.carry
        self.bodies, self.seps = bodies, seps

    def line(self, index: int) -> str:
        """Line `index` of the current block with its line break."""
        sep = self.seps if isinstance(self.seps, str) else self.seps[index]
        if self.done and index == len(self.bodies) - 1 and isinstance(self.seps, str):
            return self.bodies[index]  # the last line of the file may have no line break
        return self.bodies[index] + sep

    def following(self) -> Iterator[str]:
        """The lines from the current one on, crossing into later blocks as the reader asks."""
        while True:
            while self.i < len(self.bodies):
                index = self.i
                self.i += 1
                yield self.line(index)
            if not self.next_block():
                return
            self.fast = False


class _Feed:
    """The file-like object one COPY reads: `first`, then the pieces of `pieces` until a batch
    of BATCH_ROWS rows has been handed over or the pieces end. An error of the pass ends the
    COPY normally (what was staged is thrown away with the staging table) and is kept in
    `error`, to be raised once the COPY is over: the connection stays usable for the batch's
    failure."""

    def __init__(self, first: tuple[str, int], pieces: Iterator[tuple[str, int]]) -> None:
        self.pieces = pieces
        self.buffer, self.rows = first
        self.exhausted = False
        self.error: Exception | None = None

    def read(self, size: int = -1) -> str:
        while not self.buffer and self.rows < BATCH_ROWS and not self.exhausted:
            try:
                text, rows = next(self.pieces)
            except StopIteration:
                self.exhausted = True
                break
            except Exception as exc:
                self.error = exc
                self.exhausted = True
                break
            self.buffer = text
            self.rows += rows
        if size < 0 or len(self.buffer) <= size:
            data, self.buffer = self.buffer, ""
        else:
            data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data


class Stager:
    """Runs the pass: records into the staging table, problems and escapes beside it.

    The sales file's rules are the default; another import subclasses the hooks below (its
    header, the cells its Python checker quotes, a record of another width, a bad character)."""

    python_cells: tuple[str, ...] = PYTHON_CELLS

    def check_header(self, header: list[str]) -> dict[str, int]:
        """The position of each known column, or ImportFileError."""
        return check_header(header)

    def fit(self, n: int, cells: list[str], lines: int) -> list[str] | None:
        """A non-blank record whose number of fields is not the header's: the cells to stage,
        or None once its problem is recorded. Sales reject it; the reason is written in SQL."""
        self.problems.append((n, len(cells), lines, None, None))
        return None

    def character_problem(self, row: list[str], staged: Staged) -> tuple[str, str] | None:
        """(column, reason) for a record holding a character no cell may hold."""
        for position, cell in enumerate(row):
            problem = _character_problem(cell)
            if problem is not None:
                return staged.header[position] or f"#{position + 1}", problem
        return None

    def __init__(
        self,
        cursor,
        handle: IO[bytes],
        *,
        progress: Callable[[int, int], None] | None = None,
        size: int | None = None,
    ) -> None:
        self.cursor = cursor
        self.digest = hashlib.sha256()
        self.lines = _Lines(_open_text(handle, self.digest))
        self.progress = progress
        self.size = size
        self.handle = handle
        self.out: list[str] = []
        self.writer_buffer = io.StringIO()
        # "\r\n" as the terminator has the writer quote a cell holding either line break.
        self.writer = csv.writer(self.writer_buffer, lineterminator="\r\n")
        self.problems: list[tuple] = []
        self.escapes: list[tuple[int]] = []

    def _record(self) -> tuple[list[str], int]:
        """The record starting at the current line, read by the csv reader."""
        lines = self.lines
        reader = csv.reader(lines.following())
        row = next(reader, [])
        return row, reader.line_num

    def run(self) -> Staged:
        with _unlimited_fields():
            header_row = self._record()[0] if self.lines.next_block() else []
            header = [cell.strip() for cell in header_row]
            staged = Staged(header=header, columns=self.check_header(header))
            self.width = len(header)
            self.placeholder = "," * (self.width - 1) if self.width > 1 else '""'
            self.python_positions = [
                staged.columns[name] for name in self.python_cells if name in staged.columns
            ]
            self._create_tables()
            self._stage(staged)
        staged.sha256 = self.digest.hexdigest()
        return staged

    def _create_tables(self) -> None:
        cells = ", ".join(f"f{i + 1} text" for i in range(self.width))
        memory = settings.PRM_IMPORT_TEMP_BUFFERS.replace("'", "''")
        self.cursor.execute(
            f"""
            -- The temporary tables' memory can be set until the connection's first temporary
            -- table has been used; after that it stays as it is.
            DO $$ BEGIN
                PERFORM set_config('temp_buffers', '{memory}', false);
            EXCEPTION WHEN invalid_parameter_value THEN NULL;
            END $$;
            DROP TABLE IF EXISTS import_stage, import_problem, import_escape;
            CREATE TEMP TABLE import_stage
                (n integer GENERATED ALWAYS AS IDENTITY (START WITH 2), {cells});
            CREATE TEMP TABLE import_problem
                (n integer, fields integer, lines integer, col text, reason text);
            CREATE TEMP TABLE import_escape (n integer);
            """
        )

    def _stage(self, staged: Staged) -> None:
        """COPY the records a batch at a time. Each COPY reads its data as the pass produces
        it, so that PostgreSQL stores one piece while the next is being read."""
        columns = ", ".join(f"f{i + 1}" for i in range(self.width))
        copy = (
            f"COPY import_stage ({columns}) FROM STDIN "
            f"WITH (FORMAT csv, FORCE_NOT_NULL ({columns}))"
        )
        pieces = self._pieces(staged)
        piece = next(pieces, None)
        if piece is None:
            self._flush(self.n)
        while piece is not None:
            feed = _Feed(piece, pieces)
            self.cursor.cursor.copy_expert(copy, feed, size=BLOCK)
            if feed.error is not None:
                raise feed.error
            done = self.n
            piece = None if feed.exhausted else next(pieces, None)
            self._flush(done)
        staged.records = self.n - 1
        staged.problems = self.problem_count
        staged.escapes = self.escape_count

    def _pieces(self, staged: Staged) -> Iterator[tuple[str, int]]:
        """The staged rows as COPY data, a piece at a time, with the number of rows in each."""
        lines = self.lines
        width = self.width
        out = self.out
        piece_rows = min(PIECE_ROWS, BATCH_ROWS)
        n = 1
        while True:
            if lines.i >= len(lines.bodies) and not lines.next_block():
                break
            if lines.fast:
                bodies = lines.bodies
                start = lines.i
                chunk = bodies[start:] if start else bodies
                if set(map(str.count, chunk, repeat(","))) == {width - 1} and all(
                    map(str.isascii, chunk)
                ):
                    # Every line holds a whole record of plain text: the block goes as it is.
                    out.extend(chunk)
                    n += len(chunk)
                    lines.i = len(bodies)
                    staged.nonblank = staged.nonblank or any(b.strip(",") for b in chunk)
                    if len(out) >= piece_rows:
                        yield self._piece(n)
                    continue
                for index in range(start, len(bodies)):
                    body = bodies[index]
                    n += 1
                    if body.count(",") + 1 != width:
                        cells = self.fit(n, body.split(","), 1) if body.strip(",") else None
                        if cells is None:
                            out.append(self.placeholder)
                            continue
                        body = ",".join(cells)
                    if not body.isascii():
                        self._escape_if_needed(n, body.split(","))
                    out.append(body)
                lines.i = len(bodies)
                staged.nonblank = staged.nonblank or any(b.strip(",") for b in bodies[start:])
            else:
                n += 1
                self._slow(n, staged)
            if len(out) >= piece_rows:
                yield self._piece(n)
        self.n = n
        if out:
            yield self._piece(n)

    def _piece(self, n: int) -> tuple[str, int]:
        self.n = n
        rows = len(self.out)
        self.out.append("")
        text = "\n".join(self.out)
        self.out.clear()
        return text, rows

    problem_count = 0
    escape_count = 0
    n = 1  # the number of the last record read so far

    def _slow(self, n: int, staged: Staged) -> None:
        row, lines = self._record()
        if not any(cell.strip() for cell in row):
            self.out.append(self.placeholder)
            return
        staged.nonblank = True
        if len(row) != self.width:
            row = self.fit(n, row, lines)
            if row is None:
                self.out.append(self.placeholder)
                return
        if self.lines.dirty:
            problem = self.character_problem(row, staged)
            if problem is not None:
                self.problems.append((n, len(row), lines, *problem))
                self.out.append(self.placeholder)
                return
        cells = [cell.strip() for cell in row]
        self._escape_if_needed(n, cells)
        buffer = self.writer_buffer
        buffer.seek(0)
        buffer.truncate()
        self.writer.writerow(cells)
        self.out.append(buffer.getvalue()[:-2])

    def _escape_if_needed(self, n: int, cells: list[str]) -> None:
        for position in self.python_positions:
            if position < len(cells) and not cells[position].strip().isascii():
                self.escapes.append((n,))
                return

    def _flush(self, n: int) -> None:
        """After a COPY: the problems and escapes met so far, and a progress report."""
        cursor = self.cursor
        if self.problems:
            execute_values(cursor.cursor, "INSERT INTO import_problem VALUES %s", self.problems)
            self.problem_count += len(self.problems)
            self.problems.clear()
        if self.escapes:
            execute_values(cursor.cursor, "INSERT INTO import_escape VALUES %s", self.escapes)
            self.escape_count += len(self.escapes)
            self.escapes.clear()
        if self.progress is not None and n > 1:
            done = n - 1
            total = done
            if self.size:
                try:
                    position = self.handle.tell()
                except (OSError, ValueError):
                    position = 0
                if position:
                    total = max(done, int(done * self.size / position))
            self.progress(done // 2, total)


class StagedImport:
    """One import of a file through the staging table, on one PostgreSQL connection: the file is
    staged (progress reported on the way), the batch told its row count and checksum, then
    `steps` check and write it in one transaction that `finish` closes, so that a worker that
    dies leaves nothing behind. Each step's time is kept in `timings`, under its name."""

    steps: tuple[str, ...] = ()
    temp_tables: tuple[str, ...] = ()

    def __init__(self, *, batch, partners, today, progress=None) -> None:
        self.batch = batch
        self.partners = partners
        self.today = today
        self.progress = progress
        self.created = 0
        self.duplicates = 0
        self.rejected: list = []
        self.timings: dict[str, float] = {}

    def stage(self, handle: IO[bytes], size: int | None) -> Staged:
        raise NotImplementedError

    def run(self, handle: IO[bytes], *, finish: Callable, size: int | None = None) -> None:
        with connection.cursor() as cursor:
            self.cursor = cursor
            try:
                started = time.perf_counter()
                self.staged = self.stage(handle, size)
                self.timings["stage"] = time.perf_counter() - started
                type(self.batch).objects.filter(pk=self.batch.pk).update(
                    total_rows=self.staged.records, sha256=self.staged.sha256
                )
                with transaction.atomic():
                    for name in self.steps:
                        self._timed(name.strip("_"), getattr(self, name))
                    self._timed("finish", lambda: finish(self))
                    started = time.perf_counter()
                self.timings["commit"] = time.perf_counter() - started
            finally:
                if connection.connection is not None and not connection.needs_rollback:
                    with contextlib.suppress(DatabaseError):
                        cursor.execute("DROP TABLE IF EXISTS " + ", ".join(self.temp_tables))

    def _timed(self, name: str, step: Callable[[], None]) -> None:
        started = time.perf_counter()
        step()
        self.timings[name] = time.perf_counter() - started

    def _cell(self, name: str) -> str:
        return f"s.f{self.staged.columns[name] + 1}"
