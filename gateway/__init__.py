"""The gateway: the one public HTTP API in front of the services (DESIGN.md §1, §5).

Thin by design: authenticate, authorise, validate, call RPC, shape the response.
"""
