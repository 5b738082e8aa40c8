"""A working example for every request body in the OpenAPI document (README, "A clerk's day").

Swagger UI fills "Try it out" with these, so each is a request a clerk or a partner would send:
Chinese names, real 沅江市 township codes, synthetic ID numbers whose check digit, sex (the 17th
digit) and birth date agree. They are written for the demo data (`matching demo`) on a day in
November 2026 and, taken in this order, build on one another: the push they record an event on
is the one the push example makes. `tests/foundation/test_examples.py` sends every one, in this
order, to a fresh demo database and expects a 2xx, or the documented conflict when it is sent
again.
"""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class RequestExample:
    """One operation's example: what it does, the role whose key sends it, its path values."""

    summary: str
    role: str
    value: dict[str, Any] | None
    path: dict[str, str | int] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    # Sent a second time, the example answers this conflict instead of a 2xx (None: it works
    # again, e.g. an upsert or a change to the same value).
    again: int | None = None

    @property
    def description(self) -> str:
        """The note under the example in Swagger UI."""
        return (
            f"Sent with a {self.role} key against the demo data / 使用{_ROLE_WORDS[self.role]}密钥"
        )


_ROLE_WORDS = {"admin": "管理员", "staff": "工作人员", "agency": "合作机构", "app": "移动应用"}

# ID numbers of the examples (synthetic: they belong to nobody). 430981 沅江市, born 1988-07-16,
# 17th digit 1 (odd: male), check digit 7.
NEW_LABOURER_ID = "430981198807160317"

EXAMPLES: dict[str, RequestExample] = {
    "create_agency": RequestExample(
        "A partner province's HR agency / 登记合作机构",
        "admin",
        {
            "name": "广东省佛山市南海区人力资源服务中心",
            "province_code": "44",
            "callback_url": "https://hr.nanhai.example.cn/matching/notices",
        },
        again=409,
    ),
    "update_agency": RequestExample(
        "The Dongguan agency's own contact and callback / 合作机构更新联系人与回调地址",
        "agency",
        {
            "contact_name": "黄志强",
            "contact_phone": "0769-22831234",
            "contact_email": "jobs@hr.dongguan.example.cn",
            "callback_url": "https://hr.dongguan.example.cn/matching/notices",
            "webhook_events": ["push.created", "push.applied", "push.hired", "post.filled"],
        },
        path={"agency_id": 1},
    ),
    "issue_webhook_secret": RequestExample(
        "A new signing secret; the old one signs beside it for a day / 更换回调签名密钥",
        "agency",
        {"overlap_hours": 24},
        path={"agency_id": 1},
    ),
    "create_api_key": RequestExample(
        "A key for a township station's clerk / 为街道工作站办理密钥",
        "admin",
        {
            "name": "琼湖街道劳动保障站 王敏",
            "role": "staff",
            "region_scopes": ["430981006"],
            "expires_on": "2027-12-31",
        },
    ),
    "create_labourer": RequestExample(
        "Register a labourer of 琼湖街道 / 登记贫困劳动力",
        "staff",
        {
            "name": "刘建军",
            "id_number": NEW_LABOURER_ID,
            "phone": "13907371234",
            "hukou_region": "430981006",
            "household_id": "430981006-0031",
            "poverty_status": "registered",
            "labour_ability": "full",
            "wants_work": True,
            "relocation": "province",
            "education": "junior",
            "expected_wage": 4500,
            "preferred_occupations": ["电焊工"],
            "skills": [{"term": "电焊", "level": "junior", "certificate": "特种作业操作证"}],
            "employment_status": "unemployed",
            "status_effective_from": "2026-11-02",
        },
        again=409,
    ),
    "update_labourer": RequestExample(
        "A new phone and a wider area for 吴建国 / 修改联系电话和外出意愿",
        "staff",
        {"phone": "13907375678", "relocation": "anywhere", "expected_wage": 5000},
        path={"labourer_id": 4},
    ),
    "merge_labourers": RequestExample(
        "林春生 was registered twice: keep the record with his ID number / 合并重复登记",
        "staff",
        {"duplicate_id": 105},
        path={"labourer_id": 7},
        again=409,
    ),
    "create_post": RequestExample(
        "A local enterprise's vacancy in 南大膳镇 / 发布本地岗位",
        "staff",
        {
            "employer": "沅江市南大膳镇某食品有限公司",
            "title": "包装工",
            "post_type": "enterprise",
            "occupation": "包装工",
            "workplace_region": "430981100",
            "openings": 10,
            "wage_min": 2800,
            "wage_max": 3600,
            "meals": True,
            "age_min": 18,
            "age_max": 55,
            "contact_phone": "0737-2721234",
            "valid_until": "2027-06-30",
            "required_skills": [{"term": "包装"}],
            "description": "食品包装流水线，长白班，包午餐",
        },
    ),
    "update_post": RequestExample(
        "Two more openings and a higher wage / 增加招聘人数并提高工资",
        "staff",
        {"openings": 10, "wage_max": 6500},
        path={"post_id": 5},
    ),
    "upsert_posts_batch": RequestExample(
        "A partner agency's posts, keyed by its own ids / 合作机构批量推送岗位",
        "agency",
        {
            "items": [
                {
                    "external_id": "44-NH-2026-0012",
                    "employer": "佛山市南海区某电子有限公司",
                    "title": "电子装配工",
                    "occupation": "电子装配工",
                    "workplace_region": "440605",
                    "openings": 30,
                    "wage_min": 4800,
                    "wage_max": 6500,
                    "housing": True,
                    "meals": True,
                    "age_min": 18,
                    "age_max": 45,
                    "valid_until": "2027-03-31",
                    "required_skills": [{"term": "电子装配"}],
                }
            ]
        },
    ),
    "create_pushes": RequestExample(
        "Push the 电焊工 post to two people seeking work / 推送岗位",
        "staff",
        {"post_ids": [5], "labourer_ids": [4, 6], "channel": "sms", "note": "十一月第三周推送"},
    ),
    "record_push_event": RequestExample(
        "The labourer has read the push / 记录推送结果：已查看",
        "staff",
        {"state": "viewed", "note": "电话回访：已看到短信"},
        path={"push_id": 1},
    ),
    "change_labourer_status": RequestExample(
        "于小军 found work in the county / 变更就业状态",
        "staff",
        {"status": "employed_local", "effective_from": "2026-11-16", "note": "县内务工"},
        path={"labourer_id": 6},
    ),
    "create_employment": RequestExample(
        "于小军's job at a poverty-alleviation workshop / 登记就业",
        "staff",
        {
            "employer": "沅江市琼湖街道某服装扶贫车间",
            "workplace_region": "430981006",
            "start_date": "2026-11-16",
            "monthly_wage": 3200,
            "in_organisation": True,
            "note": "车间缝纫工",
        },
        path={"labourer_id": 6},
    ),
    "end_employment": RequestExample(
        "The seasonal job has ended / 登记离职",
        "staff",
        {"end_date": "2026-11-19", "note": "季节性用工结束"},
        path={"employment_id": 1},
        again=409,
    ),
    "create_service_record": RequestExample(
        "Career guidance by phone / 登记职业指导服务",
        "staff",
        {"kind": "guidance", "provided_on": "2026-11-18", "note": "电话职业指导"},
        path={"labourer_id": 4},
    ),
    "set_targets": RequestExample(
        "沅江市's targets for 2026 / 设定年度目标",
        "admin",
        {
            "push_ratio": 0.5,
            "success_rate": 0.15,
            "willing_employment": 0.95,
            "services_311": 1.0,
            "workshops": 12,
            "bases": 3,
        },
        path={"region": "430981", "year": 2026},
    ),
    "build_targets_workbook": RequestExample(
        "沅江市's workbook of the month, built as a job / 生成本月任务完成情况工作簿",
        "staff",
        {"region": "430981"},
    ),
    "create_plan": RequestExample(
        "This month's pushes for 沅江市 / 生成本月推送计划",
        "staff",
        {"region": "430981", "channel": "app", "success_margin": 0.02},
    ),
    "enrol_in_app": RequestExample(
        "冯冬梅 links her app account / 移动应用绑定劳动力",
        "app",
        {"id_number": "430981200109302453", "phone": "13937554921"},
    ),
    "import_roster": RequestExample(
        "Check the roster template (dry run) / 试导入花名册模板",
        "staff",
        None,  # a file: the template from GET /v1/labourers/import/template
        query={"dry_run": "true", "mode": "update"},
    ),
    "create_exchange": RequestExample(
        "沅江市's seeker list to the Dongguan agency / 向东莞发送求职清单",
        "staff",
        {"region": "430981", "agency_id": 1, "title": "沅江市赴粤求职清单（12月）"},
    ),
    "answer_exchange": RequestExample(
        "Dongguan answers line 1 with a post / 东莞提供岗位供给清单",
        "agency",
        {
            "items": [
                {
                    "external_id": "44-DG-2026-EX-001",
                    "exchange_line": 1,
                    "employer": "东莞市某精密制造有限公司",
                    "title": "电子装配工",
                    "occupation": "电子装配工",
                    "workplace_region": "441900",
                    "openings": 20,
                    "wage_min": 4800,
                    "wage_max": 6200,
                    "housing": True,
                    "meals": True,
                }
            ]
        },
        path={"exchange_id": 1},
    ),
    "plan_exchange": RequestExample(
        "Match the list with the posts offered / 按清单匹配岗位",
        "staff",
        {"channel": "app", "pushes_per_labourer": 2},
        path={"exchange_id": 1},
    ),
    "suspend_agency": RequestExample(
        "Suspend the Huzhou agency while its posts are checked / 暂停合作机构",
        "admin",
        {"reason": "岗位信息与实际不符，核查期间暂停 / posts under review"},
        path={"agency_id": 2},
        again=409,
    ),
    "set_township_seat": RequestExample(
        "Place 南大膳镇 at its town government / 设置乡镇驻地坐标",
        "staff",
        {"lat": 28.85, "lon": 112.45, "note": "镇政府驻地，天地图读取"},
        path={"code": "430981100"},
    ),
    "fit_scoring_weights": RequestExample(
        "Fit Hunan's weights on its outcomes now / 拟合湖南省评分权重",
        "admin",
        {"province": "43"},
    ),
    "set_clock": RequestExample(
        "Move the demo's clock to the first half hour of December / 调整演示时钟",
        "admin",
        {"now": "2026-12-01T00:30:00+08:00"},
    ),
}
