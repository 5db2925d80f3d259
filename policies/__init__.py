"""The policy packs (*.toml), shipped as package data so an installed wheel finds them."""
