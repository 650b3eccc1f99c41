"""Training-loop pieces every task shares: distributed setup, checkpoints, atomic files, seeding."""
