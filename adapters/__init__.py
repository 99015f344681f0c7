"""Platform adapters: convert platform payloads to neutral turns and neutral replies to cards.

botbuilder is imported under ``adapters.teams`` only; slack-bolt under ``adapters.slack`` only.
"""
