"""Nameko entrypoints of the matching service: parse, call a use case, return."""

from __future__ import annotations

from typing import Any

from nameko.extensions import DependencyProvider
from nameko.timer import Timer

from servicekit.auth import Principal
from servicekit.base import KitService, rpc
from servicekit.db import Database
from servicekit.envelope import Envelope
from servicekit.handlers import event_handler
from servicekit.validation import load
from services.matching import importer, notify, schemas, search, usecases
from services.matching.usecases import Context

SYSTEM = Principal(actor="system", role="system")


class ConfigTimer(Timer):
    """nameko's timer, its interval read from the service's configuration at start."""

    def __init__(self, config_key: str, default: float, **kwargs: Any) -> None:
        self.config_key = config_key
        self.default = default
        super().__init__(interval=default, **kwargs)

    def setup(self) -> None:
        self.interval = float(self.container.config.get(self.config_key, self.default))


class Engine(DependencyProvider):
    """The process's segmenter (warmed at start) and its current expert index."""

    def setup(self) -> None:
        self.segmenter = search.segmenter()
        self.holder = search.IndexHolder()

    def start(self) -> None:
        self.segmenter.warm_up()

    def get_dependency(self, worker_ctx: Any) -> Engine:
        return self


class Deliveries(DependencyProvider):
    def setup(self) -> None:
        self.settings = notify.DeliverySettings.from_config(self.container.config)

    def get_dependency(self, worker_ctx: Any) -> notify.DeliverySettings:
        return self.settings


class MatchingService(KitService):
    name = "matching"
    db = Database("services.matching:migrations")
    engine = Engine()
    deliveries = Deliveries()

    @property
    def ctx(self) -> Context:
        return Context(self.db, self.caller, self.clock)

    # Talent database ---------------------------------------------------------------------

    @rpc
    def register_expert(self, request: dict) -> dict:
        data = load(schemas.ExpertFields(), request)
        return usecases.register_expert(self.ctx, data, self.engine.segmenter)

    @rpc
    def update_expert(self, request: dict) -> dict:
        data = load(schemas.UpdateExpert(partial=schemas.PROFILE_FIELDS), request)
        expert_id = data.pop("expert_id")
        return usecases.update_expert(self.ctx, expert_id, data, self.engine.segmenter)

    @rpc
    def get_expert(self, request: dict) -> dict:
        return usecases.get_expert(self.ctx, load(schemas.ExpertId(), request)["expert_id"])

    @rpc
    def list_experts(self, request: dict) -> dict:
        return usecases.list_experts(self.ctx, load(schemas.ExpertQuery(), request))

    # Demand database ---------------------------------------------------------------------

    @rpc
    def post_demand(self, request: dict) -> dict:
        return usecases.post_demand(self.ctx, load(schemas.DemandFields(), request))

    @rpc
    def revise_demand(self, request: dict) -> dict:
        data = load(schemas.ReviseDemand(), request)
        return usecases.revise_demand(self.ctx, data.pop("demand_id"), data)

    @rpc
    def triage_demand(self, request: dict) -> dict:
        data = load(schemas.TriageDemand(), request)
        return usecases.triage_demand(self.ctx, data["demand_id"], data["action"],
                                      data.get("reason", ""))

    @rpc
    def close_demand(self, request: dict) -> dict:
        data = load(schemas.CloseDemand(), request)
        return usecases.close_demand(self.ctx, data["demand_id"], data["reason"])

    @rpc
    def get_demand(self, request: dict) -> dict:
        return usecases.get_demand(self.ctx, load(schemas.DemandId(), request)["demand_id"])

    @rpc
    def list_demands(self, request: dict) -> dict:
        return usecases.list_demands(self.ctx, load(schemas.DemandQuery(), request))

    @rpc
    def expire_due_demands(self) -> dict:
        return usecases.expire_due_demands(self.ctx)

    @ConfigTimer.decorator("EXPIRY_CHECK_SECONDS", 3600.0)
    def expire_due_demands_on_timer(self) -> None:
        usecases.expire_due_demands(Context(self.db, SYSTEM, self.clock))

    # Matching and feedback -----------------------------------------------------------------

    @rpc
    def recommend(self, request: dict) -> dict:
        data = load(schemas.Recommend(), request)
        return usecases.recommend(self.ctx, data["demand_id"], data["limit"],
                                  self.engine.holder, self.engine.segmenter)

    @rpc
    def publish_recommendations(self, request: dict) -> dict:
        data = load(schemas.Publish(), request)
        return usecases.publish_recommendations(self.ctx, data["demand_id"], data["expert_ids"],
                                                data["station_id"])

    @rpc
    def list_recommendations(self, request: dict) -> dict:
        return usecases.list_recommendations(self.ctx,
                                             load(schemas.DemandId(), request)["demand_id"])

    @rpc
    def respond(self, request: dict) -> dict:
        data = load(schemas.Respond(), request)
        return usecases.respond(self.ctx, data["recommendation_id"], data["decision"],
                                data["mode"], data.get("reason", ""), data["demand_id"])

    @rpc
    def list_collaborations(self, request: dict) -> dict:
        return usecases.list_collaborations(self.ctx, load(schemas.CollaborationQuery(), request))

    # Notifying enterprises -----------------------------------------------------------------

    @rpc
    def list_notifications(self, request: dict) -> dict:
        return usecases.list_notifications(self.ctx, load(schemas.NotificationQuery(), request))

    @rpc
    def mark_notification_read(self, request: dict) -> dict:
        data = load(schemas.NotificationId(), request)
        return usecases.mark_read(self.ctx, data["notification_id"])

    @rpc
    def set_notification_settings(self, request: dict) -> dict:
        data = load(schemas.NotificationSettings(), request)
        return usecases.set_notification_settings(self.ctx, data)

    @rpc
    def get_notification_settings(self) -> dict:
        return usecases.get_notification_settings(self.ctx)

    @rpc
    def list_deliveries(self, request: dict) -> dict:
        return usecases.list_deliveries(self.ctx, load(schemas.DeliveryQuery(), request))

    @ConfigTimer.decorator("DELIVERY_POLL_SECONDS", 5.0)
    def dispatch_deliveries(self) -> None:
        usecases.dispatch_due_deliveries(self.db, self.deliveries)

    # Talent map ------------------------------------------------------------------------------

    @rpc
    def talent_map(self, request: dict) -> dict:
        return usecases.talent_map(self.ctx, load(schemas.TalentMapQuery(), request))

    @rpc
    def talent_map_svg(self, request: dict) -> str:
        return usecases.talent_map_svg(self.ctx, load(schemas.TalentMapQuery(), request))

    # Imports and exports ---------------------------------------------------------------------

    @rpc
    def import_file(self, request: dict) -> dict:
        data = load(schemas.ImportFile(), request)
        return importer.import_file(self.ctx, data, self.engine.segmenter)

    @rpc
    def import_stage(self, request: dict) -> dict:
        data = load(schemas.ImportStage(), request)
        return importer.stage(self.ctx, data)

    @rpc
    def import_commit(self, request: dict) -> dict:
        data = load(schemas.ImportJobId(), request)
        return importer.commit(self.ctx, data["job_id"], self.engine.segmenter)

    @rpc
    def import_discard(self, request: dict) -> dict:
        return importer.discard(self.ctx, load(schemas.ImportJobId(), request)["job_id"])

    @rpc
    def export(self, request: dict) -> dict:
        return importer.export(self.ctx, load(schemas.Export(), request))

    # Stations (read model of the applications service) -------------------------------------

    @event_handler("applications", "station_approved")
    def on_station_approved(self, event: Envelope) -> None:
        usecases.station_approved(self.db, event.payload)

    @event_handler("applications", "station_revoked")
    def on_station_revoked(self, event: Envelope) -> None:
        usecases.station_revoked(self.db, event.payload)

    @rpc
    def list_stations(self) -> list[dict]:
        return usecases.list_stations(self.ctx)
