"""The cached predictor: the standard predictor answering repeated inputs from Redis."""
