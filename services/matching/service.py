"""Nameko entrypoints of the matching service: parse, call a use case, return."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from nameko.extensions import DependencyProvider
from nameko.timer import Timer

from contracts.rpc import matching as contract
from servicekit.auth import Principal
from servicekit.base import KitService, rpc
from servicekit.context import Context
from servicekit.db import Database
from servicekit.envelope import Envelope
from servicekit.handlers import event_handler
from servicekit.validation import load
from services.matching import notify, search
from services.matching.usecases import (
    collaborations,
    demands,
    experts,
    notifications,
    recommendations,
    stations,
    talent_map,
    transfers,
)

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
        """The use cases' context, with the segmenter, the expert index and the delivery
        settings as its extras."""
        return self.context(segmenter=self.engine.segmenter, index=self.engine.holder,
                            deliveries=self.deliveries)

    # Talent database ---------------------------------------------------------------------

    @rpc
    def register_expert(self, request: dict) -> dict:
        return experts.register_expert(self.ctx, load(contract.ExpertFields(), request))

    @rpc
    def update_expert(self, request: dict) -> dict:
        data = load(contract.UpdateExpert(partial=contract.PROFILE_FIELDS), request)
        expert_id = data.pop("expert_id")
        return experts.update_expert(self.ctx, expert_id, data)

    @rpc
    def deactivate_expert(self, request: dict) -> dict:
        data = load(contract.DeactivateExpert(), request)
        return experts.set_expert_active(self.ctx, data["expert_id"], False, data["reason"])

    @rpc
    def reactivate_expert(self, request: dict) -> dict:
        data = load(contract.ExpertId(), request)
        return experts.set_expert_active(self.ctx, data["expert_id"], True)

    @rpc
    def list_expert_change_requests(self, request: dict) -> dict:
        return experts.list_change_requests(self.ctx, load(contract.ChangeRequestQuery(), request))

    @rpc
    def decide_expert_change_request(self, request: dict) -> dict:
        data = load(contract.DecideChangeRequest(), request)
        return experts.decide_change_request(self.ctx, data["change_request_id"],
                                             data["decision"], data.get("reason"))

    @rpc
    def get_expert(self, request: dict) -> dict:
        return experts.get_expert(self.ctx, load(contract.ExpertId(), request)["expert_id"])

    @rpc
    def list_experts(self, request: dict) -> dict:
        return experts.list_experts(self.ctx, load(contract.ExpertQuery(), request))

    # Demand database ---------------------------------------------------------------------

    @rpc
    def post_demand(self, request: dict) -> dict:
        return demands.post_demand(self.ctx, load(contract.DemandFields(), request))

    @rpc
    def revise_demand(self, request: dict) -> dict:
        data = load(contract.ReviseDemand(), request)
        return demands.revise_demand(self.ctx, data.pop("demand_id"), data)

    @rpc
    def triage_demand(self, request: dict) -> dict:
        data = load(contract.TriageDemand(), request)
        return demands.triage_demand(self.ctx, data["demand_id"], data["action"],
                                     data.get("reason", ""))

    @rpc
    def close_demand(self, request: dict) -> dict:
        data = load(contract.CloseDemand(), request)
        return demands.close_demand(self.ctx, data["demand_id"], data["reason"])

    @rpc
    def get_demand(self, request: dict) -> dict:
        return demands.get_demand(self.ctx, load(contract.DemandId(), request)["demand_id"])

    @rpc
    def list_demands(self, request: dict) -> dict:
        return demands.list_demands(self.ctx, load(contract.DemandQuery(), request))

    @rpc
    def expire_due_demands(self) -> dict:
        return demands.expire_due_demands(self.ctx)

    @ConfigTimer.decorator("EXPIRY_CHECK_SECONDS", 3600.0)
    def expire_due_demands_on_timer(self) -> None:
        demands.expire_due_demands(replace(self.ctx, principal=SYSTEM))

    # Matching and feedback -----------------------------------------------------------------

    @rpc
    def recommend_experts(self, request: dict) -> dict:
        data = load(contract.RecommendExperts(), request)
        return recommendations.recommend_experts(self.ctx, data["demand_id"], data["limit"])

    @rpc
    def publish_recommendations(self, request: dict) -> dict:
        data = load(contract.PublishRecommendations(), request)
        return recommendations.publish_recommendations(self.ctx, data["demand_id"],
                                                       data["expert_ids"], data["station_id"])

    @rpc
    def list_recommendations(self, request: dict) -> dict:
        return recommendations.list_recommendations(
            self.ctx, load(contract.DemandId(), request)["demand_id"])

    @rpc
    def answer_recommendation(self, request: dict) -> dict:
        data = load(contract.AnswerRecommendation(), request)
        return recommendations.answer_recommendation(
            self.ctx, data["recommendation_id"], data["decision"], data["mode"],
            data.get("reason", ""), data["demand_id"])

    @rpc
    def list_collaborations(self, request: dict) -> dict:
        return collaborations.list_collaborations(
            self.ctx, load(contract.CollaborationQuery(), request))

    # Notifying enterprises -----------------------------------------------------------------

    @rpc
    def list_notifications(self, request: dict) -> dict:
        return notifications.list_notifications(
            self.ctx, load(contract.NotificationQuery(), request))

    @rpc
    def mark_notification_read(self, request: dict) -> dict:
        data = load(contract.NotificationId(), request)
        return notifications.mark_notification_read(self.ctx, data["notification_id"])

    @rpc
    def set_notification_settings(self, request: dict) -> dict:
        return notifications.set_notification_settings(
            self.ctx, load(contract.NotificationSettings(), request))

    @rpc
    def get_notification_settings(self) -> dict:
        return notifications.get_notification_settings(self.ctx)

    @rpc
    def list_deliveries(self, request: dict) -> dict:
        return notifications.list_deliveries(self.ctx, load(contract.DeliveryQuery(), request))

    @ConfigTimer.decorator("DELIVERY_POLL_SECONDS", 5.0)
    def dispatch_deliveries(self) -> None:
        notifications.dispatch_due_deliveries(self.ctx)

    # Talent map ------------------------------------------------------------------------------

    @rpc
    def get_talent_map(self, request: dict) -> dict:
        return talent_map.get_talent_map(self.ctx, load(contract.TalentMapQuery(), request))

    @rpc
    def render_talent_map(self, request: dict) -> str:
        return talent_map.render_talent_map(self.ctx, load(contract.TalentMapQuery(), request))

    # Imports and exports ---------------------------------------------------------------------

    @rpc
    def import_file(self, request: dict) -> dict:
        return transfers.import_file(self.ctx, load(contract.ImportFile(), request))

    @rpc
    def stage_import(self, request: dict) -> dict:
        return transfers.stage_import(self.ctx, load(contract.StageImport(), request))

    @rpc
    def commit_import(self, request: dict) -> dict:
        data = load(contract.ImportJobId(), request)
        return transfers.commit_import(self.ctx, data["job_id"])

    @rpc
    def discard_import(self, request: dict) -> dict:
        data = load(contract.ImportJobId(), request)
        return transfers.discard_import(self.ctx, data["job_id"])

    @rpc
    def export_records(self, request: dict) -> dict:
        return transfers.export_records(self.ctx, load(contract.ExportRecords(), request))

    # Stations (read model of the applications service) -------------------------------------

    @event_handler("applications", "station_approved")
    def on_station_approved(self, event: Envelope) -> None:
        stations.apply_station(self.ctx, event.type, event.payload)

    @event_handler("applications", "station_status_changed")
    def on_station_status_changed(self, event: Envelope) -> None:
        stations.apply_station(self.ctx, event.type, event.payload)

    @event_handler("applications", "station_revoked")
    def on_station_revoked(self, event: Envelope) -> None:
        stations.apply_station(self.ctx, event.type, event.payload)

    @rpc
    def list_stations(self) -> list[dict]:
        return stations.list_stations(self.ctx)
