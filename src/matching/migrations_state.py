"""Where the database stands against the code's migrations."""

from dataclasses import dataclass
from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError


@dataclass(frozen=True, slots=True)
class MigrationState:
    """Database reachability and revision against head."""

    database: str
    revision: str | None
    head: str | None

    @property
    def current(self) -> bool:
        """Reachable and at head."""
        return self.database == "ok"


def alembic_config(migrations_dir: Path, database_url: str | None = None) -> Config:
    """An Alembic config pointing at the project's migrations."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    if database_url:
        config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def migration_state(engine: Engine, migrations_dir: Path) -> MigrationState:
    """Ask the database for its revision and compare with the code's head."""
    head = ScriptDirectory.from_config(alembic_config(migrations_dir)).get_current_head()
    try:
        with engine.connect() as connection:
            revision = MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError:
        return MigrationState(database="unreachable", revision=None, head=head)
    return MigrationState(
        database="ok" if revision == head else "behind", revision=revision, head=head
    )
