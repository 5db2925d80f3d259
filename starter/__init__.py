"""The client side: settings, embedded servers, service facade, HTTP API and CLI."""
