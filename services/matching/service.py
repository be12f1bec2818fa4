"""Nameko entrypoints of the matching service: parse, call a use case, return."""

from servicekit.base import KitService
from servicekit.db import Database


class MatchingService(KitService):
    name = "matching"
    db = Database("services.matching:migrations")
