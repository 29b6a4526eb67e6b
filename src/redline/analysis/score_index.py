"""A run's scores by scorer and attempt id: labels in integer arrays, the rest on disk.

Finishing a run asks for a label two to four times an attempt and for a whole
score only for the transcripts the report embeds. So the index keeps, per
scorer, one label code (2 bytes) and the score's place in its source (4 bytes)
for each scored attempt, over one sorted array of the attempt ids' hashes (8
bytes): ~20 bytes an attempt with two scorers, where a dict of tuples held
~200 (37 MB at 100,000 attempts, the largest thing the finish held). A whole
:class:`Score` is parsed again from the run file when asked for.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence

import numpy as np

from redline.core.records import Score
from redline.store import StoredRecords

_NONE = -1  # no score of this scorer for this attempt


class ScoreIndex(Collection[Score]):
    """A run's scores by scorer and attempt id, read once.

    The summary's judge, the report's transcripts and the queries-to-success
    table all look scores up here, so finishing a run parses each score one
    time. Iterating gives every score, scorer by scorer, each scorer's in the
    order its attempts were first scored; the last score recorded for an
    (attempt, scorer) wins.

    Attempt ids are matched by their 64-bit hash. Two ids of one scorer sharing
    a hash are found while indexing, and the index is built again with salted
    hashes; an id with no score matching another's hash by chance (about one in
    10^14 lookups at 100,000 attempts) is not.
    """

    def __init__(self, scores: Iterable[Score]) -> None:
        # A run file's records are parsed again by place (get); any other source is
        # held, reduced to the latest score of each (attempt, scorer).
        self._records: StoredRecords[Score] | list[Score]
        if isinstance(scores, StoredRecords):
            self._records = scores
        else:
            latest: dict[tuple[str, str], Score] = {}
            for score in scores:
                latest[(score.attempt_id, score.scorer)] = score
            self._records = list(latest.values())
        self._salt = ""
        while not self._build():
            self._salt += "\0"

    @classmethod
    def of_columns(cls, records: StoredRecords[Score], columns: ScoreColumns) -> ScoreIndex:
        """The index of ``records`` from ``columns`` made while its lines were written
        (in the file's order, no key repeated): the file is not read to index it."""
        index = cls.__new__(cls)
        index._records = records
        index._salt = ""
        if index._index(columns):
            return index
        return cls(records)  # two ids of one scorer share a hash: salted, from the file

    def _build(self) -> bool:
        """Index the records; False when two attempt ids of one scorer share a hash."""
        columns = ScoreColumns(hash_id=self._hash)
        for score in self._records:
            columns.add(score.attempt_id, score.scorer, score.label)
        return self._index(columns)

    def _index(self, columns: ScoreColumns) -> bool:
        scorer_codes, label_codes = columns.scorer_codes, columns.label_codes
        all_hashes = np.frombuffer(columns.hashes, dtype=np.int64)
        keys = np.unique(all_hashes)
        places = np.searchsorted(keys, all_hashes)
        scorers = np.frombuffer(columns.scorer_of, dtype=np.int16)
        labels = np.frombuffer(columns.label_of, dtype=np.int16)
        rows = np.arange(len(columns.hashes), dtype=np.int32)
        self._labels: dict[str, array[int]] = {}
        self._rows: dict[str, array[int]] = {}
        for name, code in scorer_codes.items():
            mine = scorers == code
            at = places[mine]
            if np.unique(at).size < at.size:
                return False
            column = np.full(keys.size, _NONE, dtype=np.int16)
            column[at] = labels[mine]
            self._labels[name] = _packed("h", column)
            column_rows = np.full(keys.size, _NONE, dtype=np.int32)
            column_rows[at] = rows[mine]
            self._rows[name] = _packed("i", column_rows)
        self._keys = _packed("q", keys)
        self._label_names = list(label_codes)
        return True

    def _hash(self, attempt_id: str) -> int:
        return hash(attempt_id + self._salt) if self._salt else hash(attempt_id)

    @classmethod
    def of(cls, scores: Iterable[Score]) -> ScoreIndex:
        """``scores`` indexed (an index is returned as it is)."""
        return scores if isinstance(scores, ScoreIndex) else cls(scores)

    @property
    def scorers(self) -> list[str]:
        """The scorers present, in the order they first appear."""
        return list(self._labels)

    def position(self, attempt_id: str) -> int:
        """Where ``attempt_id`` sits in the index (-1: no score at all), for
        :meth:`label_at`: an attempt's labels by several scorers cost one search."""
        keys = self._keys
        key = self._hash(attempt_id)
        place = bisect_left(keys, key)
        return place if place < len(keys) and keys[place] == key else _NONE

    def label_at(self, scorer: str, position: int) -> str | None:
        """The label of ``scorer`` for the attempt at ``position`` (None: no score)."""
        column = self._labels.get(scorer)
        if column is None or position < 0:
            return None
        code = column[position]
        return None if code < 0 else self._label_names[code]

    def label(self, scorer: str, attempt_id: str) -> str | None:
        """The label alone (None: no score), without parsing the Score."""
        return self.label_at(scorer, self.position(attempt_id))

    def has(self, scorer: str, attempt_id: str) -> bool:
        return self.label(scorer, attempt_id) is not None

    def get(self, scorer: str, attempt_id: str) -> Score | None:
        return self.get_many([(scorer, attempt_id)])[0]

    def get_many(self, wanted: Sequence[tuple[str, str]]) -> list[Score | None]:
        """The scores of these (scorer, attempt id) pairs, in order (None: no score);
        from a run file, the lines are read in one pass."""
        rows = [self._row(scorer, attempt_id) for scorer, attempt_id in wanted]
        found = self._parse(sorted({row for row in rows if row >= 0}))
        return [found.get(row) for row in rows]

    def _row(self, scorer: str, attempt_id: str) -> int:
        column = self._rows.get(scorer)
        position = self.position(attempt_id)
        return _NONE if column is None or position < 0 else column[position]

    def _parse(self, rows: list[int]) -> dict[int, Score]:
        if isinstance(self._records, list):
            return {row: self._records[row] for row in rows}
        return dict(zip(rows, self._records.at(rows), strict=True))

    def _scorer_scores(self, scorer: str) -> Iterator[Score]:
        rows = sorted(row for row in self._rows[scorer] if row >= 0)
        if isinstance(self._records, list):
            return (self._records[row] for row in rows)
        return self._records.at(rows)

    def labels(self, scorer: str) -> dict[str, str]:
        """Attempt id -> label for one scorer (its scores are parsed for their ids)."""
        if scorer not in self._rows:
            return {}
        return {score.attempt_id: score.label for score in self._scorer_scores(scorer)}

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[Score]:
        for scorer in self._rows:
            yield from self._scorer_scores(scorer)

    def __contains__(self, item: object) -> bool:
        return isinstance(item, Score) and self.get(item.scorer, item.attempt_id) == item


class ScoreColumns:
    """What :class:`ScoreIndex` keeps of each score, added one score at a time: the
    attempt id's hash and codes for the scorer and the label (12 bytes a score).

    A scan adds each score as it writes it (:mod:`redline.run.finish_ahead`), so
    finishing the run indexes its scores without reading the file back.
    """

    def __init__(self, *, hash_id: Callable[[str], int] = hash) -> None:
        # The index's hash of an attempt id (salted after a collision).
        self._hash_id = hash_id
        self.hashes = array("q")
        self.scorer_of = array("h")
        self.label_of = array("h")
        self.scorer_codes: dict[str, int] = {}
        self.label_codes: dict[str, int] = {}

    def add(self, attempt_id: str, scorer: str, label: str) -> None:
        self.hashes.append(self._hash_id(attempt_id))
        self.scorer_of.append(self.scorer_codes.setdefault(scorer, len(self.scorer_codes)))
        self.label_of.append(self.label_codes.setdefault(label, len(self.label_codes)))


def _packed(typecode: str, values: np.ndarray) -> array[int]:
    """``values`` in an :class:`array.array`: reading one item gives a plain int
    (a numpy scalar costs more than the search it serves)."""
    packed = array(typecode)
    packed.frombytes(values.tobytes())
    return packed
