"""The article as validated data: symptoms, the scope table, causes, resolutions, error signatures.

``load_knowledge()`` (in :mod:`knowledge.loader`) reads the shipped YAML plus an organisation's
overrides named by ``FEDBOT_KNOWLEDGE`` and returns a :class:`knowledge.model.Knowledge`.
"""
