"""Component weights learned from each province's outcomes (docs/scoring.md, "Learned weights"):
the stored fits and the API that shows them and fits anew."""
