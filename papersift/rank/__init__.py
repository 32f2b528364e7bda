"""Ranking: pure functions over ranked lists and scores."""
