"""Event contracts: the payload schema of every event type, imported by producers and consumers."""

from contracts.registry import Contract, contract_for, register

__all__ = ["Contract", "contract_for", "register"]
