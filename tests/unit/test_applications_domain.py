"""Rules of recognition, without broker or database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from servicekit.errors import Conflict, InvalidInput
from services.applications import domain


def test_station_has_one_of_four_types():  # R5.1
    for station_type in ("innovation", "entrepreneurship", "service", "comprehensive"):
        domain.check_station_type(station_type)
    with pytest.raises(InvalidInput) as refused:
        domain.check_station_type("hybrid")
    assert refused.value.details["rule"] == "R5.1"


@pytest.mark.parametrize(
    ("station_type", "category"),
    [("innovation", "university"), ("entrepreneurship", "incubator"),
     ("service", "talent_apartment"), ("comprehensive", "hr_intermediary"),
     ("comprehensive", "talent_service_agency")],
)
def test_host_category_fitting_the_type_is_accepted(station_type, category):  # R5.2
    domain.check_host_category(station_type, category)


@pytest.mark.parametrize(
    ("station_type", "category"),
    [("comprehensive", "university"), ("innovation", "maker_space"),
     ("service", "key_enterprise"), ("entrepreneurship", "hr_intermediary")],
)
def test_host_category_not_allowed_for_the_type_is_refused_with_the_rule(
    station_type, category
):  # R5.2
    with pytest.raises(InvalidInput) as refused:
        domain.check_host_category(station_type, category)
    assert refused.value.code == "application.host_category"
    assert refused.value.details["rule"] == "R5.2"
    assert category not in refused.value.details["allowed"]
    assert "R5.2" in refused.value.message_zh


def test_every_condition_needs_statement_and_evidence():  # R6.1
    complete = {k: {"statement": "说明", "evidence": ["a" * 64]} for k in domain.CONDITIONS}
    domain.check_submittable(complete)
    for key in domain.CONDITIONS:
        for broken in ({"statement": " ", "evidence": ["a" * 64]},
                       {"statement": "说明", "evidence": []}, None):
            conditions = {**complete, key: broken}
            with pytest.raises(InvalidInput) as refused:
                domain.check_submittable(conditions)
            assert refused.value.details["missing"] == [key]
            assert refused.value.details["rule"] == "R6.1"


def test_routing_to_district_or_city():  # R7.1
    assert domain.route_of("key_enterprise", "371002", city_level=False) == "district"
    assert domain.route_of("university", "371002", city_level=False) == "city"
    assert domain.route_of("research_institute", "371082", city_level=False) == "city"
    assert domain.route_of("incubator", "371000", city_level=True) == "city"


def test_illegal_transitions_are_refused_with_the_current_status():
    assert domain.transition("draft", "submit_to_district") == "submitted"
    for status, action in [("draft", "approve"), ("approved", "approve"),
                           ("submitted", "shortlist"), ("in_notice", "approve"),
                           ("rejected", "recommend")]:
        with pytest.raises(Conflict) as refused:
            domain.transition(status, action)
        assert refused.value.details == {"status": status, "action": action}


def test_functions_are_those_of_the_type():  # R5.3
    domain.check_type_functions("entrepreneurship", ["project_roadshow", "venture_evaluation"])
    domain.check_type_functions("comprehensive", ["innovation_forum", "temporary_lodging"])
    with pytest.raises(InvalidInput) as refused:
        domain.check_type_functions("service", ["policy_consulting", "innovation_forum"])
    assert refused.value.details["values"] == ["innovation_forum"]
    assert refused.value.details["rule"] == "R5.3"


def test_panel_excludes_experts_of_the_applicants_unit():  # R7.2
    applicant = domain.Affiliation(unit_id="unit-a")
    other = domain.Affiliation(unit_id="unit-b")
    domain.check_panel(["e1", "e2", "e3"], applicant, {"e2": other})
    with pytest.raises(InvalidInput) as refused:
        domain.check_panel(["e1", "e2", "e3"], applicant, {"e2": applicant})
    assert refused.value.code == "review.conflict_of_interest"
    assert refused.value.details["experts"] == ["e2"]
    with pytest.raises(InvalidInput):
        domain.check_panel(["e1", "e1", "e2"], applicant, {})


def test_experts_of_the_parent_or_the_same_group_are_in_conflict():
    """R7.5 (Art 7(2), Art 16): by the registered organisations, not free text: an expert of
    山东大学 may not review 山东大学（威海）海洋研究院 (its subsidiary), nor one of another
    unit of the same group; the old rule saw only the applicant's own unit."""
    institute = domain.Affiliation(unit_id="hu-sdu-marine", organisation_id="org-marine",
                                   parent_id="org-sdu", group="山东大学")
    university = domain.Affiliation(organisation_id="org-sdu", group="山东大学")
    sibling = domain.Affiliation(organisation_id="org-sdu-wh", parent_id="org-sdu",
                                 group="山东大学")
    outsider = domain.Affiliation(organisation_id="org-ouc", group="中国海洋大学")
    assert domain.conflict_of(university, institute) == "parent"
    assert domain.conflict_of(institute, domain.Affiliation(
        organisation_id="org-sdu", group=None)) == "parent"
    assert domain.conflict_of(sibling, institute) == "same_group"
    assert domain.conflict_of(outsider, institute) is None
    with pytest.raises(InvalidInput) as refused:
        domain.check_panel(["e1", "e2", "e3"], institute,
                           {"e1": university, "e2": sibling, "e3": outsider})
    assert refused.value.details["reasons"] == {"e1": "parent", "e2": "same_group"}
    assert refused.value.details["rule"] == "R7.5"


def test_scores_must_cover_the_rubric_within_range():  # R7.2
    rubric = domain.DEFAULT_RUBRIC
    assert domain.score_total(rubric, {"commitment": 20, "environment": 25, "experts": 0,
                                       "management": 10}) == 55
    with pytest.raises(InvalidInput) as refused:
        domain.score_total(rubric, {"commitment": 26, "environment": 25, "experts": 1,
                                    "bonus": 3})
    assert refused.value.details["problems"] == {"commitment": "0..25", "management": "0..25",
                                                 "bonus": "not in the rubric"}


def test_aggregate_is_the_mean_below_five_and_trimmed_from_five():  # R7.2
    assert domain.aggregate([80, 90, 71]) == Decimal("80.33")
    # 5 scores: drop 40 and 99, mean of 80, 85, 90
    assert domain.aggregate([99, 80, 40, 85, 90]) == Decimal("85.00")
    assert domain.aggregate([70, 71, 72, 73]) == Decimal("71.50")


def test_ranking_breaks_ties_by_earlier_submission_and_shortlists_top_and_minimum():  # R7.2
    scores = {"a": Decimal("80"), "b": Decimal("90"), "c": Decimal("80"), "d": Decimal("60")}
    submitted = {"a": 2, "b": 3, "c": 1, "d": 0}
    ranked = domain.rank(scores, submitted)
    assert [(r.application_id, r.rank) for r in ranked] == [("b", 1), ("c", 2), ("a", 3),
                                                            ("d", 4)]
    assert domain.select_shortlist(ranked, top=2, minimum=None) == {"b", "c"}
    assert domain.select_shortlist(ranked, top=None, minimum=Decimal("70")) == {"b", "c", "a"}


def test_decisions_need_a_policy_version_in_force():  # R18.1
    v2020 = domain.PolicyVersion("WH-2020", date(2020, 12, 14), date(2023, 12, 13))
    assert domain.version_in_force([v2020], date(2023, 12, 13)) == v2020
    with pytest.raises(Conflict) as refused:
        domain.version_in_force([v2020], date(2023, 12, 14))
    assert refused.value.code == "policy.none_in_force"
    assert "R18.1" in refused.value.message_zh


def test_successor_version_must_not_overlap_and_closes_an_open_predecessor():  # R18.1
    v2020 = domain.PolicyVersion("WH-2020", date(2020, 12, 14), date(2023, 12, 13))
    successor = domain.PolicyVersion("WH-2024", date(2023, 12, 14), None)
    assert domain.check_new_version([v2020], successor) is None
    with pytest.raises(Conflict):
        domain.check_new_version([v2020], domain.PolicyVersion("X", date(2023, 1, 1), None))
    later = domain.PolicyVersion("WH-2027", date(2027, 1, 1), None)
    closed = domain.check_new_version([v2020, successor], later)
    assert closed == domain.PolicyVersion("WH-2024", date(2023, 12, 14), date(2026, 12, 31))


def test_station_status_follows_evaluation_and_revocation_is_final():  # R17.1
    assert domain.station_transition("active", "rectification_required") == "rectifying"
    assert domain.station_transition("rectifying", "rectification_passed") == "active"
    assert domain.station_transition("rectifying", "rectification_failed") == "revoked"
    assert domain.station_transition("revoked", "rectification_passed") is None
    assert domain.station_transition("revoked", "rectification_required") is None


def test_plaque_numbers_are_sequential_per_year():  # R7.4
    assert domain.plaque_number(2026, 7) == "威人驿〔2026〕007号"
    assert domain.plaque_number(2026, 7) != domain.plaque_number(2027, 7)
