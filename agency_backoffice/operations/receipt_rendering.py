"""Quittances and reçus rendered on every core: a month's 10,000 receipts in a pool of worker processes.

The caller keeps the database work (reading the ledger, storing the files and rows) and hands over the documents
as it reads them; the PDF builder (contracts/rent_documents.py, pure) runs in ``workers`` processes, a bounded
number of documents ahead of the caller, and the PDFs come back in the order given, so reading the next documents
overlaps rendering the previous ones. A document gives the same bytes in any process. A few documents (one
lease's) are rendered in the calling process: starting workers would cost more than it saves.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice

from contracts.rent_documents import RentReceipt, render_rent_receipt, render_rent_receipts

# Below this many documents, render in the calling process.
POOL_FROM = 64
# Documents per task sent to a worker (fewer round trips), and tasks in flight per worker (memory stays bounded:
# at most workers × AHEAD × CHUNK documents read and not yet stored).
CHUNK = 16
AHEAD = 3


def default_workers() -> int:
    """One worker per core (``PASSERELLE_RENDER_WORKERS`` overrides it; 1 renders in the calling process)."""
    configured = os.environ.get("PASSERELLE_RENDER_WORKERS")
    return max(1, int(configured)) if configured else (os.cpu_count() or 1)


def render_receipts(
    docs: Iterable[RentReceipt], *, expected: int | None = None, workers: int | None = None
) -> Iterator[bytes]:
    """The PDF of each document, in order; ``docs`` is read lazily, a bounded number ahead of what is yielded.

    ``expected`` (how many documents, when the caller knows) picks the in-process path for small runs without
    reading ahead. Workers are forked from a server process that imported the builder once (``forkserver``): they
    inherit nothing of the caller (database connections, a scheduler's threads) and start at once after the first
    run; the pool is shut down when the iteration ends.
    """
    count = default_workers() if workers is None else max(1, workers)
    if count == 1 or (expected is not None and expected < POOL_FROM):
        for doc in docs:
            yield render_rent_receipt(doc)
        return
    source = iter(docs)
    pending: deque[Future[list[bytes]]] = deque()
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["contracts.rent_documents"])
    with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
        try:
            while True:
                while len(pending) < count * AHEAD:
                    chunk = list(islice(source, CHUNK))
                    if not chunk:
                        break
                    pending.append(pool.submit(render_rent_receipts, chunk))
                if not pending:
                    return
                yield from pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
