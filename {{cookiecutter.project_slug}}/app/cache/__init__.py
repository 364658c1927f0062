"""Redis caches composed onto the predictor: answers (`prediction`) and records (`records`).

Both fail open: when Redis errs or is unreachable, the request is answered uncached, and
the error is counted and logged (docs/decisions/0018-caches.md).
"""
