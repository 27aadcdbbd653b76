"""The Slack edge: Bolt app, listeners, Web API client and servers.

Nothing in the core imports it."""
