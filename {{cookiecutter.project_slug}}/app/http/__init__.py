"""HTTP adapters over the model core."""
