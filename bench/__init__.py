"""Benchmarks: the portal against a minimal Flask app doing the same Cognito call."""
