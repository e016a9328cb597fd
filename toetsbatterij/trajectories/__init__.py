"""Integration trajectories and their components (MO, NT2, career orientation, participation)."""
