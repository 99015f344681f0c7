"""The live federation DNS check: domain parsing, resolution and judgement, results as data."""
