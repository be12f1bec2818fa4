"""Names of the API's codes (station types, host categories, statuses, roles), translatable."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ROLES = {
    "city_hr": _l("市人社局"),
    "talent_office": _l("市人才办"),
    "org_department": _l("市委组织部"),
    "district_hr": _l("区市人社部门"),
    "host_unit": _l("依托单位"),
    "reviewer": _l("评审专家"),
    "enterprise": _l("用人单位"),
    "expert": _l("专家"),
    "auditor": _l("审计"),
    "admin": _l("系统管理员"),
}

STATION_TYPES = {
    "innovation": _l("创新型"),
    "entrepreneurship": _l("创业型"),
    "service": _l("服务型"),
    "comprehensive": _l("综合型"),
}

# Art 5: which host categories may host which station type (R5.2); shown as guidance, the
# API decides and its refusal is shown beside the field.
HOST_CATEGORIES = {
    "university": _l("高等院校"),
    "research_institute": _l("科研机构"),
    "key_enterprise": _l("产业集群重点企业"),
    "industrial_park": _l("产业园区"),
    "maker_space": _l("众创空间"),
    "incubator": _l("孵化器"),
    "entrepreneurship_base": _l("双创基地"),
    "maker_street": _l("创客大街"),
    "industry_association": _l("行业协会"),
    "tech_intermediary": _l("技术中介服务机构"),
    "talent_apartment": _l("人才公寓"),
    "leisure_venue": _l("主题休闲场所"),
    "talent_service_agency": _l("人才服务机构"),
    "hr_intermediary": _l("人力资源中介机构"),
}
HOSTS_OF_TYPE = {
    "innovation": ("university", "research_institute", "key_enterprise", "industrial_park"),
    "entrepreneurship": ("maker_space", "incubator", "entrepreneurship_base", "maker_street"),
    "service": ("industry_association", "tech_intermediary", "talent_apartment",
                "leisure_venue"),
    "comprehensive": ("talent_service_agency", "hr_intermediary"),
}

# Art 6: the four conditions (R6.1).
CONDITIONS = {
    "commitment": _l("依托单位重视人才工作，具备场地设施并承担建设运营经费"),
    "environment": _l("周边产业集聚，具备创新研发能力和技术、项目、成果转化、咨询培训等需求"),
    "experts": _l("已联系或合作一批专家人才，定期开展交流活动"),
    "management": _l("有管理制度、管理机构、服务体系和工作人员"),
}

FUNCTIONS = {
    "exchange_matchmaking": _l("交流对接的纽带"),
    "flexible_recruitment": _l("柔性引才的平台"),
    "consulting_window": _l("咨询服务的阵地"),
    "leisure_health": _l("休闲保健的基地"),
    "commercialisation": _l("成果转化的桥梁"),
    "social_space": _l("人才联谊的空间"),
}

# Art 5: the functions each station type offers (R5.3); a comprehensive station combines them.
TYPE_FUNCTIONS = {
    "innovation": {"innovation_forum": _l("创新论坛"), "academic_discussion": _l("学术探讨"),
                   "creative_practice": _l("创意实践"), "technology_sharing": _l("技术分享")},
    "entrepreneurship": {
        "entrepreneurship_training": _l("创业培训"), "project_roadshow": _l("项目路演"),
        "venture_evaluation": _l("创投评估"), "product_promotion": _l("产品推介"),
        "cooperation_negotiation": _l("合作洽谈")},
    "service": {"talent_information": _l("人才信息发布"), "policy_consulting": _l("政策咨询"),
                "career_consulting": _l("就业创业咨询"), "training_exchange": _l("培训交流"),
                "leisure_health": _l("休闲保健"), "temporary_lodging": _l("临时住宿"),
                "approval_agency": _l("代办各项审批手续")},
}
TYPE_FUNCTIONS["comprehensive"] = {k: v for functions in list(TYPE_FUNCTIONS.values())
                                   for k, v in functions.items()}

STATUSES = {
    "draft": _l("草稿"),
    "submitted": _l("待区市审核"),
    "returned": _l("退回修改"),
    "at_city": _l("待市级评审"),
    "under_review": _l("专家评审中"),
    "shortlisted": _l("拟入选"),
    "not_selected": _l("未入选"),
    "in_notice": _l("公示中"),
    "withdrawn": _l("公示异议成立"),
    "awaiting_approval": _l("待人才办审批"),
    "approved": _l("已认定"),
    "declined": _l("不予认定"),
    "rejected": _l("不予推荐"),
    "active": _l("运行中"),
    "rectifying": _l("整改中"),
    "revoked": _l("已撤销"),
    "open": _l("公示中"),
    "closed": _l("已结束"),
    "pending": _l("待处理"),
    "upheld": _l("异议成立"),
    "dismissed": _l("异议不成立"),
}


# The organisation a person registered with (POST /registrations), as staff read it.
ORGANISATION_FIELDS = {
    "name": _l("单位全称"),
    "credit_code": _l("统一社会信用代码"),
    "category": _l("单位类别"),
    "city_level": _l("市直单位"),
    "contact_name": _l("联系人"),
    "contact_phone": _l("联系电话"),
    "address": _l("地址"),
    "employer": _l("工作单位"),
}


def organisation_value(key: str, value: object) -> str:
    """A registered organisation's value as staff read it: names for codes, 是/否 for flags."""
    if isinstance(value, bool):
        return str(_l("是") if value else _l("否"))
    if key == "category":
        return label(HOST_CATEGORIES, str(value))
    return "" if value is None else str(value)


def label(table: dict, code: str | None) -> str:
    """The translated name of a code, or the code itself when the table does not know it."""
    if code is None:
        return ""
    return str(table.get(code, code))

# What a history entry did (applications and stations); an unknown action shows its code.
ACTIONS = {
    "create": _l("创建申报"),
    "submit_to_district": _l("提交区市审核"),
    "submit_to_city": _l("提交市级评审"),
    "recommend": _l("区市推荐"),
    "return": _l("退回修改"),
    "reject": _l("不予推荐"),
    "form_panel": _l("组建评审专家组"),
    "extend_panel": _l("补充评审专家"),
    "decline_assignment": _l("专家声明回避"),
    "shortlist": _l("列入拟认定名单"),
    "not_select": _l("未入选"),
    "publish": _l("公示"),
    "uphold_objection": _l("异议成立"),
    "close_notice": _l("公示结束"),
    "approve": _l("认定"),
    "decline": _l("不予认定"),
    "city_approved": _l("市级认定"),
    "city_rejected": _l("市级不予认定"),
    "rectify": _l("限期整改"),
    "revoke": _l("撤销"),
    "reinstate": _l("恢复"),
}
