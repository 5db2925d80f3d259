"""The auditor: show and verify what happened to a case."""
