"""Notifications to people: the outbox drainer and the delivery channels (e-mail, signed webhooks)."""
