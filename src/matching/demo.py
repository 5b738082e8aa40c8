"""A little demo data set in a real place: 沅江市 (430981, 湖南益阳) and its towns, with partner
posts pushed in from Guangdong and Zhejiang agencies. Loaded only into an empty database."""

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from matching.agencies.models import Agency
from matching.auth import service as keys
from matching.auth.models import ApiKey, Role
from matching.database import utcnow

DEMO_KEY_NAME = "demo admin (development)"


def load_demo(session: Session) -> tuple[str, str]:
    """Load the demo set if the database is empty; always mint a fresh demo admin key."""
    summary = "database not empty: demo data left as it is"
    if session.scalar(select(Agency.id).limit(1)) is None:
        summary = _load(session)
    # Only hashes are stored, so a key can be shown only when minted: replace the previous one.
    session.execute(
        update(ApiKey)
        .where(ApiKey.name == DEMO_KEY_NAME, ApiKey.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    _, secret = keys.create_key(session, name=DEMO_KEY_NAME, role=Role.admin)
    return summary, secret


def _load(session: Session) -> str:
    agencies = [
        Agency(name="广东省东莞市人力资源服务中心（演示）", province_code="44"),
        Agency(name="浙江省湖州市吴兴区人力资源服务中心（演示）", province_code="33"),
    ]
    session.add_all(agencies)
    session.flush()
    return f"demo data loaded: {len(agencies)} agencies"
