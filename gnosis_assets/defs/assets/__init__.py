"""Asset factories: one asset per source or model, partitioned by its versions."""
