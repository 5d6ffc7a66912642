"""Operators' tools: run by hand against any database (``DATABASE_URL``), production included; not deployed."""
