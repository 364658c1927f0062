"""The records data store the batch job and the record predictor share (SQLAlchemy Core).

`schema` holds the `records` table, `database` opens SQLite or PostgreSQL from a URL,
`seed` writes sample records.
"""
