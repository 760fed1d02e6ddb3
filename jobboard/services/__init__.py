"""Use cases: each one reads and writes the database in one transaction."""
