"""Activities: methods of classes holding their dependencies, registered as bound methods."""
