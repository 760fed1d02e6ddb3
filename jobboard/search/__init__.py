"""Full-text search: Whoosh schema, French analysis, index store, searcher and indexer."""
