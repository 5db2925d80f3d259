"""The entry points people touch: the HTTP API, the CLI, the dev supervisor, the service facade."""
