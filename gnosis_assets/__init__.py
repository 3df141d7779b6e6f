"""GNOSIS asset graph: curated datasets, split sets and evaluation reports published to S3."""

__version__ = "0.1.0"
