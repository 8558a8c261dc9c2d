"""Analysis: the outcome registry, summaries, compare, sensitivity, plots and the narrative."""
