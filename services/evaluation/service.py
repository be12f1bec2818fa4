"""Nameko entrypoints of the evaluation service: parse, call a use case, return."""

from __future__ import annotations

from nameko.timer import timer

from contracts.rpc import evaluation as contract
from servicekit.base import KitService, rpc
from servicekit.db import Database
from servicekit.envelope import Envelope
from servicekit.handlers import event_handler
from servicekit.paging import PageRequest
from servicekit.validation import load
from services.evaluation.usecases import (
    activities,
    collaborations,
    commendations,
    cycles,
    demonstrations,
    expert_services,
    rectifications,
    reports,
    scoring,
    stations,
    training_publicity,
)

DEADLINE_CHECK_SECONDS = 3600


class EvaluationService(KitService):
    name = "evaluation"
    db = Database("services.evaluation:migrations")

    # ---- the station read model ----

    @event_handler("applications", "station_approved")
    def on_station_approved(self, event: Envelope) -> None:
        stations.apply_station(self.context(), event.type, event.payload)

    @event_handler("applications", "station_status_changed")
    def on_station_status_changed(self, event: Envelope) -> None:
        stations.apply_station(self.context(), event.type, event.payload)

    @event_handler("applications", "station_revoked")
    def on_station_revoked(self, event: Envelope) -> None:
        stations.apply_station(self.context(), event.type, event.payload)

    @event_handler("matching", "collaboration_recorded")
    def on_collaboration_recorded(self, event: Envelope) -> None:
        collaborations.count_collaboration(self.context(), event.payload)

    # ---- station records ----

    @rpc
    def get_station_profile(self, request: dict) -> dict:
        data = load(contract.StationRequest(), request)
        return stations.get_station_profile(self.context(), data)

    @rpc
    def record_activity(self, request: dict) -> dict:
        data = load(contract.RecordActivity(), request)
        return activities.record_activity(self.context(), data)

    @rpc
    def list_activities(self, request: dict) -> dict:
        data = load(contract.StationPage(), request)
        return activities.list_activities(self.context(), data)

    @rpc
    def request_expert_service(self, request: dict) -> dict:
        data = load(contract.RequestExpertService(), request)
        return expert_services.request_expert_service(self.context(), data)

    @rpc
    def advance_expert_service(self, request: dict) -> dict:
        data = load(contract.AdvanceExpertService(), request)
        return expert_services.advance_expert_service(self.context(), data)

    @rpc
    def list_expert_services(self, request: dict) -> dict:
        data = load(contract.StationPage(), request)
        return expert_services.list_expert_services(self.context(), data)

    @rpc
    def set_report_deadlines(self, request: dict) -> dict:
        data = load(contract.SetReportDeadlines(), request)
        return reports.set_report_deadlines(self.context(), data)

    @rpc
    def submit_report(self, request: dict) -> dict:
        data = load(contract.SubmitReport(), request)
        return reports.submit_report(self.context(), data)

    @rpc
    def list_reports(self, request: dict) -> list[dict]:
        data = load(contract.StationRequest(), request)
        return reports.list_reports(self.context(), data)

    @rpc
    def record_commendation(self, request: dict) -> dict:
        data = load(contract.RecordCommendation(), request)
        return commendations.record_commendation(self.context(), data)

    @rpc
    def record_training(self, request: dict) -> dict:
        data = load(contract.RecordTraining(), request)
        return training_publicity.record_training(self.context(), data)

    @rpc
    def list_trainings(self, request: dict | None = None) -> dict:
        data = load(PageRequest(), request or {})
        return training_publicity.list_trainings(self.context(), data)

    @rpc
    def record_publicity(self, request: dict) -> dict:
        data = load(contract.RecordPublicity(), request)
        return training_publicity.record_publicity(self.context(), data)

    @rpc
    def list_publicity(self, request: dict | None = None) -> dict:
        data = load(contract.PublicityPage(), request or {})
        return training_publicity.list_publicity(self.context(), data)

    @rpc
    def check_deadlines(self) -> dict:
        """What the hourly timer does, on demand (the city or the system)."""
        self.caller.require("city_hr", "system")
        return reports.check_deadlines(self.context())

    @timer(interval=DEADLINE_CHECK_SECONDS)
    def deadline_timer(self) -> None:
        """The hourly deadline check, as the system."""
        reports.check_deadlines(self.context())

    # ---- evaluation cycles ----

    @rpc
    def open_cycle(self, request: dict) -> dict:
        data = load(contract.OpenCycle(), request)
        return cycles.open_cycle(self.context(), data)

    @rpc
    def list_cycles(self, request: dict | None = None) -> dict:
        data = load(contract.CyclePage(), request or {})
        return cycles.list_cycles(self.context(), data)

    @rpc
    def get_cycle(self, request: dict) -> dict:
        data = load(contract.CycleRequest(), request)
        return cycles.get_cycle(self.context(), data)

    @rpc
    def assign_reviewers(self, request: dict) -> dict:
        data = load(contract.AssignReviewers(), request)
        return scoring.assign_reviewers(self.context(), data)

    @rpc
    def list_assignments(self, request: dict) -> list[dict]:
        data = load(contract.CycleRequest(), request)
        return scoring.list_assignments(self.context(), data)

    @rpc
    def submit_scores(self, request: dict) -> dict:
        data = load(contract.SubmitScores(), request)
        return scoring.submit_scores(self.context(), data)

    @rpc
    def finalize_cycle(self, request: dict) -> dict:
        data = load(contract.Finalize(), request)
        return cycles.finalize_cycle(self.context(), data)

    @rpc
    def get_cycle_report(self, request: dict) -> dict:
        data = load(contract.CycleRequest(), request)
        return cycles.get_cycle_report(self.context(), data)

    # ---- rectification ----

    @rpc
    def list_rectifications(self, request: dict | None = None) -> dict:
        data = load(contract.RectificationPage(), request or {})
        return rectifications.list_rectifications(self.context(), data)

    @rpc
    def get_rectification(self, request: dict) -> dict:
        data = load(contract.RectificationRequest(), request)
        return rectifications.get_rectification(self.context(), data)

    @rpc
    def submit_evidence(self, request: dict) -> dict:
        data = load(contract.SubmitEvidence(), request)
        return rectifications.submit_evidence(self.context(), data)

    @rpc
    def reassess_rectification(self, request: dict) -> dict:
        data = load(contract.Reassess(), request)
        return rectifications.reassess_rectification(self.context(), data)

    # ---- demonstration stations ----

    @rpc
    def propose_demonstration(self, request: dict) -> dict:
        data = load(contract.ProposeDemonstration(), request)
        return demonstrations.propose_demonstration(self.context(), data)

    @rpc
    def confirm_demonstration(self, request: dict) -> dict:
        data = load(contract.SelectionRequest(), request)
        return demonstrations.confirm_demonstration(self.context(), data)

    @rpc
    def decline_demonstration(self, request: dict) -> dict:
        data = load(contract.DeclineSelection(), request)
        return demonstrations.decline_demonstration(self.context(), data)

    @rpc
    def list_demonstrations(self, request: dict | None = None) -> dict:
        data = load(contract.DemonstrationPage(), request or {})
        return demonstrations.list_demonstrations(self.context(), data)
