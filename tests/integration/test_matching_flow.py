"""From a station's approval to a recorded collaboration: recommendations explained and
published, the enterprise notified (inbox, real SMTP, signed webhook with retries), its
answer recorded once, collaboration_recorded emitted, the talent map counting it."""

from __future__ import annotations

import json

import pytest

from servicekit.errors import Conflict, Forbidden, InvalidInput, NotFound
from servicekit.tables import processed_events
from services.matching import notify
from services.matching.demo_data import DEMANDS, EXPERTS
from services.matching.models import Collaboration, Delivery, Recommendation
from tests.integration.helpers import wait_for
from tests.integration.matching_world import (
    AUDITOR,
    SmtpServer,
    WebhookReceiver,
    district_hr,
    enterprise,
    expert,
    payload_of,
    publish_station_approved,
    publish_station_event,
    start_world,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def world(container_factory, service_config, database_url_template, tmp_path):
    yield from start_world(container_factory, service_config, database_url_template, tmp_path)


@pytest.fixture
def smtp(tmp_path):
    server = SmtpServer(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def mail_world(container_factory, service_config, database_url_template, tmp_path, smtp):
    """The service with its SMTP server set to the test's own aiosmtpd on loopback."""
    yield from start_world(container_factory, service_config, database_url_template, tmp_path,
                           smtp_port=smtp.port)


@pytest.fixture
def webhook():
    receiver = WebhookReceiver()
    yield receiver
    receiver.stop()

CARBON = DEMANDS["carbon_forming"]
FIRM = enterprise(CARBON["enterprise_id"])
SECRET = "s3cret-for-signing-webhooks"
CARBON_EXPERTS = ("wang_cf", "li_fiber", "zheng_ship", "cao_busy", "tang_tyre", "ma_ai",
                  "sea_unrelated")


def _register(world, keys=CARBON_EXPERTS, station_id=None):
    ids = {}
    for key in keys:
        # An aquaculture expert filed under health care: nothing in common with carbon fibre.
        data = EXPERTS.get(key) or {**EXPERTS["he_aqua"], "id_number": None,
                                    "industries": ["Q"]}
        ids[key] = world.city.register_expert({**data, "station_id": station_id})["id"]
    return ids


def _demand_in_matching(world):
    demand = world.as_(FIRM).post_demand(CARBON["request"])
    world.city.triage_demand({"demand_id": demand["id"], "action": "accept"})
    return demand


def _station(world):
    publish_station_approved(world.config)
    return wait_for(lambda: world.city.list_stations())[0]


def test_station_read_model_from_the_applications_event(world):
    station = _station(world)
    assert station == {"id": "st-1", "name": "威海碳纤维产业人才驿站",
                       "plaque_number": "WHRCYZ-2026-001", "district": "371071",
                       "status": "active"}
    # A redelivered event changes nothing.
    publish_station_approved(world.config)
    wait_for(lambda: len(world.audits("station.approved")) >= 1)
    assert len(world.city.list_stations()) == 1


def test_station_read_model_keeps_the_first_approval_and_a_final_revocation(world):
    """The platform's one station behaviour (servicekit.stations): a repeated approval is a
    no-op, a revocation is final (matching used to overwrite it on a repeated approval), and
    a revoke that overtakes its approval is kept. Only an active station brokers."""
    _station(world)
    publish_station_event(world.config, "station_status_changed", {
        "station_id": "st-1", "from_status": "active", "to_status": "rectifying",
        "reason": "限期整改", "changed_on": "2026-02-25"})
    wait_for(lambda: world.city.list_stations()[0]["status"] == "rectifying")
    publish_station_event(world.config, "station_revoked", {
        "station_id": "st-1", "plaque_number": "WHRCYZ-2026-001", "district": "371071",
        "reason": "整改不合格", "revoked_on": "2026-02-28"})
    wait_for(lambda: world.city.list_stations()[0]["status"] == "revoked")
    publish_station_approved(world.config, name="改名后的驿站")
    publish_station_event(world.config, "station_status_changed", {
        "station_id": "st-1", "from_status": "revoked", "to_status": "active",
        "reason": "—", "changed_on": "2026-03-01"})
    # A revoke for a station not yet approved, then its approval.
    publish_station_event(world.config, "station_revoked", {
        "station_id": "st-2", "plaque_number": "WHRCYZ-2026-002", "district": "371002",
        "reason": "撤销", "revoked_on": "2026-03-01"})
    # Each event type has its own queue: wait until all six are handled.
    wait_for(lambda: len(world.rows(processed_events)) == 6)
    assert world.city.list_stations() == [{
        "id": "st-1", "name": "威海碳纤维产业人才驿站", "plaque_number": "WHRCYZ-2026-001",
        "district": "371071", "status": "revoked"}]  # the placeholder of st-2 is not listed
    publish_station_approved(world.config, station_id="st-2", plaque_number="WHRCYZ-2026-002",
                             name="环翠人才驿站", district="371002")
    wait_for(lambda: len(world.city.list_stations()) == 2)
    assert [(s["id"], s["name"], s["status"]) for s in world.city.list_stations()] == [
        ("st-1", "威海碳纤维产业人才驿站", "revoked"), ("st-2", "环翠人才驿站", "revoked")]
    with pytest.raises(InvalidInput) as refused:
        world.city.register_expert({**EXPERTS["wang_cf"], "station_id": "st-1"})
    assert refused.value.code == "station.unknown"


def test_recommendations_are_explained_ranked_and_exclude_conflicts(world):
    ids = _register(world)
    demand = _demand_in_matching(world)
    run = world.city.recommend_experts({"demand_id": demand["id"], "limit": 5})
    names = [r["expert"]["id"] for r in run["recommendations"]]
    assert names[0] == ids["wang_cf"]
    # Same organisation as the enterprise (a conflict), unavailable, no common ground: out.
    for key in ("li_fiber", "cao_busy", "sea_unrelated"):
        assert ids[key] not in names
    best = run["recommendations"][0]
    assert {"热压罐", "复合材料"} <= {t["term"] for t in best["matched_terms"]}
    assert best["factors"]["industry"] == 1.0 and best["score"] > 0.9
    assert best["reason_zh"].startswith("共同关键词：") and "行业" in best["reason_zh"]
    assert best["status"] == "proposed" and best["rank"] == 1
    again = world.city.recommend_experts({"demand_id": demand["id"], "limit": 5})
    assert [r["expert"]["id"] for r in again["recommendations"]] == names
    assert [r["score"] for r in again["recommendations"]] == [
        r["score"] for r in run["recommendations"]]
    # The earlier unpublished run was replaced.
    statuses = [r.status for r in world.rows(Recommendation.__table__)]
    assert statuses.count("proposed") == len(names)
    # The enterprise sees nothing before publication.
    assert world.as_(FIRM).list_recommendations({"demand_id": demand["id"]})[
        "recommendations"] == []


def test_only_staff_recommend_and_a_posted_demand_is_triaged_first(world):  # R13.1
    _register(world, ("wang_cf",))
    demand = world.as_(FIRM).post_demand(CARBON["request"])
    with pytest.raises(Conflict) as refused:
        world.city.recommend_experts({"demand_id": demand["id"]})
    assert refused.value.details["status"] == "posted"
    world.city.triage_demand({"demand_id": demand["id"], "action": "accept"})
    with pytest.raises(Forbidden):
        world.as_(FIRM).recommend_experts({"demand_id": demand["id"]})
    with pytest.raises(Forbidden):
        world.as_(district_hr("371082")).recommend_experts({"demand_id": demand["id"]})
    assert world.as_(district_hr("371071")).recommend_experts({"demand_id": demand["id"]})[
        "recommendations"]


def test_publish_notifies_by_inbox_email_and_signed_webhook_then_feedback(
    mail_world, smtp, webhook
):
    world = mail_world
    station = _station(world)
    ids = _register(world, ("wang_cf", "zheng_ship", "tang_tyre"), station_id=station["id"])
    world.as_(FIRM).set_notification_settings(
        {"email": "hr@yuanhang.example.com", "webhook_url": webhook.url,
         "webhook_secret": SECRET})
    webhook.statuses = [503]  # the first webhook attempt fails, the retry succeeds
    demand = _demand_in_matching(world)
    world.city.recommend_experts({"demand_id": demand["id"], "limit": 3})
    with pytest.raises(InvalidInput) as refused:
        world.city.publish_recommendations({"demand_id": demand["id"],
                                            "expert_ids": ["not-proposed"]})
    assert refused.value.details["not_proposed"] == ["not-proposed"]
    published = world.city.publish_recommendations(
        {"demand_id": demand["id"], "expert_ids": [ids["wang_cf"], ids["zheng_ship"]]})
    assert [r["status"] for r in published["recommendations"]] == ["published"] * 2
    assert {r["station_id"] for r in published["recommendations"]} == {"st-1"}
    [event] = world.events("recommendations_published")
    assert event == {"demand_id": demand["id"], "enterprise_id": "ent-yuanhang",
                     "expert_ids": [ids["wang_cf"], ids["zheng_ship"]]}

    inbox = world.as_(FIRM).list_notifications({})
    [note] = inbox["items"]
    assert note["id"] == published["notification_id"] and note["read_at"] is None
    assert [r["name"] for r in note["body"]["recommendations"]] == ["王海涛", "郑国华"]
    assert world.as_(enterprise("ent-other")).list_notifications({})["total"] == 0
    assert world.as_(FIRM).mark_notification_read({"notification_id": note["id"]})["read_at"]
    assert world.as_(FIRM).list_notifications({"unread": True})["total"] == 0

    [mail] = wait_for(smtp.messages)
    assert mail["to"] == "hr@yuanhang.example.com"
    assert "碳纤维复合材料构件低成本成型工艺攻关" in mail["subject"]
    assert "王海涛" in mail["body"] and "郑国华" in mail["body"]

    # The webhook failed once, was retried after its back-off, and is signed.
    deliveries = wait_for(lambda: [d for d in world.as_(FIRM).list_deliveries({})["items"]
                                   if d["channel"] == "webhook" and d["status"] == "sent"])
    assert [h["ok"] for h in deliveries[0]["history"]] == [False, True]
    assert "HTTP 503" in deliveries[0]["history"][0]["detail"]
    first, second = webhook.requests
    gap = _at(deliveries[0]["history"][1]) - _at(deliveries[0]["history"][0])
    assert gap >= 0.3  # DELIVERY_RETRY_SECONDS
    for request in (first, second):
        headers = request["headers"]
        assert headers[notify.SIGNATURE_HEADER] == notify.sign(
            SECRET, headers[notify.TIMESTAMP_HEADER], request["body"])
    assert first["headers"][notify.DELIVERY_HEADER] == second["headers"][notify.DELIVERY_HEADER]
    body = payload_of(second)
    assert body["event"] == "recommendations_published" and body["demand_id"] == demand["id"]
    emails = [d for d in world.as_(FIRM).list_deliveries({})["items"] if d["channel"] == "email"]
    assert emails[0]["status"] == "sent" and emails[0]["target"] == "h***@yuanhang.example.com"

    # Feedback: accept one (a collaboration credited to the station), decline the other.
    wang, zheng = published["recommendations"]
    firm = world.as_(FIRM)
    with pytest.raises(Forbidden):
        world.as_(enterprise("ent-other")).answer_recommendation(
            {"recommendation_id": wang["id"], "decision": "accept"})
    with pytest.raises(InvalidInput) as refused:  # R8.2: a mode both sides accept
        firm.answer_recommendation({"recommendation_id": wang["id"], "decision": "accept",
                                    "mode": "technology_equity"})
    assert refused.value.details["allowed"] == ["project_cooperation", "joint_development"]
    accepted = firm.answer_recommendation({"recommendation_id": wang["id"], "decision": "accept",
                                           "mode": "joint_development"})
    collaboration = accepted["collaboration"]
    assert (accepted["status"], collaboration["mode"], collaboration["station_id"]) == (
        "accepted", "joint_development", "st-1")
    [recorded] = world.events("collaboration_recorded")
    assert recorded == {"collaboration_id": collaboration["id"], "demand_id": demand["id"],
                        "expert_id": ids["wang_cf"], "enterprise_id": "ent-yuanhang",
                        "station_id": "st-1", "mode": "joint_development",
                        "recorded_on": "2026-03-02"}
    before = world.counts()
    with pytest.raises(Conflict) as refused:
        firm.answer_recommendation({"recommendation_id": wang["id"], "decision": "accept"})
    assert refused.value.code == "recommendation.already_answered"
    with pytest.raises(Conflict):
        firm.answer_recommendation({"recommendation_id": wang["id"], "decision": "decline"})
    assert world.counts() == before
    assert len(world.rows(Collaboration.__table__)) == 1
    declined = firm.answer_recommendation({"recommendation_id": zheng["id"],
                                           "decision": "decline", "reason": "暂不需要"})
    assert declined["status"] == "declined"
    assert world.as_(FIRM).get_demand({"demand_id": demand["id"]})["status"] == "matched"
    assert world.as_(expert(ids["wang_cf"])).list_collaborations({})["total"] == 1
    assert world.as_(AUDITOR).list_collaborations({"station_id": "st-1"})["total"] == 1

    # The talent map counts experts, demands and the collaboration.
    talent_map = world.as_(AUDITOR).get_talent_map({"metric": "collaborations"})
    districts = {d["code"]: d for d in talent_map["districts"]}
    assert districts["371071"]["collaborations"] == 1
    assert districts["371071"]["demands"] == 1
    assert districts["371002"]["experts"] == 1
    svg = world.as_(AUDITOR).render_talent_map({"metric": "collaborations"})
    assert "火炬高新区" in svg and "合作" in svg


def _at(history_row: dict) -> float:
    from datetime import datetime

    return datetime.fromisoformat(history_row["at"]).timestamp()


def test_a_webhook_that_keeps_failing_is_marked_failed_after_the_last_attempt(world, webhook):
    _register(world, ("wang_cf",))
    world.as_(FIRM).set_notification_settings({"webhook_url": webhook.url,
                                               "webhook_secret": SECRET})
    webhook.statuses = [500, 500, 500, 500]
    demand = _demand_in_matching(world)
    world.city.recommend_experts({"demand_id": demand["id"]})
    world.city.publish_recommendations({"demand_id": demand["id"]})
    [failed] = wait_for(lambda: [d for d in world.rows(Delivery.__table__)
                                 if d.status == "failed"], timeout=20)
    assert failed.attempts == 3  # DELIVERY_MAX_ATTEMPTS
    assert len(webhook.requests) == 3
    delivery = world.city.list_deliveries({"status": "failed"})["items"][0]
    assert [h["ok"] for h in delivery["history"]] == [False, False, False]
    gaps = [_at(b) - _at(a) for a, b in zip(delivery["history"], delivery["history"][1:],
                                             strict=False)]
    assert gaps[1] >= 2 * 0.3 * 0.9  # the wait doubles


def test_notification_settings_are_validated_and_the_secret_never_read_back(world):
    with pytest.raises(InvalidInput) as refused:
        world.as_(FIRM).set_notification_settings({"webhook_url": "ftp://example.com/x",
                                                   "webhook_secret": SECRET})
    assert "webhook_url" in refused.value.details["fields"]
    with pytest.raises(InvalidInput) as refused:
        world.as_(FIRM).set_notification_settings({"webhook_url": "https://example.com/x"})
    assert "webhook_secret" in refused.value.details["fields"]
    with pytest.raises(InvalidInput) as refused:
        world.as_(FIRM).set_notification_settings({"email": "hr@@example"})
    assert "email" in refused.value.details["fields"]
    saved = world.as_(FIRM).set_notification_settings(
        {"email": "hr@example.com", "webhook_url": "https://example.com/x",
         "webhook_secret": SECRET})
    assert saved["webhook_secret_set"] is True and SECRET not in json.dumps(saved)
    assert world.as_(FIRM).get_notification_settings() == saved
    with pytest.raises(NotFound):
        world.as_(enterprise("ent-other")).mark_notification_read({"notification_id": "n"})


@pytest.mark.parametrize("url", ["http://[::1]:5432/", "http://169.254.169.254/latest",
                                 "http://0x7f000002/", "http://192.168.0.10:5432/",
                                 "http://10.0.0.8/hook"])
def test_a_webhook_into_the_platforms_network_is_refused_at_save(world, url):  # no SSRF
    before = world.counts()
    with pytest.raises(InvalidInput) as refused:
        world.as_(FIRM).set_notification_settings({"webhook_url": url, "webhook_secret": SECRET})
    assert refused.value.code == "notification.webhook_url"
    assert refused.value.details["field"] == "webhook_url"
    assert world.counts() == before
