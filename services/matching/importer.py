"""Bulk import and export of experts and demands (Excel .xlsx and CSV), and the command-line
tool that imports a large file with a progress bar.

What happens to good rows when some are bad: nothing is written. A file is one unit; every
row is checked (the same rules as the RPCs that register an expert or post a demand, plus
duplicates within the file), and only a file with no bad row is written, in one transaction.
A file with bad rows is refused with a report naming each bad row, its field and the reason,
so the operator fixes the file and sends it again, with no need to work out which rows went
in the first time.

Two ways in: ``import_file`` (one RPC, what the gateway's upload calls; dry_run checks without
writing) and, for files too large for one request, ``stage`` in batches then ``commit``: the
staged rows are checked per batch for early feedback and all together again on commit.

Command line:
  python -m services.matching.importer experts.xlsx --kind experts --role city_hr \\
      --actor admin-1 [--district 371002] [--organisation ORG] [--dry-run]
"""

from __future__ import annotations

import argparse
import base64
import binascii
import csv
import io
import sys
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select

from servicekit.errors import DomainError, Forbidden, InvalidInput, NotFound
from servicekit.money import fen_to_yuan
from servicekit.validation import load
from services.matching import domain, schemas, search, usecases
from services.matching.models import Demand, Expert, ImportJob, ImportRow
from services.matching.usecases import Context

MAX_ROWS = 20000
LIST_SEPARATORS = (";", "；", "、", "\n")
TRUE = {"true", "yes", "y", "1", "是", "同意", "√"}
FALSE = {"false", "no", "n", "0", "否", "不同意", "×"}


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # the Chinese header an export writes; an import accepts either
    kind: str = "text"  # text | list | bool | int | date
    imported: bool = True  # False: written by exports, ignored by imports (id, status)


EXPERT_COLUMNS = (
    Column("id", "编号", imported=False),
    Column("name", "姓名"),
    Column("titles", "职称", "list"),
    Column("organisation", "工作单位"),
    Column("organisation_id", "单位标识"),
    Column("disciplines", "学科", "list"),
    Column("industries", "行业代码", "list"),
    Column("skills", "专长"),
    Column("achievements", "成果"),
    Column("honours", "人才称号", "list"),
    Column("district", "区市代码"),
    Column("talent_level", "人才层次"),
    Column("modes", "合作方式", "list"),
    Column("availability", "可合作状态"),
    Column("capacity", "可同时合作数", "int"),
    Column("consent_to_contact", "同意联系", "bool"),
    Column("station_id", "驿站标识"),
    Column("phone", "电话"),
    Column("id_number", "身份证号"),
    Column("email", "电子邮箱"),
)
DEMAND_COLUMNS = (
    Column("id", "编号", imported=False),
    Column("enterprise_id", "单位标识"),
    Column("enterprise_name", "单位名称"),
    Column("kind", "需求类型"),
    Column("title", "标题"),
    Column("description", "需求描述"),
    Column("industry", "行业代码"),
    Column("district", "区市代码"),
    Column("budget", "预算（元）"),
    Column("modes", "合作方式", "list"),
    Column("deadline", "截止日期", "date"),
    Column("status", "状态", imported=False),
)
COLUMNS = {"experts": EXPERT_COLUMNS, "demands": DEMAND_COLUMNS}


def _file_error(code: str, en: str, zh: str, **details: Any) -> InvalidInput:
    return InvalidInput(code, en, zh, details)


# Reading files -----------------------------------------------------------------------------

def _cell_text(value: Any) -> str:
    """A cell as text. Excel stores a phone or ID typed as a number as a float: 13800001234.0
    is read back as 13800001234."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _csv_rows(content: bytes) -> Iterator[list[str]]:
    # Excel in China saves CSV in GB18030 unless told otherwise; UTF-8 (with BOM) first.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise _file_error("import.unreadable", "The CSV is neither UTF-8 nor GB18030 text.",
                          "CSV 文件既不是 UTF-8 也不是 GB18030 编码。", field="file")
    for row in csv.reader(io.StringIO(text)):
        yield [cell.strip() for cell in row]


def _xlsx_rows(content: bytes) -> Iterator[list[str]]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise _file_error("import.unreadable", f"Not a readable .xlsx workbook: {exc}.",
                          "无法读取该 .xlsx 工作簿。", field="file") from None
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [_cell_text(v) for v in row]
    finally:
        workbook.close()


def parse(kind: str, fmt: str, content: bytes) -> list[tuple[int, dict[str, str]]]:
    """The file's rows as (row number in the file, {column key: text}), blank rows skipped.
    A header naming an unknown column, or a file without rows, is refused whole."""
    rows = _xlsx_rows(content) if fmt == "xlsx" else _csv_rows(content)
    header = next(rows, None)
    if not header or not any(header):
        raise _file_error("import.empty", "The file has no header row.", "文件缺少表头。",
                          field="file")
    by_name = {}
    for column in COLUMNS[kind]:
        by_name[column.key.lower()] = column
        by_name[column.label] = column
    keys: list[Column | None] = []
    unknown = []
    for name in header:
        column = by_name.get(name.strip().lower()) or by_name.get(name.strip())
        if name and column is None:
            unknown.append(name)
        keys.append(column)
    if unknown:
        raise _file_error(
            "import.unknown_columns", f"Unknown columns: {', '.join(unknown)}.",
            f"未知的列：{'、'.join(unknown)}。", field="header", unknown=unknown,
            allowed=[c.key for c in COLUMNS[kind] if c.imported],
        )
    out = []
    for number, cells in enumerate(rows, start=2):
        if not any(cells):
            continue
        row = {c.key: cells[i] for i, c in enumerate(keys)
               if c is not None and c.imported and i < len(cells) and cells[i] != ""}
        out.append((number, row))
        if len(out) > MAX_ROWS:
            raise _file_error("import.too_many_rows",
                              f"A file may hold at most {MAX_ROWS} rows; split it.",
                              f"单个文件最多 {MAX_ROWS} 行，请拆分。", field="file",
                              max_rows=MAX_ROWS)
    if not out:
        raise _file_error("import.empty", "The file has no data rows.", "文件没有数据行。",
                          field="file")
    return out


def to_payload(kind: str, row: dict[str, str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The RPC payload of a row (empty cells left out, so defaults apply), and the problems
    of cells that are not even the right type."""
    payload: dict[str, Any] = {}
    problems = []
    for column in COLUMNS[kind]:
        if column.key not in row or not column.imported:
            continue
        text = row[column.key]
        if column.kind == "list":
            for sep in LIST_SEPARATORS[1:]:
                text = text.replace(sep, LIST_SEPARATORS[0])
            payload[column.key] = [p.strip() for p in text.split(";") if p.strip()]
        elif column.kind == "bool":
            if text.lower() in TRUE:
                payload[column.key] = True
            elif text.lower() in FALSE:
                payload[column.key] = False
            else:
                problems.append({"field": column.key, "code": "invalid",
                                 "message": f"Not yes/no: {text!r} (是/否, true/false)."})
        elif column.kind == "int":
            try:
                payload[column.key] = int(text)
            except ValueError:
                problems.append({"field": column.key, "code": "invalid",
                                 "message": f"Not a whole number: {text!r}."})
        else:
            payload[column.key] = text
    return payload, problems


# Checking rows -------------------------------------------------------------------------------

def _problems_of(exc: DomainError) -> list[dict[str, Any]]:
    fields = exc.details.get("fields") if isinstance(exc.details, dict) else None
    if fields:
        return [{"field": name, "code": exc.code, "message": _flatten(messages)}
                for name, messages in fields.items()]
    field = exc.details.get("field", "row") if isinstance(exc.details, dict) else "row"
    return [{"field": field, "code": exc.code, "message": exc.message_en,
             "message_zh": exc.message_zh}]


def _flatten(messages: Any) -> str:
    if isinstance(messages, dict):
        return "; ".join(f"[{k}] {_flatten(v)}" for k, v in messages.items())
    if isinstance(messages, list):
        return "; ".join(_flatten(m) for m in messages)
    return str(messages)


@dataclass
class Checked:
    number: int
    data: dict[str, Any] | None  # what add_expert / add_demand take, when the row is good
    problems: list[dict[str, Any]]
    key: str | None = None  # expert id or enterprise id decided by the checks


def check_importer(ctx: Context, kind: str) -> None:
    """Staff import experts (R13.1: district staff their own district's rows); staff and
    enterprises import demands."""
    if kind == "experts":
        ctx.principal.require("city_hr", "district_hr")
    else:
        ctx.principal.require("city_hr", "district_hr", "enterprise")


def _check_expert(ctx: Context, payload: dict[str, Any], seen: dict[str, int]) -> Checked:
    data = load(schemas.ExpertFields(), payload)
    expert_id = usecases.check_expert_registration(ctx, data)
    id_number = data["id_number"]
    if id_number and id_number in seen:
        raise InvalidInput("import.duplicate_in_file",
                           f"The same ID number is on row {seen[id_number]}.",
                           f"与第 {seen[id_number]} 行的身份证号重复。",
                           {"field": "id_number"})
    return Checked(0, data, [], expert_id)


def _check_demand(ctx: Context, payload: dict[str, Any]) -> Checked:
    principal = ctx.principal
    enterprise_id = payload.pop("enterprise_id", None)
    data = load(schemas.DemandFields(), payload)
    if principal.role == "enterprise":
        own = domain.check_enterprise_identity(principal)
        if enterprise_id not in (None, own):
            raise Forbidden("demand.not_yours", "A row names another enterprise.",
                            "该行属于其他用人单位。", {"field": "enterprise_id"})
        enterprise_id = own
    else:
        principal.require_district(data["district"])
        if not enterprise_id:
            raise InvalidInput("import.enterprise_required",
                               "Staff importing demands name each row's enterprise.",
                               "工作人员导入需求时须填写每行的单位标识。",
                               {"field": "enterprise_id"})
    return Checked(0, usecases.check_demand_fields(ctx, data), [], enterprise_id)


def check_rows(ctx: Context, kind: str, rows: Iterable[tuple[int, dict[str, str]]]
               ) -> list[Checked]:
    """Every row checked by the rules of the single-record RPC, plus in-file duplicates."""
    checked = []
    seen: dict[str, int] = {}
    for number, row in rows:
        payload, problems = to_payload(kind, row)
        if problems:
            checked.append(Checked(number, None, problems))
            continue
        try:
            result = _check_expert(ctx, payload, seen) if kind == "experts" \
                else _check_demand(ctx, payload)
        except DomainError as exc:
            checked.append(Checked(number, None, _problems_of(exc)))
            continue
        result.number = number
        if kind == "experts" and result.data["id_number"]:
            seen[result.data["id_number"]] = number
        checked.append(result)
    return checked


def _report(checked: list[Checked]) -> dict[str, Any]:
    bad = [{"row": c.number, **p} for c in checked for p in c.problems]
    return {"rows": len(checked), "bad_rows": sorted({c.number for c in checked if c.problems}),
            "problems": bad}


def _refuse(report: dict[str, Any]) -> InvalidInput:
    n = len(report["bad_rows"])
    return InvalidInput(
        "import.bad_rows",
        f"{n} of {report['rows']} rows are invalid; nothing was imported.",
        f"共 {report['rows']} 行，其中 {n} 行有误，未导入任何数据。",
        report,
    )


def _write(ctx: Context, kind: str, checked: list[Checked], segmenter: search.Segmenter
           ) -> list[str]:
    ids = []
    for c in checked:
        if kind == "experts":
            ids.append(usecases.add_expert(ctx, c.key, c.data, segmenter).id)
        else:
            ids.append(usecases.add_demand(ctx, c.key, c.data).id)
    return ids


def _decode(content: str) -> bytes:
    try:
        return base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError):
        raise _file_error("import.not_base64", "The file content is not valid base64.",
                          "文件内容不是有效的 base64 编码。", field="content") from None


def import_file(ctx: Context, data: dict[str, Any], segmenter: search.Segmenter
                ) -> dict[str, Any]:
    """Check a whole file and write all of it, or nothing (see the module's docstring)."""
    check_importer(ctx, data["kind"])
    rows = parse(data["kind"], data["format"], _decode(data["content"]))
    with ctx.uow:
        checked = check_rows(ctx, data["kind"], rows)
        report = _report(checked)
        if data["dry_run"]:
            return {**report, "imported": 0, "dry_run": True}
        if report["bad_rows"]:
            raise _refuse(report)
        ids = _write(ctx, data["kind"], checked, segmenter)
        ctx.uow.audit(f"import.{data['kind']}", "import", str(uuid.uuid4()), None,
                      {"rows": len(ids), "format": data["format"]})
        ctx.uow.commit()
        return {**report, "imported": len(ids), "ids": ids, "dry_run": False}


# Staged imports (the command-line tool) ------------------------------------------------------

def _job(ctx: Context, job_id: str) -> ImportJob:
    job = ctx.uow.session.get(ImportJob, job_id)
    if job is None or job.created_by != ctx.uow.actor or job.status != "staging":
        raise NotFound("import.job_not_found", f"No import {job_id} of yours is open.",
                       f"没有您未完成的导入任务 {job_id}。", {"job_id": job_id})
    return job


def stage(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Add a batch of raw rows to an import (a new one without job_id); report its problems."""
    check_importer(ctx, data["kind"])
    rows = [(row["row"], {str(k): str(v) for k, v in row["cells"].items() if v not in (None, "")})
            for row in data["rows"]]
    with ctx.uow:
        if data["job_id"] is None:
            job = ImportJob(id=str(uuid.uuid4()), kind=data["kind"], status="staging",
                            created_by=ctx.uow.actor, created_role=ctx.principal.role,
                            created_at=ctx.now())
            ctx.uow.session.add(job)
        else:
            job = _job(ctx, data["job_id"])
            if job.kind != data["kind"]:
                raise InvalidInput("import.kind_mismatch", f"Import {job.id} is of {job.kind}.",
                                   f"导入任务 {job.id} 的类型为 {job.kind}。", {"field": "kind"})
        checked = check_rows(ctx, job.kind, rows)
        for (number, raw), c in zip(rows, checked, strict=True):
            ctx.uow.session.merge(ImportRow(job_id=job.id, row_number=number, data=raw,
                                            problems=c.problems or None))
        ctx.uow.commit()
        return {"job_id": job.id, **_report(checked)}


def commit(ctx: Context, job_id: str, segmenter: search.Segmenter) -> dict[str, Any]:
    """Check every staged row again, together, and write them all, or refuse with the report."""
    with ctx.uow:
        job = _job(ctx, job_id)
        staged = ctx.uow.session.scalars(
            select(ImportRow).where(ImportRow.job_id == job.id).order_by(ImportRow.row_number)
        ).all()
        checked = check_rows(ctx, job.kind, [(r.row_number, r.data) for r in staged])
        report = _report(checked)
        if report["bad_rows"] or not checked:
            raise _refuse(report)
        ids = _write(ctx, job.kind, checked, segmenter)
        # The staged copies (personal data among them) go once the rows are in.
        ctx.uow.session.execute(delete(ImportRow).where(ImportRow.job_id == job.id))
        job.status = "committed"
        ctx.uow.audit(f"import.{job.kind}", "import", job.id, {"status": "staging"},
                      {"status": "committed", "rows": len(ids)})
        ctx.uow.commit()
        return {**report, "job_id": job.id, "imported": len(ids)}


def discard(ctx: Context, job_id: str) -> dict[str, Any]:
    with ctx.uow:
        job = _job(ctx, job_id)
        ctx.uow.session.execute(delete(ImportRow).where(ImportRow.job_id == job.id))
        job.status = "discarded"
        ctx.uow.audit("import.discard", "import", job.id, {"status": "staging"},
                      {"status": "discarded"})
        ctx.uow.commit()
        return {"job_id": job.id, "status": job.status}


# Exports -----------------------------------------------------------------------------------------

def _export_text(column: Column, value: Any) -> str:
    if value is None:
        return ""
    if column.kind == "list":
        return "；".join(value)
    if column.kind == "bool":
        return "是" if value else "否"
    return str(value)


def export(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """The experts (personal data masked as the caller sees it) or demands the caller may read,
    with the import's columns, as base64 of a CSV (UTF-8 with BOM, for Excel) or an .xlsx."""
    principal = ctx.principal
    kind = data["kind"]
    with ctx.uow:
        if kind == "experts":
            principal.require(*domain.READERS, "system")
            stmt = select(Expert).order_by(Expert.name, Expert.id)
            if principal.role == "district_hr":
                stmt = stmt.where(Expert.district == (principal.district or ""))
            rows = [usecases.expert_view(e, principal) for e in ctx.uow.session.scalars(stmt)]
        else:
            principal.require(*domain.READERS, "enterprise", "system")
            stmt = select(Demand).order_by(Demand.posted_at, Demand.id)
            if principal.role == "district_hr":
                stmt = stmt.where(Demand.district == (principal.district or ""))
            if principal.role == "enterprise":
                stmt = stmt.where(Demand.enterprise_id == (principal.organisation or ""))
            rows = []
            for d in ctx.uow.session.scalars(stmt):
                view = usecases.demand_view(d)
                view["budget"] = None if d.budget_fen is None else fen_to_yuan(d.budget_fen)
                rows.append(view)
    columns = COLUMNS[kind]
    table = [[c.label for c in columns]] + [
        [_export_text(c, row.get(c.key)) for c in columns] for row in rows
    ]
    if data["format"] == "csv":
        buffer = io.StringIO()
        csv.writer(buffer).writerows(table)
        content = buffer.getvalue().encode("utf-8-sig")
        media_type = "text/csv; charset=utf-8"
    else:
        content = _xlsx(kind, table)
        media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return {"filename": f"{kind}-{ctx.today().isoformat()}.{data['format']}",
            "media_type": media_type, "rows": len(rows),
            "content": base64.b64encode(content).decode("ascii")}


def _xlsx(kind: str, table: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(kind)
    for row in table:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# The command-line tool ---------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    from nameko.standalone.rpc import ClusterRpcProxy
    from tqdm import tqdm

    from servicekit.config import load_config

    parser = argparse.ArgumentParser(
        prog="python -m services.matching.importer",
        description="Import experts or demands from an .xlsx or .csv file: all rows or none.",
    )
    parser.add_argument("file")
    parser.add_argument("--kind", choices=("experts", "demands"), required=True)
    parser.add_argument("--config", default="deploy/local/config.yaml")
    parser.add_argument("--actor", required=True, help="who imports (kept in the audit log)")
    parser.add_argument("--role", required=True, choices=("city_hr", "district_hr",
                                                          "enterprise"))
    parser.add_argument("--district", help="district code of a district_hr")
    parser.add_argument("--organisation", help="enterprise id of an enterprise")
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")
    args = parser.parse_args(argv)

    fmt = "xlsx" if args.file.lower().endswith(".xlsx") else "csv"
    with open(args.file, "rb") as fh:
        content = fh.read()
    try:
        rows = parse(args.kind, fmt, content)
    except InvalidInput as exc:
        print(f"{exc.code}: {exc.message_en} / {exc.message_zh}", file=sys.stderr)
        return 1
    context = {"actor": args.actor, "role": args.role, "district": args.district,
               "organisation": args.organisation}
    config = load_config(args.config)
    problems: list[dict[str, Any]] = []
    with ClusterRpcProxy(config, context_data={k: v for k, v in context.items() if v}) as rpc:
        job_id = None
        with tqdm(total=len(rows), unit="row", desc=f"checking {args.kind}") as bar:
            for start in range(0, len(rows), args.batch_size):
                batch = rows[start:start + args.batch_size]
                answer = rpc.matching.import_stage({
                    "kind": args.kind, "job_id": job_id,
                    "rows": [{"row": n, "cells": cells} for n, cells in batch],
                })
                problems += answer["problems"]
                job_id = answer["job_id"]
                bar.update(len(batch))
        if problems or args.dry_run:
            rpc.matching.import_discard({"job_id": job_id})
            for p in problems:
                print(f"row {p['row']}: {p['field']}: {p['message']}", file=sys.stderr)
            bad = len({p["row"] for p in problems})
            print(f"{len(rows)} rows checked, {bad} bad; nothing imported.")
            return 1 if problems else 0
        result = rpc.matching.import_commit({"job_id": job_id})
    print(f"{result['imported']} {args.kind} imported.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
