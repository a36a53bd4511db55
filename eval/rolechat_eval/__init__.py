"""Rolechat's tutor evaluation (`make eval`)."""
