"""gunicorn configuration for tests/bench/mixed_load.py: counts page cache hits and misses.

Each worker wraps the cache the page cache reads (`prm.core.page_cache.cache`) and, when it
exits, writes its counts to `$PRM_BENCH_COUNTS_DIR/<pid>.json`. Only page cache keys are
counted; the server behaves exactly as without this file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path


class _CountingCache:
    def __init__(self, cache):
        self._cache = cache
        self.hits = 0
        self.misses = 0

    def get(self, key, default=None, **kwargs):
        value = self._cache.get(key, default, **kwargs)
        if key.startswith("prm:page:"):
            if value is default:
                self.misses += 1
            else:
                self.hits += 1
        return value

    def __getattr__(self, name):
        return getattr(self._cache, name)


def post_fork(server, worker):
    from prm.core import page_cache

    page_cache.cache = _CountingCache(page_cache.cache)


def worker_exit(server, worker):
    from prm.core import page_cache

    counts = {"hits": page_cache.cache.hits, "misses": page_cache.cache.misses}
    folder = Path(os.environ["PRM_BENCH_COUNTS_DIR"])
    (folder / f"{os.getpid()}.json").write_text(json.dumps(counts))
