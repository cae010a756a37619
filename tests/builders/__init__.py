"""Builders the test modules share: data, sessions, signals and fakes wired together."""
