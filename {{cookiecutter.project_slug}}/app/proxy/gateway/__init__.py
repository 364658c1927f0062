"""The synchronous pattern's gateway: forwards to one predictor under a timeout."""
