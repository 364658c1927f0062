"""The project's inference service: training, the model core, and its HTTP adapter."""

__version__ = "0.1.0"
