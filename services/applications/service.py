"""Nameko entrypoints of the applications service: parse, call a use case, return."""

from __future__ import annotations

from contracts.rpc import applications as contract
from servicekit.attachments import AttachmentStore, decode_base64
from servicekit.base import KitService, rpc
from servicekit.calendar import YearData
from servicekit.db import Database
from servicekit.envelope import Envelope
from servicekit.handlers import event_handler
from servicekit.validation import load
from services.applications.usecases import (
    applications,
    calendar,
    handover,
    host_units,
    notices_objections,
    organisations,
    panels_reviews,
    policies,
    stations,
)


class ApplicationsService(KitService):
    name = "applications"
    db = Database("services.applications:migrations")

    # calendar (R7.3)

    @rpc
    def register_calendar_year(self, request: dict) -> dict:
        data = load(contract.RegisterCalendarYear(), request)
        year = YearData(data["year"], frozenset(data["holidays"]), frozenset(data["workdays"]))
        return calendar.register_calendar_year(self.context(), year)

    @rpc
    def list_workdays(self, request: dict) -> dict:
        data = load(contract.DateRange(), request)
        return calendar.list_workdays(self.context(), data["start"], data["end"])

    @rpc
    def get_notice_window(self, request: dict) -> dict:
        data = load(contract.NoticeWindowRequest(), request)
        return calendar.get_notice_window(self.context(), data["published_on"])

    # policy versions (R18.1)

    @rpc
    def register_policy_version(self, request: dict) -> dict:
        data = load(contract.RegisterPolicyVersion(), request)
        return policies.register_policy_version(self.context(), data)

    @rpc
    def list_policy_versions(self) -> list[dict]:
        return policies.list_policy_versions(self.context())

    # host units and attachments

    @rpc
    def register_host_unit(self, request: dict) -> dict:
        data = load(contract.RegisterHostUnit(), request)
        return host_units.register_host_unit(self.context(), data)

    @rpc
    def list_host_units(self, request: dict) -> dict:
        data = load(contract.ListHostUnits(), request)
        return host_units.list_host_units(self.context(), data)

    @rpc
    def get_host_unit(self, host_unit_id: str) -> dict:
        return host_units.get_host_unit(self.context(), host_unit_id)

    @rpc
    def upload_attachment(self, request: dict) -> dict:
        data = load(contract.UploadAttachment(), request)
        store = AttachmentStore.for_service(self.config, self.name)
        content = decode_base64(data["content_base64"])
        return host_units.upload_attachment(self.context(store=store), data["filename"],
                                            data["content_type"], content)

    # applications (R5.1, R5.2, R6.1, R7.1)

    @rpc
    def create_application(self, request: dict) -> dict:
        data = load(contract.CreateApplication(), request)
        return applications.create_application(self.context(), data)

    @rpc
    def update_application(self, request: dict) -> dict:
        data = load(contract.UpdateApplication(), request)
        return applications.update_application(self.context(), data)

    @rpc
    def submit_application(self, request: dict) -> dict:
        data = load(contract.ApplicationRef(), request)
        return applications.submit_application(self.context(), data["application_id"])

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

    @rpc
    def decline_application(self, request: dict) -> dict:
        return self._decide("decline", request)

    def _decide(self, action: str, request: dict) -> dict:
        data = load(contract.Decision(), request)
        return applications.decide(self.context(), action, data["application_id"],
                                   data["comments"])

    @rpc
    def list_applications(self, request: dict) -> dict:
        data = load(contract.ListApplications(), request)
        return applications.list_applications(self.context(), data)

    @rpc
    def get_application(self, application_id: str) -> dict:
        return applications.get_application(self.context(), application_id)

    @rpc
    def get_application_attachment(self, request: dict) -> dict:
        data = load(contract.AttachmentRef(), request)
        store = AttachmentStore.for_service(self.config, self.name)
        return applications.get_application_attachment(
            self.context(store=store), data["application_id"], data["sha256"])

    # city review (R7.2)

    @rpc
    def register_review_expert(self, request: dict) -> dict:
        data = load(contract.RegisterReviewExpert(), request)
        return panels_reviews.register_review_expert(self.context(), data)

    @rpc
    def list_review_experts(self) -> list[dict]:
        return panels_reviews.list_review_experts(self.context())

    @rpc
    def deactivate_review_expert(self, request: dict) -> dict:
        data = load(contract.DeactivateReviewExpert(), request)
        return panels_reviews.set_review_expert_active(self.context(), data["expert_id"], False,
                                                       data["reason"])

    @rpc
    def reactivate_review_expert(self, request: dict) -> dict:
        data = load(contract.ReviewExpertRef(), request)
        return panels_reviews.set_review_expert_active(self.context(), data["expert_id"], True)

    @rpc
    def register_organisation(self, request: dict) -> dict:
        data = load(contract.RegisterOrganisation(), request)
        return organisations.register_organisation(self.context(), data)

    @rpc
    def list_organisations(self) -> list[dict]:
        return organisations.list_organisations(self.context())

    @rpc
    def get_rubric(self) -> dict:
        return panels_reviews.get_rubric(self.context())

    @rpc
    def set_rubric(self, request: dict) -> dict:
        data = load(contract.SetRubric(), request)
        return panels_reviews.set_rubric(self.context(), data["criteria"])

    @rpc
    def form_panel(self, request: dict) -> dict:
        data = load(contract.FormPanel(), request)
        return panels_reviews.form_panel(self.context(), data["application_id"],
                                         data["expert_ids"])

    @rpc
    def record_review(self, request: dict) -> dict:
        data = load(contract.RecordReview(), request)
        return panels_reviews.record_review(self.context(), data)

    @rpc
    def decline_assignment(self, request: dict) -> dict:
        data = load(contract.DeclineAssignment(), request)
        return panels_reviews.decline_assignment(self.context(), data["application_id"],
                                                 data["reason"])

    @rpc
    def get_review_progress(self, request: dict) -> dict:
        data = load(contract.ApplicationRef(), request)
        return panels_reviews.get_review_progress(self.context(), data["application_id"])

    @rpc
    def rank_applications(self, request: dict) -> list[dict]:
        data = load(contract.RankApplications(), request)
        return panels_reviews.rank_applications(self.context(), data["application_ids"])

    @rpc
    def shortlist_applications(self, request: dict) -> list[dict]:
        data = load(contract.ShortlistApplications(), request)
        return panels_reviews.shortlist_applications(self.context(), data)

    # public notice (R7.3)

    @rpc
    def publish_notice(self, request: dict) -> dict:
        data = load(contract.PublishNotice(), request)
        return notices_objections.publish_notice(self.context(), data)

    @rpc
    def list_notices(self, current_only: bool = True) -> list[dict]:
        return notices_objections.list_notices(self.context(), bool(current_only))

    @rpc
    def get_notice(self, notice_id: str) -> dict:
        return notices_objections.get_notice(self.context(), notice_id)

    @rpc
    def file_objection(self, request: dict) -> dict:
        data = load(contract.FileObjection(), request)
        return notices_objections.file_objection(self.context(), data)

    @rpc
    def decide_objection(self, request: dict) -> dict:
        data = load(contract.DecideObjection(), request)
        return notices_objections.decide_objection(self.context(), data)

    @rpc
    def close_notice(self, request: dict) -> dict:
        data = load(contract.NoticeRef(), request)
        return notices_objections.close_notice(self.context(), data["notice_id"])

    # approval (R7.4) and the registry

    @rpc
    def approve_application(self, request: dict) -> dict:
        data = load(contract.Decision(), request)
        return stations.approve_application(self.context(), data["application_id"],
                                            data["comments"])

    @rpc
    def list_stations(self, request: dict) -> dict:
        data = load(contract.ListStations(), request)
        return stations.list_stations(self.context(), data)

    @rpc
    def get_station(self, station_id: str) -> dict:
        return stations.get_station(self.context(), station_id)

    # a district's own instance and the city's (DESIGN.md §4; usecases/handover.py)

    @event_handler("applications", "application_forwarded")
    def on_application_forwarded(self, event: Envelope) -> None:
        handover.take_over(self.context(), event.tenant, event.payload)

    @event_handler("applications", "station_approved")
    def on_station_approved(self, event: Envelope) -> None:
        handover.follow_approval(self.context(), event.tenant, event.payload)

    @event_handler("applications", "application_rejected")
    def on_application_rejected(self, event: Envelope) -> None:
        handover.follow_rejection(self.context(), event.tenant, event.payload)

    @event_handler("applications", "station_status_changed")
    def on_station_status_changed(self, event: Envelope) -> None:
        handover.follow_status(self.context(), event.tenant, event.payload)

    # station status follows evaluation (R17.1)

    @event_handler("evaluation", "rectification_required")
    def on_rectification_required(self, event: Envelope) -> None:
        stations.follow_evaluation(self.context(), event.payload["station_id"],
                                   "rectification_required", event.payload["findings"])

    @event_handler("evaluation", "evaluation_completed")
    def on_evaluation_completed(self, event: Envelope) -> None:
        # Only a passed re-assessment after a rectification changes the registry.
        if event.payload["rectification_id"] and event.payload["grade"] != "fail":
            stations.follow_evaluation(self.context(), event.payload["station_id"],
                                       "rectification_passed",
                                       f"re-assessed {event.payload['score']}")

    @event_handler("evaluation", "commendation_recorded")
    def on_commendation_recorded(self, event: Envelope) -> None:
        stations.record_commendation(self.context(), event.payload)

    @event_handler("evaluation", "rectification_failed")
    def on_rectification_failed(self, event: Envelope) -> None:
        stations.follow_evaluation(self.context(), event.payload["station_id"],
                                   "rectification_failed", event.payload["reason"])
