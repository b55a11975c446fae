"""The Whoosh engine: schema, analyzer, writer, ranking, query parsing and searching."""
