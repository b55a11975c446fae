"""Present: renderings of results for people (HTML, DataFrames, timelines, the terminal)."""
