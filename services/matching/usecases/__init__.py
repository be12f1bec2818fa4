"""Use cases of the matching service, one module per aggregate; each takes the worker's
``servicekit.context.Context`` first (``ctx.uow``, ``ctx.principal``, ``ctx.clock``,
``ctx.tenant``, and the service's extras ``ctx.segmenter``, ``ctx.index``, ``ctx.deliveries``).

Each command checks its caller again (R13.1), validates everything before writing anything,
and commits once: a refusal leaves the database as it was. Answers are dumped through the
schemas of ``contracts.rpc.matching``.
"""
