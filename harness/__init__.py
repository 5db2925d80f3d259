"""Real servers and the in-process service that both the tests and the benchmarks run against.

Not part of the service (nothing of the service imports it, and the image leaves it out): it lives
here so that tests/ and bench/ share it without either importing the other."""
