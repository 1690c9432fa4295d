"""Running the dashboard: the task worker's heartbeat and /healthz. It knows nothing of Convai,
history or review; it reports whether the database answers and the worker is alive."""
