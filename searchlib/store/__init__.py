"""Store: definitions, generations and manifest, the build lock, source state, build, check."""
