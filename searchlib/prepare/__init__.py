"""Prepare: read sources into articles (text, dates, titles) and find their named entities."""
