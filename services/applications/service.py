"""Nameko entrypoints of the applications service: parse, call a use case, return."""

from __future__ import annotations

from dataclasses import asdict

from servicekit.attachments import AttachmentStore, decode_base64
from servicekit.base import KitService, rpc
from servicekit.calendar import YearData
from servicekit.db import Database
from servicekit.envelope import Envelope
from servicekit.handlers import event_handler
from servicekit.validation import load
from services.applications import handover, schemas, usecases


class ApplicationsService(KitService):
    name = "applications"
    db = Database("services.applications:migrations")

    # calendar (R7.3)

    @rpc
    def calendar_register_year(self, request: dict) -> dict:
        data = load(schemas.RegisterCalendarYear(), request)
        year = YearData(data["year"], frozenset(data["holidays"]), frozenset(data["workdays"]))
        return usecases.register_calendar_year(self.db, self.caller, year)

    @rpc
    def calendar_workdays(self, request: dict) -> list[str]:
        data = load(schemas.DateRange(), request)
        return [d.isoformat() for d in usecases.workdays(self.db, data["start"], data["end"])]

    @rpc
    def calendar_notice_window(self, request: dict) -> dict:
        data = load(schemas.NoticeWindowRequest(), request)
        window = usecases.notice_window(self.db, data["published_on"])
        return schemas.NoticeWindow().dump(asdict(window))

    # policy versions (R18.1)

    @rpc
    def register_policy_version(self, request: dict) -> dict:
        data = load(schemas.RegisterPolicyVersion(), request)
        return usecases.register_policy_version(self.db, self.caller, data)

    @rpc
    def list_policy_versions(self) -> list[dict]:
        return usecases.list_policy_versions(self.db)

    # host units and attachments

    @rpc
    def register_host_unit(self, request: dict) -> dict:
        data = load(schemas.RegisterHostUnit(), request)
        return usecases.register_host_unit(self.db, self.caller, data)

    @rpc
    def list_host_units(self, request: dict) -> dict:
        return usecases.list_host_units(self.db, self.caller,
                                        load(schemas.ListHostUnits(), request))

    @rpc
    def get_host_unit(self, host_unit_id: str) -> dict:
        return usecases.get_host_unit(self.db, self.caller, host_unit_id)

    @rpc
    def upload_attachment(self, request: dict) -> dict:
        data = load(schemas.UploadAttachment(), request)
        store = AttachmentStore.for_service(self.config, self.name)
        content = decode_base64(data["content_base64"])
        return usecases.upload_attachment(self.db, self.caller, store, data["filename"],
                                          data["content_type"], content)

    # applications (R5.1, R5.2, R6.1, R7.1)

    @rpc
    def create_application(self, request: dict) -> dict:
        data = load(schemas.CreateApplication(), request)
        return usecases.create_application(self.db, self.caller, self.clock, data)

    @rpc
    def update_application(self, request: dict) -> dict:
        data = load(schemas.UpdateApplication(), request)
        return usecases.update_application(self.db, self.caller, self.clock, data)

    @rpc
    def submit_application(self, request: dict) -> dict:
        data = load(schemas.ApplicationRef(), request)
        return usecases.submit_application(self.db, self.caller, self.clock,
                                           data["application_id"])

    @rpc
    def recommend_application(self, request: dict) -> dict:
        return self._decide("recommend", request)

    @rpc
    def return_application(self, request: dict) -> dict:
        return self._decide("return", request)

    @rpc
    def reject_application(self, request: dict) -> dict:
        """A district rejects its own application; the city rejects one at the city stage."""
        return self._decide("reject", request)

    def _decide(self, action: str, request: dict) -> dict:
        data = load(schemas.Decision(), request)
        return usecases.decide(self.db, self.caller, self.clock, action, data["application_id"],
                               data["comments"])

    @rpc
    def list_applications(self, request: dict) -> dict:
        return usecases.list_applications(self.db, self.caller,
                                          load(schemas.ListApplications(), request))

    @rpc
    def get_application(self, application_id: str) -> dict:
        return usecases.get_application(self.db, self.caller, application_id)

    # city review (R7.2)

    @rpc
    def register_review_expert(self, request: dict) -> dict:
        data = load(schemas.RegisterReviewExpert(), request)
        return usecases.register_review_expert(self.db, self.caller, data)

    @rpc
    def list_review_experts(self) -> list[dict]:
        return usecases.list_review_experts(self.db, self.caller)

    @rpc
    def get_rubric(self) -> dict:
        return usecases.get_rubric(self.db)

    @rpc
    def set_rubric(self, request: dict) -> dict:
        data = load(schemas.SetRubric(), request)
        return usecases.set_rubric(self.db, self.caller, data["criteria"])

    @rpc
    def form_panel(self, request: dict) -> dict:
        data = load(schemas.FormPanel(), request)
        return usecases.form_panel(self.db, self.caller, self.clock, data["application_id"],
                                   data["expert_ids"])

    @rpc
    def record_review(self, request: dict) -> dict:
        data = load(schemas.RecordReview(), request)
        return usecases.record_review(self.db, self.caller, self.clock, data)

    @rpc
    def ranking(self, request: dict) -> list[dict]:
        data = load(schemas.Ranking(), request)
        return usecases.ranking(self.db, self.caller, data["application_ids"])

    @rpc
    def shortlist(self, request: dict) -> list[dict]:
        data = load(schemas.Shortlist(), request)
        return usecases.shortlist(self.db, self.caller, self.clock, data)

    # public notice (R7.3)

    @rpc
    def publish_notice(self, request: dict) -> dict:
        data = load(schemas.PublishNotice(), request)
        return usecases.publish_notice(self.db, self.caller, self.clock, data)

    @rpc
    def list_notices(self, current_only: bool = True) -> list[dict]:
        return usecases.list_notices(self.db, self.caller, self.clock, bool(current_only))

    @rpc
    def get_notice(self, notice_id: str) -> dict:
        return usecases.get_notice(self.db, self.caller, notice_id)

    @rpc
    def file_objection(self, request: dict) -> dict:
        data = load(schemas.FileObjection(), request)
        return usecases.file_objection(self.db, self.caller, self.clock, data)

    @rpc
    def decide_objection(self, request: dict) -> dict:
        data = load(schemas.DecideObjection(), request)
        return usecases.decide_objection(self.db, self.caller, self.clock, data)

    @rpc
    def close_notice(self, request: dict) -> dict:
        data = load(schemas.NoticeRef(), request)
        return usecases.close_notice(self.db, self.caller, self.clock, data["notice_id"])

    # approval (R7.4) and the registry

    @rpc
    def approve_application(self, request: dict) -> dict:
        data = load(schemas.Decision(), request)
        return usecases.approve(self.db, self.caller, self.clock, data["application_id"],
                                data["comments"])

    @rpc
    def decline_application(self, request: dict) -> dict:
        return self._decide("decline", request)

    @rpc
    def list_stations(self, request: dict) -> dict:
        return usecases.list_stations(self.db, self.caller, load(schemas.ListStations(), request))

    @rpc
    def get_station(self, station_id: str) -> dict:
        return usecases.get_station(self.db, self.caller, station_id)

    # a district's own instance and the city's (DESIGN.md §4; handover.py)

    @event_handler("applications", "application_forwarded")
    def on_application_forwarded(self, event: Envelope) -> None:
        handover.take_over(self.db, self.clock, event.tenant, event.payload)

    @event_handler("applications", "station_approved")
    def on_station_approved(self, event: Envelope) -> None:
        handover.follow_approval(self.db, self.clock, event.tenant, event.payload)

    @event_handler("applications", "application_rejected")
    def on_application_rejected(self, event: Envelope) -> None:
        handover.follow_rejection(self.db, self.clock, event.tenant, event.payload)

    @event_handler("applications", "station_status_changed")
    def on_station_status_changed(self, event: Envelope) -> None:
        handover.follow_status(self.db, event.tenant, event.payload)

    # station status follows evaluation (R17.1)

    @event_handler("evaluation", "rectification_required")
    def on_rectification_required(self, event: Envelope) -> None:
        usecases.follow_evaluation(self.db, event.payload["station_id"], "rectification_required",
                                   event.payload["findings"], self.clock.today())

    @event_handler("evaluation", "evaluation_completed")
    def on_evaluation_completed(self, event: Envelope) -> None:
        # Only a passed re-assessment after a rectification changes the registry.
        if event.payload["rectification_id"] and event.payload["grade"] != "fail":
            usecases.follow_evaluation(self.db, event.payload["station_id"],
                                       "rectification_passed",
                                       f"re-assessed {event.payload['score']}",
                                       self.clock.today())

    @event_handler("evaluation", "rectification_failed")
    def on_rectification_failed(self, event: Envelope) -> None:
        usecases.follow_evaluation(self.db, event.payload["station_id"], "rectification_failed",
                                   event.payload["reason"], self.clock.today())
