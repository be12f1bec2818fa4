"""Nameko entrypoints of the evaluation service: parse, call a use case, return."""

from servicekit.base import KitService
from servicekit.db import Database


class EvaluationService(KitService):
    name = "evaluation"
    db = Database("services.evaluation:migrations")
