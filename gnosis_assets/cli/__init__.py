"""The `gnosis` command line."""
