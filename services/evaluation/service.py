"""Nameko entrypoints of the evaluation service: parse, call a use case, return."""

from __future__ import annotations

from nameko.timer import timer

from servicekit.base import KitService, rpc
from servicekit.db import Database
from servicekit.envelope import Envelope
from servicekit.handlers import event_handler
from servicekit.validation import load
from services.evaluation import schemas, usecases

DEADLINE_CHECK_SECONDS = 3600


class EvaluationService(KitService):
    name = "evaluation"
    db = Database("services.evaluation:migrations")

    # ---- the station read model ----

    @event_handler("applications", "station_approved")
    def on_station_approved(self, event: Envelope) -> None:
        usecases.station_approved(self.db, event.payload)

    @event_handler("applications", "station_status_changed")
    def on_station_status_changed(self, event: Envelope) -> None:
        usecases.station_status_changed(self.db, event.payload)

    @event_handler("applications", "station_revoked")
    def on_station_revoked(self, event: Envelope) -> None:
        usecases.station_revoked(self.db, event.payload)

    @event_handler("matching", "collaboration_recorded")
    def on_collaboration_recorded(self, event: Envelope) -> None:
        usecases.collaboration_recorded(self.db, event.payload)

    # ---- station records ----

    @rpc
    def station_profile(self, request: dict) -> dict:
        data = load(schemas.StationRequest(), request)
        return usecases.station_profile(self.db, self.caller, self.clock.today(), data)

    @rpc
    def record_activity(self, request: dict) -> dict:
        data = load(schemas.RecordActivity(), request)
        return usecases.record_activity(self.db, self.caller, self.clock.today(), data)

    @rpc
    def list_activities(self, request: dict) -> dict:
        return usecases.list_activities(self.db, self.caller, load(schemas.StationPage(), request))

    @rpc
    def request_expert_service(self, request: dict) -> dict:
        data = load(schemas.RequestExpertService(), request)
        return usecases.request_expert_service(self.db, self.caller, self.clock.today(), data)

    @rpc
    def advance_expert_service(self, request: dict) -> dict:
        data = load(schemas.AdvanceExpertService(), request)
        return usecases.advance_expert_service(self.db, self.caller, self.clock.today(), data)

    @rpc
    def list_expert_services(self, request: dict) -> dict:
        data = load(schemas.StationPage(), request)
        return usecases.list_expert_services(self.db, self.caller, data)

    @rpc
    def set_report_deadlines(self, request: dict) -> dict:
        data = load(schemas.SetReportDeadlines(), request)
        return usecases.set_report_deadlines(self.db, self.caller, self.clock.today(), data)

    @rpc
    def submit_report(self, request: dict) -> dict:
        data = load(schemas.SubmitReport(), request)
        return usecases.submit_report(self.db, self.caller, self.clock.today(), data)

    @rpc
    def list_reports(self, request: dict) -> list[dict]:
        data = load(schemas.StationRequest(), request)
        return usecases.list_reports(self.db, self.caller, self.clock.today(), data)

    @rpc
    def check_deadlines(self) -> dict:
        """What the hourly timer does, on demand (the city or the system)."""
        self.caller.require("city_hr", "system")
        return usecases.check_deadlines(self.db, self.clock.today())

    # A short name on purpose: the worker's call id ("evaluation.deadline_timer.<uuid>") is its
    # correlation id, and the kit's audit column holds 64 characters.
    @timer(interval=DEADLINE_CHECK_SECONDS)
    def deadline_timer(self) -> None:
        usecases.check_deadlines(self.db, self.clock.today())

    # ---- evaluation cycles ----

    @rpc
    def open_cycle(self, request: dict) -> dict:
        data = load(schemas.OpenCycle(), request)
        return usecases.open_cycle(self.db, self.caller, self.clock.today(), data)

    @rpc
    def list_cycles(self, request: dict | None = None) -> dict:
        return usecases.list_cycles(self.db, self.caller, load(schemas.CyclePage(), request or {}))

    @rpc
    def get_cycle(self, request: dict) -> dict:
        return usecases.get_cycle(self.db, self.caller, load(schemas.CycleRequest(), request))

    @rpc
    def assign_reviewers(self, request: dict) -> dict:
        data = load(schemas.AssignReviewers(), request)
        return usecases.assign_reviewers(self.db, self.caller, data)

    @rpc
    def list_assignments(self, request: dict) -> list[dict]:
        data = load(schemas.CycleRequest(), request)
        return usecases.my_assignments(self.db, self.caller, data)

    @rpc
    def submit_scores(self, request: dict) -> dict:
        return usecases.submit_scores(self.db, self.caller, load(schemas.SubmitScores(), request))

    @rpc
    def finalize_cycle(self, request: dict) -> dict:
        data = load(schemas.Finalize(), request)
        return usecases.finalize_cycle(self.db, self.caller, self.clock.today(), data)

    @rpc
    def cycle_report(self, request: dict) -> dict:
        return usecases.cycle_report(self.db, self.caller, load(schemas.CycleRequest(), request))

    # ---- rectification ----

    @rpc
    def list_rectifications(self, request: dict | None = None) -> dict:
        data = load(schemas.RectificationPage(), request or {})
        return usecases.list_rectifications(self.db, self.caller, data)

    @rpc
    def get_rectification(self, request: dict) -> dict:
        data = load(schemas.RectificationRequest(), request)
        return usecases.get_rectification(self.db, self.caller, data)

    @rpc
    def submit_evidence(self, request: dict) -> dict:
        data = load(schemas.SubmitEvidence(), request)
        return usecases.submit_evidence(self.db, self.caller, self.clock.today(), data)

    @rpc
    def reassess(self, request: dict) -> dict:
        data = load(schemas.Reassess(), request)
        return usecases.reassess(self.db, self.caller, self.clock.today(), data)

    # ---- demonstration stations ----

    @rpc
    def propose_demonstration(self, request: dict) -> dict:
        data = load(schemas.ProposeDemonstration(), request)
        return usecases.propose_demonstration(self.db, self.caller, self.clock.today(), data)

    @rpc
    def confirm_demonstration(self, request: dict) -> dict:
        data = load(schemas.SelectionRequest(), request)
        return usecases.confirm_demonstration(self.db, self.caller, self.clock.today(), data)

    @rpc
    def decline_demonstration(self, request: dict) -> dict:
        data = load(schemas.DeclineSelection(), request)
        return usecases.decline_demonstration(self.db, self.caller, data)

    @rpc
    def list_demonstrations(self, request: dict | None = None) -> dict:
        data = load(schemas.DemonstrationPage(), request or {})
        return usecases.list_demonstrations(self.db, self.caller, data)

