"""How flows are served: deployments with schedules, UI parameters and triggers. Nothing here computes."""
