"""Plans: the planner with live findings, the schedule in force, and its versioned changes."""
