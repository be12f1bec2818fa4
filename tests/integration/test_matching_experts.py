"""The talent database over RPC: profiles, personal data masking, who may write (R13.1),
bad input refused with nothing written, bulk import (all or nothing) and export."""

from __future__ import annotations

import base64
import io

import pytest
from openpyxl import Workbook, load_workbook

from gateway.matching import render_export
from servicekit.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.matching import importer
from services.matching.demo_data import EXPERTS
from services.matching.models import Expert, ImportRow
from tests.integration.matching_world import (
    AUDITOR,
    district_hr,
    enterprise,
    expert,
    start_world,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def world(container_factory, service_config, database_url_template, tmp_path):
    yield from start_world(container_factory, service_config, database_url_template, tmp_path)

WANG = EXPERTS["wang_cf"]


def test_registered_profile_with_personal_data_masked_for_all_but_city_and_self(world):
    created = world.city.register_expert(WANG)
    assert created["personal_data_masked"] is False
    assert (created["phone"], created["email"]) == (WANG["phone"], WANG["email"])
    assert created["industry_names"] == ["制造业", "碳纤维等新材料"]
    assert created["district_name"] == "环翠区"
    expert_id = created["id"]

    for principal in (district_hr("371002"), AUDITOR, enterprise("ent-x")):
        seen = world.as_(principal).get_expert({"expert_id": expert_id})
        assert seen["personal_data_masked"] is True
        assert seen["phone"] == WANG["phone"][:3] + "****" + WANG["phone"][-4:]
        assert seen["id_number"].startswith(WANG["id_number"][:3]) and "*" in seen["id_number"]
        assert seen["email"] == "e***@example.com"
        assert seen["skills"] == WANG["skills"]
    mine = world.as_(expert(expert_id)).get_expert({"expert_id": expert_id})
    assert mine["id_number"] == WANG["id_number"]
    with pytest.raises(Forbidden):
        world.as_(expert("someone-else")).get_expert({"expert_id": expert_id})

    [audit] = world.audits("expert.register")
    assert audit.after["phone"] != WANG["phone"]  # the audit log keeps no clear personal data


def test_expert_edits_own_profile_and_the_index_terms_follow(world):
    expert_id = world.city.register_expert(WANG)["id"]
    as_expert = world.as_(expert(expert_id))
    updated = as_expert.update_expert({"expert_id": expert_id, "availability": "limited",
                                       "skills": "海参精深加工与即食海参工艺"})
    assert updated["availability"] == "limited"
    assert updated["name"] == WANG["name"]  # fields not given stay
    [row] = world.rows(Expert.__table__)
    assert "海参" in row.tokens.split() and "热压罐" not in row.tokens.split()
    with pytest.raises(Forbidden):
        world.as_(expert("other")).update_expert({"expert_id": expert_id, "capacity": 5})
    [audit] = world.audits("expert.update")
    assert (audit.before["availability"], audit.after["availability"]) == ("available",
                                                                            "limited")


def test_an_expert_registers_themself_under_their_own_id(world):
    mine = world.as_(expert("exp-77")).register_expert({**WANG, "district": "371003"})
    assert mine["id"] == "exp-77"
    with pytest.raises(Conflict) as refused:
        world.as_(expert("exp-77")).register_expert({**WANG, "id_number": None})
    assert refused.value.code == "expert.exists"


def test_district_staff_register_only_in_their_own_district(world):  # R13.1
    staff = world.as_(district_hr("371082"))
    assert staff.register_expert({**WANG, "district": "371082"})["district"] == "371082"
    before = world.counts()
    with pytest.raises(Forbidden) as refused:
        staff.register_expert({**EXPERTS["ma_ai"], "district": "371002"})
    assert refused.value.code == "forbidden.district"
    assert world.counts() == before
    listed = staff.list_experts({})
    assert listed["total"] == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"industries": ["C", "X9"]}, "industries"),
        ({"email": "not-an-email"}, "email"),
        ({"phone": "12345"}, "phone"),
        ({"id_number": "110105194912310021"}, "id_number"),
        ({"skills": "碳" * 2001}, "skills"),
        ({"modes": ["consulting"]}, "modes"),
        ({"name": "   "}, "name"),
        ({"talent_level": "Z"}, "talent_level"),
        ({"district": "999999"}, "district"),
        ({"nickname": "老王"}, "nickname"),
    ],
)
def test_bad_profile_is_refused_naming_the_field_and_nothing_is_written(world, change, field):
    with pytest.raises(InvalidInput) as refused:
        world.city.register_expert({**WANG, **change})
    assert field in refused.value.details["fields"]
    assert world.rows(Expert.__table__) == []
    assert world.counts() == (0, 0)


def test_duplicate_id_number_and_unknown_station_are_refused(world):
    world.city.register_expert(WANG)
    with pytest.raises(Conflict) as refused:
        world.city.register_expert({**EXPERTS["ma_ai"], "id_number": WANG["id_number"]})
    assert refused.value.details["field"] == "id_number"
    with pytest.raises(InvalidInput) as refused:
        world.city.register_expert({**EXPERTS["ma_ai"], "station_id": "no-such-station"})
    assert refused.value.code == "station.unknown"
    assert len(world.rows(Expert.__table__)) == 1
    with pytest.raises(NotFound):
        world.city.get_expert({"expert_id": "nobody"})


def test_enterprises_see_only_consenting_experts(world):
    world.city.register_expert(EXPERTS["ma_ai"])
    private = world.city.register_expert(EXPERTS["pan_private"])
    listed = world.as_(enterprise("ent-x")).list_experts({})
    assert [e["name"] for e in listed["items"]] == [EXPERTS["ma_ai"]["name"]]
    with pytest.raises(NotFound):
        world.as_(enterprise("ent-x")).get_expert({"expert_id": private["id"]})
    assert world.city.list_experts({"industry": "WH-IT"})["total"] == 2
    assert world.city.list_experts({"q": "机器视觉"})["total"] == 2


def _csv(rows: list[list[str]]) -> str:
    text = "\n".join(",".join(cells) for cells in rows) + "\n"
    return base64.b64encode(text.encode("utf-8-sig")).decode()


HEADER = ["姓名", "工作单位", "行业代码", "区市代码", "人才层次", "合作方式", "同意联系", "电话",
          "身份证号", "专长"]


def _row(name: str, phone: str, id_number: str, industry: str = "C；WH-MAT") -> list[str]:
    return [name, "山东大学（威海）", industry, "371002", "B", "part_time;joint_development",
            "是", phone, id_number, "碳纤维复合材料成型"]


def test_import_with_bad_rows_writes_nothing_and_reports_each_row(world):
    content = _csv([
        HEADER,
        _row("王一", "13900000001", "11010519491231002X"),
        _row("王二", "12345", "11010519491231002X"),            # bad phone, duplicate ID
        _row("王三", "13900000003", "110105194912310029", "Z"),  # bad industry
        _row("王四", "13900000004", ""),
    ])
    with pytest.raises(InvalidInput) as refused:
        world.city.import_file({"kind": "experts", "format": "csv", "content": content})
    report = refused.value.details
    assert refused.value.code == "import.bad_rows"
    assert report["bad_rows"] == [3, 4]
    fields = {(p["row"], p["field"]) for p in report["problems"]}
    assert (3, "phone") in fields and (4, "industries") in fields
    assert world.rows(Expert.__table__) == []
    assert world.counts() == (0, 0)

    dry = world.city.import_file({"kind": "experts", "format": "csv", "content": content,
                                  "dry_run": True})
    assert (dry["rows"], dry["bad_rows"], dry["imported"]) == (4, [3, 4], 0)

    good = _csv([HEADER, _row("王一", "13900000001", "11010519491231002X"),
                 _row("王四", "13900000004", "")])
    done = world.city.import_file({"kind": "experts", "format": "csv", "content": good})
    assert done["imported"] == 2
    assert {r.name for r in world.rows(Expert.__table__)} == {"王一", "王四"}


def test_import_refuses_a_file_it_cannot_read(world):
    with pytest.raises(InvalidInput) as refused:
        world.city.import_file({"kind": "experts", "format": "csv",
                                "content": _csv([["姓名", "绰号"], ["王一", "老王"]])})
    assert refused.value.code == "import.unknown_columns"
    assert refused.value.details["unknown"] == ["绰号"]
    with pytest.raises(InvalidInput) as refused:
        world.city.import_file({"kind": "experts", "format": "xlsx",
                                "content": base64.b64encode(b"not a workbook").decode()})
    assert refused.value.code == "import.unreadable"
    with pytest.raises(Forbidden):  # R13.1 and roles: an enterprise imports no experts
        world.as_(enterprise("ent-x")).import_file(
            {"kind": "experts", "format": "csv", "content": _csv([HEADER])})


def test_district_import_of_another_districts_rows_is_refused(world):  # R13.1
    row = _row("王一", "13900000001", "11010519491231002X")
    with pytest.raises(InvalidInput) as refused:
        world.as_(district_hr("371003")).import_file(
            {"kind": "experts", "format": "csv", "content": _csv([HEADER, row])})
    assert refused.value.details["problems"][0]["code"] == "forbidden.district"


def test_xlsx_import_and_masked_export_round_trip(world):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    # A phone typed into Excel as a number comes back as a float.
    sheet.append(["王一", "山东大学（威海）", "C", "371002", "B", "part_time", "是",
                  13900000001, "11010519491231002X", "热压罐成型"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    world.city.import_file({"kind": "experts", "format": "xlsx",
                            "content": base64.b64encode(buffer.getvalue()).decode()})
    [row] = world.rows(Expert.__table__)
    assert row.phone == "13900000001"

    # The service answers rows, masked as the caller sees them; the gateway renders them.
    exported = world.as_(district_hr("371002")).export_records({"kind": "experts"})
    assert exported["rows"][0]["phone"] == "139****0001"
    content, _ = render_export(exported, "xlsx")
    table = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    header = list(table[0])
    assert header[:3] == ["编号", "姓名", "职称"]
    values = dict(zip(header, table[1], strict=True))
    assert values["电话"] == "139****0001"
    assert values["同意联系"] == "是"
    csv_export, _ = render_export(world.city.export_records({"kind": "experts"}), "csv")
    text = csv_export.decode("utf-8-sig")
    assert "13900000001" in text  # city staff see personal data in full
    assert importer.parse("experts", "csv", csv_export)[0][1]["name"] == "王一"


def test_staged_import_in_batches_is_written_only_on_commit(world):
    rows = [{"row": 2 + i, "cells": dict(zip(("name", "organisation", "industries", "district",
                                               "talent_level", "modes", "consent_to_contact"),
                                              (f"专家{i}", "某大学", "M", "371002", "D",
                                               "part_time", "true"), strict=True))}
            for i in range(5)]
    first = world.city.stage_import({"kind": "experts", "rows": rows[:3]})
    second = world.city.stage_import({"kind": "experts", "job_id": first["job_id"],
                                      "rows": rows[3:]})
    assert second["problems"] == []
    assert world.rows(Expert.__table__) == []
    with pytest.raises(NotFound):  # an import is its creator's alone
        world.as_(district_hr("371002")).commit_import({"job_id": first["job_id"]})
    assert world.city.commit_import({"job_id": first["job_id"]})["imported"] == 5
    assert len(world.rows(Expert.__table__)) == 5
    with pytest.raises(NotFound):  # committed once
        world.city.commit_import({"job_id": first["job_id"]})


def test_command_line_import_shows_progress_and_writes_all_or_nothing(world, tmp_path, capsys):
    config = tmp_path / "config.yaml"
    config.write_text(f"AMQP_URI: {world.config['AMQP_URI']}\n", encoding="utf-8")
    args = ["--kind", "experts", "--config", str(config), "--actor", "admin-1",
            "--role", "city_hr", "--batch-size", "2"]
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(",".join(r) for r in [
        HEADER, _row("王一", "13900000001", "11010519491231002X"),
        _row("王二", "13900000002", ""), _row("王三", "12345", "")]) + "\n", encoding="utf-8")
    assert importer.main([str(bad), *args]) == 1
    out = capsys.readouterr()
    assert "row 4: phone:" in out.err and "nothing imported" in out.out
    assert "3/3" in out.err  # tqdm's bar reached the end of the file
    assert world.rows(Expert.__table__) == []
    assert world.rows(ImportRow.__table__) == []  # the staged rows were discarded
    good = tmp_path / "good.csv"
    good.write_text("\n".join(",".join(r) for r in [
        HEADER, _row("王一", "13900000001", "11010519491231002X"),
        _row("王二", "13900000002", ""), _row("王三", "13900000003", "")]) + "\n",
        encoding="utf-8")
    assert importer.main([str(good), *args]) == 0
    assert "3 experts imported." in capsys.readouterr().out
    assert len(world.rows(Expert.__table__)) == 3
    [audit] = world.audits("import.experts")
    assert audit.actor == "admin-1" and audit.after["rows"] == 3
