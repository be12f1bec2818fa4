"""Bulk imports (all rows or none, see ``services/matching/importer.py``) and exports of
experts and demands. An export answers rows; the gateway renders them as a spreadsheet."""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any

from sqlalchemy import delete, select

from contracts.rpc.matching import (
    CommittedImport,
    DiscardedImport,
    ExportedRecords,
    ImportReport,
    StagedImport,
)
from servicekit.context import Context
from servicekit.errors import InvalidInput, NotFound
from services.matching import domain, importer
from services.matching.models import Demand, Expert, ImportJob, ImportRow
from services.matching.usecases.demands import DEMAND, add_demand
from services.matching.usecases.experts import add_expert, expert_answer


def _write(ctx: Context, kind: str, checked: list[importer.Checked]) -> list[str]:
    if kind == "experts":
        return [add_expert(ctx, c.key, c.data).id for c in checked]
    return [add_demand(ctx, c.key, c.data).id for c in checked]


def _decode(content: str) -> bytes:
    try:
        return base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("import.not_base64", "The file content is not valid base64.",
                           "文件内容不是有效的 base64 编码。", {"field": "content"}) from None


def _job(ctx: Context, job_id: str) -> ImportJob:
    job = ctx.uow.session.get(ImportJob, job_id)
    if job is None or job.created_by != ctx.uow.actor or job.status != "staging":
        raise NotFound("import.job_not_found", f"No import {job_id} of yours is open.",
                       f"没有您未完成的导入任务 {job_id}。", {"job_id": job_id})
    return job


# Commands ------------------------------------------------------------------------------------

def import_file(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Check a whole file and write all of it, or nothing (see importer's docstring)."""
    importer.check_importer(ctx, data["kind"])
    rows = importer.parse(data["kind"], data["format"], _decode(data["content"]))
    with ctx.uow:
        checked = importer.check_rows(ctx, data["kind"], rows)
        report = importer.report(checked)
        if data["dry_run"]:
            return ImportReport().dump({**report, "imported": 0, "dry_run": True})
        if report["bad_rows"]:
            raise importer.refuse(report)
        ids = _write(ctx, data["kind"], checked)
        ctx.uow.audit(f"import.{data['kind']}", "import", str(uuid.uuid4()), None,
                      {"rows": len(ids), "format": data["format"]})
        ctx.uow.commit()
        return ImportReport().dump({**report, "imported": len(ids), "ids": ids,
                                    "dry_run": False})


def stage_import(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Add a batch of raw rows to an import (a new one without job_id); report its problems.
    The command-line tool stages a large file this way."""
    importer.check_importer(ctx, data["kind"])
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
        checked = importer.check_rows(ctx, job.kind, rows)
        for (number, raw), c in zip(rows, checked, strict=True):
            ctx.uow.session.merge(ImportRow(job_id=job.id, row_number=number, data=raw,
                                            problems=c.problems or None))
        ctx.uow.commit()
        return StagedImport().dump({"job_id": job.id, **importer.report(checked)})


def commit_import(ctx: Context, job_id: str) -> dict[str, Any]:
    """Check every staged row again, together, and write them all, or refuse with the report."""
    with ctx.uow:
        job = _job(ctx, job_id)
        staged = ctx.uow.session.scalars(
            select(ImportRow).where(ImportRow.job_id == job.id).order_by(ImportRow.row_number)
        ).all()
        checked = importer.check_rows(ctx, job.kind, [(r.row_number, r.data) for r in staged])
        report = importer.report(checked)
        if report["bad_rows"] or not checked:
            raise importer.refuse(report)
        ids = _write(ctx, job.kind, checked)
        # The staged copies (personal data among them) go once the rows are in.
        ctx.uow.session.execute(delete(ImportRow).where(ImportRow.job_id == job.id))
        job.status = "committed"
        ctx.uow.audit(f"import.{job.kind}", "import", job.id, {"status": "staging"},
                      {"status": "committed", "rows": len(ids)})
        ctx.uow.commit()
        return CommittedImport().dump({**report, "job_id": job.id, "imported": len(ids)})


def discard_import(ctx: Context, job_id: str) -> dict[str, Any]:
    with ctx.uow:
        job = _job(ctx, job_id)
        ctx.uow.session.execute(delete(ImportRow).where(ImportRow.job_id == job.id))
        job.status = "discarded"
        ctx.uow.audit("import.discard", "import", job.id, {"status": "staging"},
                      {"status": "discarded"})
        ctx.uow.commit()
        return DiscardedImport().dump(job)


# Queries -------------------------------------------------------------------------------------

def export_records(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """The experts (personal data masked as the caller sees it) or demands the caller may
    read, as rows of the import's columns (contracts.rpc.matching.EXPORT_COLUMNS)."""
    principal = ctx.principal
    kind = data["kind"]
    with ctx.uow:
        if kind == "experts":
            principal.require(*domain.READERS, "system")
            stmt = select(Expert).order_by(Expert.name, Expert.id)
            if principal.role == "district_hr":
                stmt = stmt.where(Expert.district == (principal.district or ""))
            rows = [expert_answer(principal, e) for e in ctx.uow.session.scalars(stmt)]
        else:
            principal.require(*domain.READERS, "enterprise", "system")
            stmt = select(Demand).order_by(Demand.posted_at, Demand.id)
            if principal.role == "district_hr":
                stmt = stmt.where(Demand.district == (principal.district or ""))
            if principal.role == "enterprise":
                stmt = stmt.where(Demand.enterprise_id == (principal.organisation or ""))
            rows = DEMAND.dump(ctx.uow.session.scalars(stmt), many=True)
    return ExportedRecords().dump({"kind": kind, "as_of": ctx.today(), "rows": rows})
