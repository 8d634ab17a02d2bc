"""The offline benchmark: baselines and index folders scored on the standard evaluation sets."""
