"""fedbot: troubleshoot external-contact federation for Teams and Slack support channels."""
