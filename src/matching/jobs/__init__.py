"""Long work as jobs: accepted at once (202), run by a runner thread, followed by polling
(docs/jobs.md)."""
