"""Official documents as PDF (公示, 批复, 证书, 评估结果通知, 整改通知, 示范驿站通知,
资金对账单): composed from the records the services answer, rendered on A4 with the CJK
font embedded (``layout``); the routes are in ``gateway.documents_routes``."""

from gateway.documents.layout import Document, FontUnavailable
from gateway.documents.official import (
    approval,
    certificate,
    demonstration_notice,
    evaluation_result,
    grant_statement,
    public_notice,
    rectification_notice,
)

__all__ = ["Document", "FontUnavailable", "approval", "certificate", "demonstration_notice",
           "evaluation_result", "grant_statement", "public_notice", "rectification_notice"]
