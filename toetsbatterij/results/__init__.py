"""Frozen results: per attempt, per skill θ, SE, reporting-scale score, level and the probability
of every level, with every version they depend on; immutable, superseded by corrections,
recomputable (``service.recompute``). A service without flask; ``rules`` holds the scoring rules
as versioned data."""
