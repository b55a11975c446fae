"""Search: the query language, the ``Index`` handle, snippets and spelling."""
