"""Use cases of the subsidy service, one module per aggregate.

Every use case is ``usecase(ctx, ...)`` with a :class:`servicekit.context.Context`: it opens
the unit of work, loads, applies the rules (``services.subsidy.domain``), posts to the ledger,
saves, audits, adds the events the change causes to the outbox and commits; a refusal raises
before anything is written. Answers are dumped through the contract's schemas
(``contracts.rpc.subsidy``). Who may do what is in ``permissions``.
"""
