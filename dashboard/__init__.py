"""Importable core of the dashboard: cached readers, filters, queries, charts and exports."""
