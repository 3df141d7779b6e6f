"""Publishing volumes to the store: discovery, upload with hashing, metadata and reports."""
