"""Reading bulk imports of experts and demands (Excel .xlsx and CSV), checking their rows, and
the command-line tool that imports a large file with a progress bar. The use cases that write
them, and the export, are in ``usecases/transfers.py``; the gateway renders exports.

What happens to good rows when some are bad: nothing is written. A file is one unit; every
row is checked (the same rules as the RPCs that register an expert or post a demand, plus
duplicates within the file), and only a file with no bad row is written, in one transaction.
A file with bad rows is refused with a report naming each bad row, its field and the reason,
so the operator fixes the file and sends it again, with no need to work out which rows went
in the first time.

Two ways in: ``import_file`` (one RPC, what the gateway's upload calls; dry_run checks without
writing) and, for files too large for one request, ``stage_import`` in batches then
``commit_import``: the staged rows are checked per batch for early feedback and all together
again on commit.

Command line:
  python -m services.matching.importer experts.xlsx --kind experts --role city_hr \\
      --actor admin-1 [--district 371002] [--organisation ORG] [--dry-run]
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from contracts.rpc.matching import EXPORT_COLUMNS, EXPORT_ONLY, DemandFields, ExpertFields
from servicekit.context import Context
from servicekit.errors import DomainError, Forbidden, InvalidInput
from servicekit.spreadsheets import Column
from servicekit.validation import load
from services.matching import domain
from services.matching.usecases.demands import check_demand_fields
from services.matching.usecases.experts import check_expert_registration

MAX_ROWS = 20000
LIST_SEPARATORS = (";", "；", "、", "\n")
TRUE = {"true", "yes", "y", "1", "是", "同意", "√"}
FALSE = {"false", "no", "n", "0", "否", "不同意", "×"}
# How a cell is read (text unless named here); the headers are the export's columns.
CELL_KINDS = {"titles": "list", "disciplines": "list", "industries": "list", "honours": "list",
              "modes": "list", "capacity": "int", "consent_to_contact": "bool"}


def _imported(column: Column) -> bool:
    return column.key not in EXPORT_ONLY


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
    for column in EXPORT_COLUMNS[kind]:
        by_name[column.key.lower()] = column
        by_name[column.title] = column
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
            allowed=[c.key for c in EXPORT_COLUMNS[kind] if _imported(c)],
        )
    out = []
    for number, cells in enumerate(rows, start=2):
        if not any(cells):
            continue
        row = {c.key: cells[i] for i, c in enumerate(keys)
               if c is not None and _imported(c) and i < len(cells) and cells[i] != ""}
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
    for column in EXPORT_COLUMNS[kind]:
        if column.key not in row or not _imported(column):
            continue
        text = row[column.key]
        kind = CELL_KINDS.get(column.key, "text")
        if kind == "list":
            for sep in LIST_SEPARATORS[1:]:
                text = text.replace(sep, LIST_SEPARATORS[0])
            payload[column.key] = [p.strip() for p in text.split(";") if p.strip()]
        elif kind == "bool":
            if text.lower() in TRUE:
                payload[column.key] = True
            elif text.lower() in FALSE:
                payload[column.key] = False
            else:
                problems.append({"field": column.key, "code": "invalid",
                                 "message": f"Not yes/no: {text!r} (是/否, true/false)."})
        elif kind == "int":
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
    data = load(ExpertFields(), payload)
    expert_id = check_expert_registration(ctx, data)
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
    data = load(DemandFields(), payload)
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
    return Checked(0, check_demand_fields(ctx, data), [], enterprise_id)


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


def report(checked: list[Checked]) -> dict[str, Any]:
    bad = [{"row": c.number, **p} for c in checked for p in c.problems]
    return {"rows": len(checked), "bad_rows": sorted({c.number for c in checked if c.problems}),
            "problems": bad}


def refuse(summary: dict[str, Any]) -> InvalidInput:
    n = len(summary["bad_rows"])
    return InvalidInput(
        "import.bad_rows",
        f"{n} of {summary['rows']} rows are invalid; nothing was imported.",
        f"共 {summary['rows']} 行，其中 {n} 行有误，未导入任何数据。",
        summary,
    )


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
                answer = rpc.matching.stage_import({
                    "kind": args.kind, "job_id": job_id,
                    "rows": [{"row": n, "cells": cells} for n, cells in batch],
                })
                problems += answer["problems"]
                job_id = answer["job_id"]
                bar.update(len(batch))
        if problems or args.dry_run:
            rpc.matching.discard_import({"job_id": job_id})
            for p in problems:
                print(f"row {p['row']}: {p['field']}: {p['message']}", file=sys.stderr)
            bad = len({p["row"] for p in problems})
            print(f"{len(rows)} rows checked, {bad} bad; nothing imported.")
            return 1 if problems else 0
        result = rpc.matching.commit_import({"job_id": job_id})
    print(f"{result['imported']} {args.kind} imported.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
