"""Exports of the ranking and shortlist: spreadsheets, GIS files, KML and the printed report."""
