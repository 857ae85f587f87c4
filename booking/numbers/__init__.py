"""The front desk's numbers for the last 12 weeks: what came in, how fast it was answered, who came."""
