"""Tests of the project's unit tier."""
