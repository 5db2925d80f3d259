"""Runtime wiring: settings, the Temporal client, the payload codec, logging, the embedded servers."""
