"""site.yaml → Site: the model, its loader and the checks over it."""
