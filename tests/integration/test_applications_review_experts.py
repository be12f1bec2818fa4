"""Review experts created by mistake are retired, never deleted (issue 13, item 11): city_hr
deactivates one (audited), no new panel takes them, and reactivates them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from servicekit.db import make_engine
from servicekit.errors import Conflict, Forbidden
from servicekit.tables import audit_log
from tests.integration.applications_world import world_of

pytestmark = pytest.mark.integration


@pytest.fixture
def world(container_factory, service_config, tmp_path):
    yield from world_of(container_factory, service_config, tmp_path)


def test_a_deactivated_review_expert_stays_listed_and_joins_no_panel(world,
                                                                     database_url_template):
    experts = world.review_experts(4)
    junk = experts[0]
    with pytest.raises(Forbidden):
        world.district("371002").deactivate_review_expert({"expert_id": junk,
                                                           "reason": "重复录入"})
    off = world.city.deactivate_review_expert({"expert_id": junk, "reason": "重复录入"})
    assert (off["active"], off["deactivation_reason"]) == (False, "重复录入")
    with pytest.raises(Conflict):
        world.city.deactivate_review_expert({"expert_id": junk, "reason": "again"})
    listed = {e["id"]: e["active"] for e in world.city.list_review_experts()}
    assert listed == {junk: False, **{e: True for e in experts[1:]}}

    world.register_successor_policy()  # R18.1: decisions need measures in force
    application = world.submitted_at_city(world.host_unit())
    with pytest.raises(Conflict) as refused:
        world.city.form_panel({"application_id": application["id"], "expert_ids": experts})
    assert refused.value.code == "review_expert.inactive"
    assert refused.value.details == {"field": "expert_ids", "experts": [junk]}

    assert world.city.reactivate_review_expert({"expert_id": junk})["active"] is True
    engine = make_engine(database_url_template.format(service="applications"))
    try:
        with engine.connect() as conn:
            actions = conn.execute(select(audit_log.c.action).where(
                audit_log.c.entity_id == junk).order_by(audit_log.c.id)).scalars().all()
    finally:
        engine.dispose()
    assert actions == ["review_expert.register", "review_expert.deactivate",
                       "review_expert.reactivate"]
