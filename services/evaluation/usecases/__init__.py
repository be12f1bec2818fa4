"""Use cases of the evaluation service, one module per aggregate.

Every use case is ``usecase(ctx, ...)`` with a :class:`servicekit.context.Context`: it opens
the unit of work, loads, asks the domain, saves, audits, adds the events the change causes to
the outbox and commits. Commands check the caller again (R13.1), whatever the gateway checked;
answers are dumped through the contract's schemas (``contracts.rpc.evaluation``).
"""
