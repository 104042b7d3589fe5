"""The outbox (mail written in the same transaction as its cause) and the worker that sends it."""
