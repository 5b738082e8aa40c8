"""A little demo data set in a real place: 沅江市 (430981, 湖南益阳) and its towns, from the 2020
task breakdown table, with partner posts pushed in from Guangdong and Zhejiang agencies.
Loaded only into an empty database; deterministic (fixed seed); ID numbers are synthetic."""

import random
from datetime import date, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from matching import clock
from matching.agencies.models import Agency
from matching.auth import service as keys
from matching.auth.models import ApiKey, Role
from matching.auth.principal import Principal
from matching.database import utcnow
from matching.kit.idnumber import id_check_digit
from matching.kit.personal import PersonalData
from matching.labourers import service as labourers
from matching.labourers.models import EmploymentStatus, Labourer, Relocation
from matching.labourers.schemas import LabourerCreate, SkillInput
from matching.posts import service as posts
from matching.posts.schemas import PostCreate
from matching.regions.registry import get_registry
from matching.settings import Settings, get_settings

DEMO_KEY_NAME = "demo admin (development)"
YUANJIANG = "430981"
SURNAMES = "李王张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓"
GIVEN = [
    "建国",
    "秀英",
    "桂兰",
    "志强",
    "海燕",
    "红梅",
    "小军",
    "丽华",
    "国平",
    "春生",
    "冬梅",
    "伟",
]
TRADES = [["电焊"], ["砌墙", "抹灰"], ["叉车证"], ["保洁"], ["月嫂"], ["缝纫"], ["养猪"], ["厨师"],
          ["电工证"], ["采茶"], ["直播带货"], ["快递分拣"], []]  # fmt: skip
LOCAL_POSTS = [
    ("沅江市琼湖街道扶贫车间（服装加工）", "缝纫工", "workshop", ["缝纫"], 2600, 3500, 20),
    ("沅江市草尾镇就业扶贫基地（蔬菜种植）", "蔬菜种植工", "base", ["蔬菜种植"], 2400, 3000, 15),
    ("沅江市林业局", "护林员", "public_welfare", [], 1200, 1500, 10),
    ("沅江市城市管理局", "保洁员", "public_welfare", ["保洁"], 1500, 1800, 12),
    ("益阳某船舶制造有限公司", "电焊工", "enterprise", ["电焊"], 5000, 7000, 8),
    ("沅江市某电商产业园", "直播带货主播", "home_based", ["直播带货"], 3000, 6000, 5),
]
PARTNER_POSTS = {
    "44": [
        ("441900", "东莞市某电子科技有限公司", "电子装配工", ["电子装配"], 4800, 6000, 60),
        ("441900", "东莞市某物流有限公司", "叉车司机", ["叉车证"], 5500, 7000, 10),
        ("440106", "广州某家政服务有限公司", "母婴护理员", ["月嫂"], 6000, 9000, 15),
    ],
    "33": [
        ("330502", "湖州市吴兴区某童装有限公司", "平车工", ["缝纫"], 5000, 7500, 40),
        ("330502", "湖州市某建筑工程有限公司", "钢筋工", ["钢筋工"], 6000, 8000, 20),
    ],
}


def load_demo(session: Session, settings: Settings | None = None) -> tuple[str, str]:
    """Load the demo set if the database is empty; always mint a fresh demo admin key."""
    # Only hashes are stored, so a key can be shown only when minted: replace the previous one.
    session.execute(
        update(ApiKey)
        .where(ApiKey.name == DEMO_KEY_NAME, ApiKey.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    key, secret = keys.create_key(session, name=DEMO_KEY_NAME, role=Role.admin)
    if session.scalar(select(Agency.id).limit(1)) is not None:
        return "database not empty: demo data left as it is", secret
    admin = Principal(key_id=key.id, role=Role.admin)
    summary = _load(session, admin, PersonalData(settings or get_settings()), clock.today())
    return summary, secret


def _load(session: Session, admin: Principal, personal: PersonalData, today: date) -> str:
    rng = random.Random(2020)
    towns = [t.code for t in get_registry().children(YUANJIANG)] or [YUANJIANG]
    drafts = [
        labourers.build_labourer(
            _labourer(rng, town, today), principal=admin, personal=personal, today=today
        )[0]
        for town in towns
        for _ in range(8)
    ]
    ids = labourers.insert_labourers(session, drafts, key_id=admin.key_id)
    # One person registered twice, as happens: 林春生 (id 7) again, by a clerk without his ID
    # card at hand. GET /v1/labourers/duplicates shows the pair; the merge example joins them.
    twin = session.get(Labourer, ids[6])
    assert twin is not None
    assert twin.birth_date is not None
    again = LabourerCreate(
        name=twin.name,
        hukou_region=twin.hukou_region,
        sex=twin.sex,
        birth_date=twin.birth_date,
        household_id=twin.household_id,
        relocation=twin.relocation,
        skills=[SkillInput(term="电焊")],
    )
    labourers.insert_labourers(
        session,
        [labourers.build_labourer(again, principal=admin, personal=personal, today=today)[0]],
        key_id=admin.key_id,
    )
    count = len(ids) + 1
    # Half of them use the mobile app, so the app key has labourers to act for.
    enrolled = ids[::2]
    session.execute(
        update(Labourer).where(Labourer.id.in_(enrolled)).values(app_linked_at=utcnow())
    )
    local = [_local_post(p, rng.choice(towns), today) for p in LOCAL_POSTS]
    for post_body in local:
        posts.create_post(session, post_body, principal=admin, today=today)
    agencies = _partner_posts(session, admin, today)
    session.flush()
    return (
        f"demo data loaded: {count} labourers in {len(towns)} towns of 沅江市 "
        f"({len(enrolled)} enrolled in the app), "
        f"{len(local)} local posts, {agencies} partner posts"
    )


def _labourer(rng: random.Random, town: str, today: date) -> LabourerCreate:
    birth = date(1966, 1, 1) + timedelta(days=rng.randrange(0, 365 * 38))
    first17 = f"{YUANJIANG}{birth:%Y%m%d}{rng.randrange(0, 1000):03d}"
    status = rng.choices(
        [EmploymentStatus.unemployed, EmploymentStatus.employed_local,
         EmploymentStatus.employed_out_province, EmploymentStatus.public_welfare],
        weights=[5, 2, 3, 1],
    )[0]  # fmt: skip
    return LabourerCreate(
        name=rng.choice(SURNAMES) + rng.choice(GIVEN),
        id_number=first17 + id_check_digit(first17),
        phone=f"139{rng.randrange(10**7, 10**8)}",
        hukou_region=town,
        household_id=f"{town}-{rng.randrange(1, 60):04d}",
        relocation=rng.choice(list(Relocation)),
        expected_wage=rng.choice([None, 2500, 3500, 4500, 6000]),
        skills=[SkillInput(term=t) for t in rng.choice(TRADES)],
        sanwu=rng.random() < 0.1,
        employment_status=status,
        status_effective_from=today.replace(day=1) - timedelta(days=rng.randrange(0, 400)),
    )


def _local_post(
    spec: tuple[str, str, str, list[str], int, int, int], town: str, today: date
) -> PostCreate:
    employer, title, kind, skills, low, high, openings = spec
    return PostCreate.model_validate(
        {
            "employer": employer,
            "title": title,
            "post_type": kind,
            "occupation": title,
            "workplace_region": town,
            "openings": openings,
            "wage_min": low,
            "wage_max": high,
            "valid_until": (today + timedelta(days=120)).isoformat(),
            "required_skills": [{"term": s} for s in skills],
        }
    )


def _partner_posts(session: Session, admin: Principal, today: date) -> int:
    names = {
        "44": "广东省东莞市人力资源服务中心（演示）",
        "33": "浙江省湖州市吴兴区人力资源服务中心（演示）",
    }
    count = 0
    for province, specs in PARTNER_POSTS.items():
        agency = Agency(name=names[province], province_code=province)
        session.add(agency)
        session.flush()
        acting = Principal(key_id=admin.key_id, role=Role.agency, agency_id=agency.id)
        for i, (region, employer, title, skills, low, high, openings) in enumerate(specs):
            body = PostCreate.model_validate(
                {
                    "external_id": f"{province}-DEMO-{i + 1:03d}",
                    "employer": employer,
                    "title": title,
                    "occupation": title,
                    "workplace_region": region,
                    "openings": openings,
                    "wage_min": low,
                    "wage_max": high,
                    "housing": True,
                    "meals": True,
                    "age_min": 18,
                    "age_max": 55,
                    "valid_until": (today + timedelta(days=90)).isoformat(),
                    "required_skills": [{"term": s} for s in skills],
                }
            )
            posts.create_post(session, body, principal=acting, today=today)
            count += 1
    return count
