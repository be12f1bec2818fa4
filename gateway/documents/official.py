"""The seven official documents, one function each, from the records the services' RPCs
answer (the contracts' answer shapes, as the gateway receives them). Each returns the
composed ``Document``; ``Document.pdf()`` renders it. The wording follows the 2020 measures
(《威海市高层次人才驿站管理暂行办法》); every number, name, date and amount is the record's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.units import mm

from contracts.rpc.evaluation import CRITERIA, CRITERIA_ZH, GRADES_ZH
from contracts.rpc.subsidy import ART9_CATEGORIES
from gateway.documents.formats import (
    EXPENDITURE_STATUSES_ZH,
    GRANT_KINDS_ZH,
    GRANT_STATUSES_ZH,
    RECTIFICATION_STATUSES_ZH,
    STATION_TYPES_ZH,
    chinese_date,
    district_name,
    organ_of,
    today_in_shanghai,
    yuan,
    yuan_in_capitals,
)
from gateway.documents.layout import Document

MEASURES = "《威海市高层次人才驿站管理暂行办法》"
HRSS = "威海市人力资源和社会保障局"
TALENT_OFFICE = "威海市人才工作领导小组办公室"
ORG_DEPARTMENT = "中共威海市委组织部"
Record = dict[str, Any]


def _station_type(code: str) -> str:
    return STATION_TYPES_ZH.get(code, code)


def public_notice(notice: Record) -> Document:
    """公示 (Art 7(3), R7.3): the shortlist, its window of five working days, how to object."""
    year = notice["published_on"][:4]
    entries = notice["applications"]
    doc = Document(f"{year}年威海市高层次人才驿站拟认定名单公示", notice["number"],
                   f"公示_notice_{notice['number']}.pdf")
    doc.masthead(HRSS)
    doc.heading(doc.title)
    doc.paragraph(
        f"根据{MEASURES}，经单位申报、区市推荐、专家现场考察和综合评审，确定以下"
        f"{len(entries)}家单位为威海市高层次人才驿站拟认定对象，现予以公示。")
    doc.paragraph(
        f"公示期为{chinese_date(notice['opens_on'])}至{chinese_date(notice['closes_on'])}"
        "（5个工作日）。公示期间，对公示对象有异议的，可通过威海市高层次人才驿站管理平台提出，"
        "须写明异议理由，并可留下姓名和联系方式以便核实。")
    doc.table(("序号", "申报编号", "驿站名称", "依托单位", "类型", "所在区市"),
              [(str(i), e["number"], e["station_name"], e["host_unit_name"],
                _station_type(e["station_type"]), district_name(e["district"]))
               for i, e in enumerate(entries, 1)],
              (0.07, 0.2, 0.27, 0.22, 0.1, 0.14))
    doc.signature([HRSS], chinese_date(notice["published_on"]))
    return doc


def approval(station: Record, application: Record) -> Document:
    """批复 (Art 7(4), R7.4): the talent office's approval of a station, to its host unit."""
    name = station["name"]
    doc = Document(f"关于认定“{name}”为威海市高层次人才驿站的批复", station["plaque_number"],
                   f"批复_approval_{station['plaque_number']}.pdf")
    doc.masthead(TALENT_OFFICE)
    doc.heading(doc.title)
    doc.line(f"{station['host_unit_name']}：")
    recommended = ("经所在区市人力资源和社会保障部门推荐，" if application["route"] == "district"
                   else "")
    doc.paragraph(
        f"你单位报送的高层次人才驿站申报材料（申报编号：{application['number']}）收悉。"
        f"{recommended}经市人力资源和社会保障局组织专家现场考察、综合评审，并经公示无异议，"
        "现批复如下：")
    doc.paragraph(
        f"一、同意认定“{name}”为威海市{_station_type(station['station_type'])}高层次人才驿站，"
        f"所在区市为{district_name(station['district'])}，牌匾编号为{station['plaque_number']}，"
        f"认定日期为{chinese_date(station['approved_on'])}。")
    doc.paragraph(
        f"二、请你单位按照{MEASURES}的要求，完善驿站服务功能，健全管理制度，如实记录驿站"
        "活动，按时报送年度工作计划和总结，接受两年一次的评估。")
    doc.paragraph("此复。")
    doc.signature([TALENT_OFFICE], chinese_date(station["approved_on"]))
    doc.space(8 * mm)
    doc.line(f"抄送：{HRSS}，{district_name(station['district'])}人力资源和社会保障局。",
             size=12)
    return doc


def certificate(station: Record) -> Document:
    """The plaque certificate (Art 7(4)): the station, its type, host unit and plaque number."""
    doc = Document("威海市高层次人才驿站证书", station["plaque_number"],
                   f"证书_certificate_{station['plaque_number']}.pdf", frame=True)
    doc.line(f"证书编号：{station['plaque_number']}", align=TA_LEFT, size=12)
    doc.space(12 * mm)
    doc.heading("威海市高层次人才驿站", size=30)
    doc.heading("证　书", size=26)
    doc.space(4 * mm)
    doc.paragraph(
        f"经审核认定，“{station['name']}”为威海市"
        f"{_station_type(station['station_type'])}高层次人才驿站。特发此证。")
    doc.table(None, [
        ("驿站名称", station["name"]),
        ("驿站类型", _station_type(station["station_type"])),
        ("依托单位", station["host_unit_name"]),
        ("所在区市", district_name(station["district"])),
        ("认定日期", chinese_date(station["approved_on"])),
        ("牌匾编号", station["plaque_number"]),
    ], (0.3, 0.7), size=13)
    doc.signature([TALENT_OFFICE, HRSS], chinese_date(station["approved_on"]))
    return doc


def _criteria_rows(criteria: Record) -> list[tuple[str, str, str]]:
    return [(f"（{i}）", CRITERIA_ZH[c], criteria.get(c) or "—")
            for i, c in enumerate(CRITERIA, 1)]


def evaluation_result(station: Record, result: Record, cycle: Record) -> Document:
    """评估结果通知 (Arts 16–17, R16.1, R17.1): a station's score, rank and grade in a
    finalized cycle, with its criteria, and its rectification deadline if it must rectify."""
    name, plaque = station["name"], station["plaque_number"]
    grade = GRADES_ZH.get(result["grade"] or "", result["grade"] or "—")
    doc = Document(f"关于“{name}”{result['cycle_name']}结果的通知", plaque,
                   f"评估结果_evaluation_{plaque}_{result['reference_date']}.pdf")
    doc.masthead(HRSS)
    doc.heading(doc.title)
    doc.line(f"{station['host_unit_name']}：")
    rank = f"，在参评驿站中排名第{result['rank']}位" if result["rank"] else ""
    doc.paragraph(
        f"根据{MEASURES}第十六条，市人力资源和社会保障局以"
        f"{chinese_date(result['reference_date'])}为评估基准日，组织开展了"
        f"{result['cycle_name']}。经专家评审，你单位依托建设的“{name}”（牌匾编号：{plaque}）"
        f"评估得分为{result['score']}分{rank}，评估等次为{grade}。各项评估指标得分如下：")
    doc.table(("序号", "评估指标", "得分"), _criteria_rows(result["criteria"]),
              (0.1, 0.7, 0.2))
    rectification = result.get("rectification")
    if result["grade"] == "excellent":
        doc.paragraph("评估等次为优秀，予以表扬，并作为遴选示范驿站的依据。望再接再厉，"
                      "充分发挥示范带动作用。")
    elif rectification:
        doc.paragraph(
            f"评估不合格，须限期整改，整改期限至{chinese_date(rectification['deadline'])}。"
            f"存在的主要问题：{rectification['findings']}")
    else:
        doc.paragraph("评估等次为合格。请对照评估指标，继续完善驿站服务，提升服务成效。")
    doc.signature([HRSS], chinese_date(cycle["finalized_on"] or result["reference_date"]))
    return doc


def rectification_notice(rectification: Record, station: Record, cycle: Record) -> Document:
    """限期整改通知 (Art 17, R17.1): the findings and the deadline; a failed
    re-assessment revokes the title."""
    name, plaque = station["name"], station["plaque_number"]
    doc = Document(f"关于“{name}”限期整改的通知", plaque,
                   f"整改通知_rectification_{plaque}_{rectification['deadline']}.pdf")
    doc.masthead(HRSS)
    doc.heading(doc.title)
    doc.line(f"{station['host_unit_name']}：")
    doc.paragraph(
        f"根据{cycle['name']}结果，你单位依托建设的“{name}”（牌匾编号：{plaque}）评估不合格。"
        f"根据{MEASURES}第十七条，现通知你单位限期整改。")
    doc.paragraph(f"一、存在的主要问题：{rectification['findings']}")
    doc.paragraph(
        f"二、整改期限：自{chinese_date(rectification['opened_on'])}起至"
        f"{chinese_date(rectification['deadline'])}止。请于期限届满前通过威海市高层次人才驿站"
        "管理平台提交整改材料，市人力资源和社会保障局将组织复评。")
    doc.paragraph("三、逾期未整改或整改后复评仍不合格的，撤销其“威海市高层次人才驿站”称号，"
                  "收回牌匾。")
    status = rectification["status"]
    if status != "open":
        doc.paragraph(f"当前整改状态：{RECTIFICATION_STATUSES_ZH.get(status, status)}。")
    doc.signature([HRSS], chinese_date(rectification["opened_on"]))
    return doc


def demonstration_notice(selection: Record, station: Record) -> Document:
    """示范驿站遴选通知 (Art 9, R9.1): confirmed by the HR bureau and the organisation
    department, with the construction subsidy."""
    name, plaque = station["name"], station["plaque_number"]
    subsidy = selection["proposed_subsidy"]
    doc = Document(f"关于确定“{name}”为威海市示范高层次人才驿站的通知", plaque,
                   f"示范驿站通知_demonstration_{plaque}.pdf")
    doc.masthead(ORG_DEPARTMENT, HRSS)
    doc.heading(doc.title)
    doc.line(f"{station['host_unit_name']}：")
    doc.paragraph(
        f"根据{MEASURES}第九条，依据驿站评估结果，经市委组织部、市人力资源和社会保障局共同"
        f"研究，确定你单位依托建设的“{name}”（牌匾编号：{plaque}）为威海市示范高层次人才驿站，"
        f"给予示范驿站建设补贴{yuan(subsidy)}（{yuan_in_capitals(subsidy)}），"
        "从市人才工作专项资金中列支，专项用于驿站基础建设及政策咨询、联谊交流、学术探讨、"
        "创意实践、技术分享、项目路演、合作洽谈等活动。")
    if selection["provincial"]:
        reference = selection["provincial_reference"] or ""
        doc.paragraph(f"同时推荐申报省级示范驿站{('（' + reference + '）') if reference else ''}。")
    doc.paragraph("请你单位严格按规定使用补贴资金，接受财政、审计和主管部门的监督检查。")
    doc.signature([ORG_DEPARTMENT, HRSS], chinese_date(selection["confirmed_on"]))
    return doc


def _category(code: str) -> str:
    return ART9_CATEGORIES[code][1] if code in ART9_CATEGORIES else code


def grant_statement(grant: Record, expenditures: Sequence[Record]) -> Document:
    """资金对账单 (Arts 9, 13, 14): a grant's approval, tranches, reported spending,
    repayments and balances, as of today (Asia/Shanghai)."""
    number = grant["decision_document"] or grant["grant_id"]
    today = today_in_shanghai()
    station = grant["station_name"] or grant["station_id"]
    doc = Document(f"“{station}”补助资金对账单", number,
                   f"对账单_statement_{station}_{today.isoformat()}.pdf")
    doc.heading("高层次人才驿站补助资金对账单")
    doc.line(f"批准文号：{number}　　截止日期：{chinese_date(today)}", align=TA_CENTER, size=12)
    doc.space(3 * mm)
    amount = grant["amount"] or grant["proposed_amount"]
    doc.table(("项目", "内容"), [
        ("驿站名称", station),
        ("所在区市", district_name(grant["district"])),
        ("资金类别", GRANT_KINDS_ZH.get(grant["kind"], grant["kind"])),
        ("资金来源", f"{district_name(grant['owner'])}财政资金"),
        ("状态", GRANT_STATUSES_ZH.get(grant["status"], grant["status"])),
        ("批准金额", f"{yuan(amount)}（{yuan_in_capitals(amount)}）" if amount else "—"),
        ("批准日期", chinese_date(grant["decided_at"]) if grant["decided_at"] else "—"),
    ], (0.25, 0.75), size=12)
    doc.line("一、资金拨付", size=14)
    paid = grant.get("disbursements") or []
    doc.table(("批次", "拨付日期", "支付凭证号", "金额"),
              [(f"第{d['tranche']}批", chinese_date(d["paid_on"]), d["payment_reference"],
                yuan(d["amount"])) for d in paid] or [("—", "—", "—", "—")],
              (0.15, 0.25, 0.35, 0.25))
    doc.line("二、资金使用", size=14)
    doc.table(("支出日期", "支出类别", "用途", "金额", "审核状态"),
              [(chinese_date(e["spent_on"]), _category(e["category"]), e["description"],
                yuan(e["amount"]), EXPENDITURE_STATUSES_ZH.get(e["status"], e["status"]))
               for e in expenditures] or [("—", "—", "—", "—", "—")],
              (0.2, 0.18, 0.3, 0.17, 0.15))
    repaid = grant.get("repayments") or []
    if repaid:
        doc.line("三、资金收回", size=14)
        doc.table(("缴回日期", "凭证号", "金额"),
                  [(chinese_date(r["paid_on"]), r["payment_reference"], yuan(r["amount"]))
                   for r in repaid], (0.3, 0.4, 0.3))
    balances = grant["balances"]
    doc.line(f"{'四' if repaid else '三'}、资金余额", size=14)
    doc.table(("已批准未拨付", "已拨付", "已使用", "已拨付未使用", "应收回"),
              [tuple(yuan(balances[k]) for k in
                     ("committed", "disbursed", "spent", "unspent", "receivable"))],
              (0.2, 0.2, 0.2, 0.2, 0.2))
    doc.signature([organ_of(grant["owner"])], chinese_date(today))
    return doc
