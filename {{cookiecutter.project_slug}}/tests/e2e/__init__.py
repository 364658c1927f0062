"""Tests of the project's e2e tier."""
