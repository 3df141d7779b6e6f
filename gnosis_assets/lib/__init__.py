"""Small reusable pieces with no knowledge of volumes, stores or Dagster."""
