"""GPU workers placed by Ray (extra 'ray'): replicas are Ray actors, each running the normal
worker loop against the database. Ray gives placement, restarts and resource accounting; the
database stays the queue, so no task ever lives only in Ray."""
