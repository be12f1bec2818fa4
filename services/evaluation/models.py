"""Tables of the evaluation service's own database (the kit's outbox, inbox and audit tables join
them through the migrations)."""

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from servicekit.models import NAMING_CONVENTION


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
