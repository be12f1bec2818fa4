"""Nameko entrypoints of the subsidy service: parse, call a use case, return."""

from servicekit.base import KitService
from servicekit.db import Database


class SubsidyService(KitService):
    name = "subsidy"
    db = Database("services.subsidy:migrations")
