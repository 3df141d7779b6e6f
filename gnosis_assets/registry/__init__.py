"""Records of the published data: the MongoDB registry and the YAML manifests."""
