"""A unified line diff whose running time stays bounded on any input.

difflib's matcher alone is far too slow on large files with scattered edits (two 300 KB files
with an edit every 7 lines: two minutes). So, as git's patience diff does, the common head and
tail are matched first, then lines found exactly once on each side anchor the match (their
longest increasing run) and the gaps between anchors are matched the same way; difflib only sees
small gaps. A large gap without such lines, or any gap once the work budget is spent, shows as
a replacement: still a correct diff, only not the smallest one.
"""

import bisect
import difflib
from collections.abc import Iterator, Sequence

CONTEXT = 3
# A gap goes to difflib when its (lines on one side) x (lines on the other) is at most this...
DIFFLIB_CELLS = 40_000
# ...and line comparisons (anchoring, plus difflib's cells) per diff stop at this budget.
WORK_BUDGET = 20_000_000

Block = tuple[int, int, int]  # a[i:i+size] == b[j:j+size]


def _unique_anchors(
    a: Sequence[str], b: Sequence[str], alo: int, ahi: int, blo: int, bhi: int
) -> list[tuple[int, int]]:
    """The longest run, increasing on both sides, of lines found once in a[alo:ahi] and once in
    b[blo:bhi] (patience sorting, O(n log n))."""
    once_a: dict[str, int] = {}
    for i in range(alo, ahi):
        once_a[a[i]] = -1 if a[i] in once_a else i
    once_b: dict[str, int] = {}
    for j in range(blo, bhi):
        once_b[b[j]] = -1 if b[j] in once_b else j
    pairs = [(i, once_b.get(line, -1)) for line, i in once_a.items() if i >= 0]
    pairs = sorted((i, j) for i, j in pairs if j >= 0)
    tails: list[int] = []  # the smallest last j of an increasing run of each length
    tail_pair: list[int] = []
    previous: list[int | None] = [None] * len(pairs)
    for index, (_, j) in enumerate(pairs):
        length = bisect.bisect_left(tails, j)
        previous[index] = tail_pair[length - 1] if length else None
        if length == len(tails):
            tails.append(j)
            tail_pair.append(index)
        else:
            tails[length], tail_pair[length] = j, index
    run: list[tuple[int, int]] = []
    index = tail_pair[-1] if tail_pair else None
    while index is not None:
        run.append(pairs[index])
        index = previous[index]
    return run[::-1]


def matching_blocks(a: Sequence[str], b: Sequence[str], budget: int = WORK_BUDGET) -> list[Block]:
    """Increasing, non-adjacent runs of equal lines, as difflib's matcher returns them."""
    found: list[Block] = []
    gaps = [(0, len(a), 0, len(b))]
    while gaps:
        alo, ahi, blo, bhi = gaps.pop()
        head = 0
        while alo + head < ahi and blo + head < bhi and a[alo + head] == b[blo + head]:
            head += 1
        tail = 0
        while (
            ahi - tail > alo + head
            and bhi - tail > blo + head
            and a[ahi - tail - 1] == b[bhi - tail - 1]
        ):
            tail += 1
        found += [(alo, blo, head), (ahi - tail, bhi - tail, tail)]
        alo, blo, ahi, bhi = alo + head, blo + head, ahi - tail, bhi - tail
        cells = (ahi - alo) * (bhi - blo)
        if not cells or budget <= 0:
            continue  # one side is empty, or a replacement
        if cells <= DIFFLIB_CELLS:
            budget -= cells
            matcher = difflib.SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=False)
            found += [(alo + i, blo + j, size) for i, j, size in matcher.get_matching_blocks()]
            continue
        budget -= (ahi - alo) + (bhi - blo)
        anchors = _unique_anchors(a, b, alo, ahi, blo, bhi)
        if not anchors:
            continue  # a replacement
        starts = [(alo, blo), *((i + 1, j + 1) for i, j in anchors)]
        ends = [*anchors, (ahi, bhi)]
        found += [(i, j, 1) for i, j in anchors]
        gaps += [(i1, i2, j1, j2) for (i1, j1), (i2, j2) in zip(starts, ends, strict=True)]
    blocks: list[Block] = []
    for i, j, size in sorted(block for block in found if block[2]):
        if blocks and blocks[-1][0] + blocks[-1][2] == i and blocks[-1][1] + blocks[-1][2] == j:
            blocks[-1] = (blocks[-1][0], blocks[-1][1], blocks[-1][2] + size)
        else:
            blocks.append((i, j, size))
    return blocks


class BoundedMatcher(difflib.SequenceMatcher):
    """difflib's matcher (opcodes, grouping) over `matching_blocks` above."""

    def get_matching_blocks(self) -> list[difflib.Match]:
        if self.matching_blocks is None:
            blocks = matching_blocks(self.a, self.b)
            self.matching_blocks = [difflib.Match(*block) for block in blocks]
            self.matching_blocks.append(difflib.Match(len(self.a), len(self.b), 0))
        return self.matching_blocks


def _range(start: int, stop: int) -> str:
    """A hunk's `start,length` as unified diffs write it (`start` alone for one line)."""
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start + 1 if length else start},{length}"


def unified_diff(a: Sequence[str], b: Sequence[str], fromfile: str, tofile: str) -> Iterator[str]:
    """The lines of a unified diff of `a` and `b` (lines with their ends), like difflib's."""
    matcher = BoundedMatcher(None, a, b, autojunk=False)
    started = False
    for group in matcher.get_grouped_opcodes(CONTEXT):
        if not started:
            started = True
            yield f"--- {fromfile}\n"
            yield f"+++ {tofile}\n"
        first, last = group[0], group[-1]
        yield f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n"
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                yield from (f" {line}" for line in a[i1:i2])
                continue
            if tag in ("replace", "delete"):
                yield from (f"-{line}" for line in a[i1:i2])
            if tag in ("replace", "insert"):
                yield from (f"+{line}" for line in b[j1:j2])
