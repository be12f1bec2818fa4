"""Shared infrastructure of the platform's nameko services.

Database unit of work, transactional outbox and its relay, idempotent retrying event handlers,
dead-letter tooling, event envelope, configuration and tenants, working-day calendar, logging.
No service's own rules live here (DESIGN.md §5).
"""
