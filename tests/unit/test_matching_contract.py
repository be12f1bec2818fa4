"""The matching contract's answer schemas: the service dumps records through them and the
gateway dumps those answers through them again, so a dump must be idempotent; masking is
the schema's, and every always-present field is required."""

from __future__ import annotations

from datetime import UTC, datetime

from contracts.rpc import matching as contract
from services.matching.models import Demand, Expert

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def _expert() -> Expert:
    return Expert(
        id="e1", tenant="371000", name="王一", titles=["教授"], organisation="某大学",
        organisation_id=None, disciplines=[], industries=["C", "WH-MAT"], skills="热压罐",
        achievements="", honours=[], district="371002", talent_level="B", modes=["part_time"],
        availability="available", capacity=3, consent_to_contact=True, station_id=None,
        phone="13900000001", id_number="11010519491231002X", email="wang@example.com",
        tokens="", created_at=NOW, created_by="city-1", updated_at=NOW)


def test_a_masked_profile_stays_masked_when_the_gateway_dumps_it_again():
    answer = contract.MaskedTalentExpert().dump(_expert())
    assert (answer["phone"], answer["id_number"], answer["email"]) == (
        "139****0001", "110***********002X", "w***@example.com")
    assert answer["personal_data_masked"] is True
    assert answer["district_name"] == "环翠区"
    assert answer["industry_names"] == ["制造业", "碳纤维等新材料"]
    assert answer["created_at"] == NOW.isoformat()
    # The gateway's response schema is the unmasked one: it must not unmask or recompute.
    assert contract.TalentExpert().dump(answer) == answer
    full = contract.TalentExpert().dump(_expert())
    assert full["phone"] == "13900000001" and full["personal_data_masked"] is False


def test_a_demand_answer_names_its_codes_and_budget_in_yuan():
    demand = Demand(
        id="d1", tenant="371000", enterprise_id="ent-a", enterprise_name="甲公司",
        kind="funding", title="融资", description="A轮", industry="WH-IT", district="371071",
        budget_fen=5000000, modes=[], deadline=NOW.date(), status="posted",
        status_reason=None, posted_at=NOW, posted_by="user-a", updated_at=NOW)
    answer = contract.DemandAnswer().dump(demand)
    assert (answer["kind_name"], answer["status_name"], answer["budget"], answer["deadline"]) == (
        "资金", "待审核", "50000.00", "2026-03-02")
    assert contract.DemandAnswer().dump(answer) == answer


def test_always_present_answer_fields_are_required():
    for schema in (contract.TalentExpert, contract.DemandAnswer, contract.RecommendationAnswer,
                   contract.CollaborationAnswer, contract.NotificationAnswer,
                   contract.DeliveryAnswer, contract.StationAnswer):
        optional = [name for name, f in schema().fields.items() if not f.required]
        assert optional == [], (schema.__name__, optional)
