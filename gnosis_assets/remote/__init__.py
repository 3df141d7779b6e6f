"""Running the sync outside the Dagster run process: Pipes assets, entrypoint and Modal app."""
