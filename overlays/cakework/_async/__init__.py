"""The asyncio edge, hand-written: ``AsyncCakework``, its resources, iterators and pool.

Each module here has a generated blocking twin in ``cakework._sync`` (made by
``scripts/unasync.py``: ``async``/``await`` removed and ``Async*`` names mapped to their
sync counterparts), so the two clients cannot drift apart. Edit these files, then run
``make generate``; ``make drift`` fails while the twin is stale.
"""
