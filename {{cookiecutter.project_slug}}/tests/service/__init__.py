"""Tests of the project's service tier."""
