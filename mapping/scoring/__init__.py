"""Scoring: indicators per post, criteria profiles, MCDA methods, sensitivity, shortlist."""
