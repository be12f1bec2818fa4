"""Field-level messages (``details.fields``) in Chinese when the client asks for Chinese.

marshmallow, the contracts and the text policy word their field messages in English; the
gateway, which knows the client's language, says each one it knows in Chinese and leaves
any other as it is. One table, for the gateway's own 422s and the services' alike.
"""

from __future__ import annotations

import re
from typing import Any

# English pattern (the whole message) → Chinese, with the pattern's groups filled in.
_CHINESE: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), chinese) for pattern, chinese in (
        (r"Missing data for required field\.", "缺少必填字段。"),
        (r"Unknown field\.", "未知字段。"),
        (r"Field may not be null\.", "不能为空值（null）。"),
        (r"Not a valid string\.", "不是有效的字符串。"),
        (r"Not a valid integer\.", "不是有效的整数。"),
        (r"Not a valid number\.", "不是有效的数字。"),
        (r"Not a valid boolean\.", "不是有效的布尔值。"),
        (r"Not a valid date\.", "不是有效的日期。"),
        (r"Not a valid datetime\.", "不是有效的日期时间。"),
        (r"Not a valid list\.", "不是有效的列表。"),
        (r"Not a valid mapping type\.", "不是有效的对象。"),
        (r"Not a valid tuple\.", "不是有效的元组。"),
        (r"Not a valid email address\.", "不是有效的电子邮件地址。"),
        (r"Not a valid URL\.", "不是有效的网址。"),
        (r"Not a valid UUID\.", "不是有效的 UUID。"),
        (r"Invalid input type\.", "输入类型无效。"),
        (r"Invalid value\.", "值无效。"),
        (r"Not a valid phone number: .*",
         "不是有效的电话号码（手机 1[3-9] 开头共 11 位，或 0区号-号码）。"),
        (r"Not a valid resident identity number: .*", "不是有效的居民身份证号码。"),
        (r"Must be one of: (.*)\.", r"须为以下之一：\1。"),
        (r"Length must be between (\d+) and (\d+)\.", r"长度须在 \1 至 \2 之间。"),
        (r"Shorter than minimum length (\d+)\.", r"长度不得少于 \1。"),
        (r"Longer than maximum length (\d+)\.", r"长度不得超过 \1。"),
        (r"Length must be (\d+)\.", r"长度须为 \1。"),
        (r"Must be greater than or equal to (.+) and less than or equal to (.+)\.",
         r"须大于等于 \1 且小于等于 \2。"),
        (r"Must be greater than or equal to (.+)\.", r"须大于等于 \1。"),
        (r"Must be less than or equal to (.+)\.", r"须小于等于 \1。"),
        (r"String does not match expected pattern\.", "格式不符合要求。"),
        (r"Each value may appear once\.", "每个值只能出现一次。"),
        # The text policy (servicekit.text) and the dates of the measures (contracts.rpc.fields).
        (r"Must not be blank\.", "不能为空。"),
        (r"Must be a single line \(no tab, CR or LF\)\.",
         "须为单行文本（不得含制表符、回车或换行）。"),
        (r"Must not contain the character (U\+[0-9A-F]+) \(control, bidi, BOM or noncharacter\)\.",
         r"不得含有字符 \1（控制字符、双向控制符、BOM 或非字符）。"),
        (r"Must be a day from (\S+) to (\S+)\.", r"须为 \1 至 \2 之间的日期。"),
        # The gateway's JSON bodies (gateway.arguments).
        (r"Invalid JSON body\.", "请求体不是有效的 JSON。"),
        (r"The body is not valid JSON\.", "请求体不是有效的 JSON。"),
        (r"The body is nested more than (\d+) levels deep\.", r"请求体嵌套超过 \1 层。"),
        (r"A number has more than (\d+) digits\.", r"数字超过 \1 位。"),
        (r"A number is out of range\.", "数字超出范围。"),
        (r"(\w+) is not JSON\.", r"\1 不是 JSON 的值。"),
        (r"A string holds a lone surrogate \(not Unicode text\)\.",
         "字符串含有孤立的代理码元（不是有效的 Unicode 文本）。"),
    )
)


def in_chinese(message: str) -> str:
    for pattern, chinese in _CHINESE:
        if pattern.fullmatch(message):
            return pattern.sub(chinese, message)
    return message


def translate(messages: Any) -> Any:
    """``details.fields`` (field → messages, nested by field and index) with each message
    said in Chinese where known."""
    if isinstance(messages, str):
        return in_chinese(messages)
    if isinstance(messages, list):
        return [translate(m) for m in messages]
    if isinstance(messages, dict):
        return {key: translate(value) for key, value in messages.items()}
    return messages
