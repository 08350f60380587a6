"""The admin page's words in Chinese (the page is English by default; a browser that
prefers Chinese, or ``?lang=zh_CN``, gets these). The server has no Qt: a plain table."""

from __future__ import annotations

from collections.abc import Callable

ZH_CN = {
    "Ultrasound consult: administration": "超声远程会诊：管理",
    "Password": "密码",
    "Log in": "登录",
    "Log out": "退出登录",
    "Too many failed logins from here; wait a minute.": "此处登录失败次数过多，请稍候一分钟。",
    "Wrong password.": "密码错误。",
    "Enroll a device": "登记设备",
    "Name": "名称",
    "Site": "机构",
    "Enroll": "登记",
    "Devices": "设备",
    "Revoke": "吊销",
    "revoked": "已吊销",
    "enrolled": "已登记",
    "code issued": "已发登记码",
    "id": "编号",
    "kind": "类型",
    "name": "名称",
    "site": "机构",
    "specialties": "专科",
    "state": "状态",
    "station": "扫查端",
    "expert": "专家",
    "trainer": "带教老师",
    "trainee": "学员",
    "Monthly statistics per site": "各机构月度统计",
    "Monthly statistics per expert": "各专家月度统计",
    "month": "月份",
    "consults": "会诊",
    "teaching": "教学",
    "qc": "质控",
    "unanswered": "未接通",
    "sonographers_active": "活跃超声医生",
    "minutes": "分钟",
    "Consult log (last 12 months)": "会诊记录（最近 12 个月）",
    "requested": "申请时间",
    "type": "类型",
    "experts": "专家",
    "trainees": "学员",
    "seconds": "秒",
    "outcome": "结果",
    "recorded": "已录制",
    "yes": "是",
    "Audit log": "审计日志",
    "when (UTC)": "时间（UTC）",
    "from": "来源",
    "action": "操作",
    "detail": "详情",
    "Enrollment code for {kind} {name} (shown once, valid until {until}):": (
        "{kind} {name} 的登记码（只显示一次，有效期至 {until}）："
    ),
    "Not enrolled: {why}": "未登记：{why}",
    "Not found.": "未找到。",
    "Refused": "已拒绝",
    "Cross-site request refused.": "已拒绝跨站请求。",
    "Malformed form.": "表单格式错误。",
    "Stale or forged form.": "表单已过期或被伪造。",
    "No such device.": "没有这台设备。",
    "English": "English",
    "中文": "中文",
}

LANGUAGES = ("en", "zh_CN")


def language_of(query_lang: str | None, cookie_lang: str | None, accept: str) -> str:
    """``?lang=`` first, then the remembered choice, then the browser's preference."""
    for choice in (query_lang, cookie_lang):
        if choice in LANGUAGES:
            return choice
    first = accept.split(",")[0].strip().lower()
    return "zh_CN" if first.startswith("zh") else "en"


def words(lang: str) -> Callable[[str], str]:
    """The page's words in ``lang`` (an unknown word stays English)."""
    if lang == "zh_CN":
        return lambda text: ZH_CN.get(text, text)
    return lambda text: text
