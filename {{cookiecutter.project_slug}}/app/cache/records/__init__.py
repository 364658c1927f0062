"""The record predictor: requests name records by id; their features come from a database
through a read-through Redis cache."""
