"""The asynchronous and time-lag patterns: a job API and a queue worker meeting in Redis.

`api` (uvicorn factory) accepts jobs and answers their status; `worker` (`python -m
app.jobs.worker`) runs them in batches. The queue is a Redis stream read through a
consumer group; docs/decisions/0017 explains the delivery guarantees.
"""
