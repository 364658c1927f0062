"""The proxy core: pooled backend clients, typed outcomes, readiness and metrics.

Each proxy role (gateway, serial, parallel; the preprocess service too) is a thin strategy
over this core, configured by its own settings class.
"""
