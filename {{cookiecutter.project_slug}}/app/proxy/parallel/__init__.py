"""The parallel pattern's proxy: one request fanned out to independent predictors."""
