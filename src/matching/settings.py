"""Settings in one place: every value comes from `MATCHING_*` environment variables or `.env`."""

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from matching.scoring.types import ScoringWeights

# Placeholders make a fresh checkout start with no set-up; they are refused outside development.
PLACEHOLDER_DATA_KEY = "development-only-data-key-change-me"
PLACEHOLDER_HASH_KEY = "development-only-hash-key-change-me"
MIN_SECRET_LENGTH = 32

_PROJECT_ROOT = Path(__file__).resolve().parents[2]


class RoleLimits(BaseModel):
    """Requests a minute per API key, by the key's role; 0: no limit for that role. The app
    backend speaks for many labourers through one key, so its budget is the largest."""

    admin: int = Field(1200, ge=0)
    staff: int = Field(600, ge=0)
    agency: int = Field(600, ge=0)
    app: int = Field(6000, ge=0)


class BulkLimits(RoleLimits):
    """Batches, imports, pushes, plans and workbooks a minute per API key, by role."""

    admin: int = Field(60, ge=0)
    staff: int = Field(30, ge=0)
    agency: int = Field(60, ge=0)
    app: int = Field(30, ge=0)


class Settings(BaseSettings):
    """Service configuration."""

    model_config = SettingsConfigDict(
        env_prefix="MATCHING_",
        env_file=".env",
        env_file_encoding="utf-8",
        env_nested_delimiter="__",
        extra="ignore",
    )

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = Field(
        "sqlite:///./matching.db",
        description="SQLAlchemy URL; SQLite file by default, postgresql+psycopg:// in production.",
    )
    data_key: SecretStr = Field(
        SecretStr(PLACEHOLDER_DATA_KEY), description="Secret that encrypts personal data."
    )
    old_data_keys: list[SecretStr] = Field(
        default_factory=list, description="Earlier data keys, still accepted for decryption."
    )
    hash_key: SecretStr = Field(
        SecretStr(PLACEHOLDER_HASH_KEY), description="Secret for keyed hashes of ID numbers."
    )
    max_body_bytes: int = Field(
        20 * 1024 * 1024, gt=0, description="Largest request body accepted (413 beyond)."
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Browser origins allowed to call the API (CORS), e.g. "
        '["https://app.example.cn"]; empty: no cross-origin browser calls.',
    )
    # Per-key budgets (ratelimit.py), e.g. MATCHING_RATE_LIMITS__STAFF=300.
    rate_limits: RoleLimits = Field(
        default_factory=RoleLimits,
        description="Requests a minute per key, by role (429 with Retry-After beyond).",
    )
    bulk_rate_limits: BulkLimits = Field(
        default_factory=BulkLimits,
        description="Batches, imports, pushes and plans a minute per key, by role, on top.",
    )
    idempotency_ttl_hours: int = Field(48, ge=24)
    log_level: str = "INFO"
    log_json: bool = True
    migrations_dir: Path = _PROJECT_ROOT / "migrations"
    partner_corridors: list[tuple[str, str]] = Field(
        default_factory=lambda: [
            ("32", "61"),  # 江苏 → 陕西
            ("44", "45"),  # 广东 → 广西
            ("33", "51"),  # 浙江 → 四川
            ("44", "43"),  # 广东 → 湖南
            ("33", "43"),  # 浙江 → 湖南
            ("31", "53"),  # 上海 → 云南
            ("44", "53"),  # 广东 → 云南
        ],
        description="Province pairs with a labour-cooperation agreement (either direction).",
    )
    warm_indexes: bool = Field(
        True, description="Build the matching indexes in the background when the service starts."
    )
    index_store: Path | None = Field(
        None,
        description="A directory where the web workers of one host share the labourer index "
        "(one mapped file instead of a copy per worker; docs/architecture.md). `matching serve "
        "--workers N` makes one for its workers when this is not set. One database per "
        "directory.",
    )
    change_counters_max_age_seconds: float = Field(
        0.1,
        ge=0,
        le=10,
        description="How long a web worker's read requests may use the change counters it last "
        "read instead of reading them again (one statement fewer a request). Changes made "
        "elsewhere (another worker, a job, psql) reach its readers at most this late: a revoked "
        "key, a new post. 0: every read request reads them.",
    )
    dask_workers: int = Field(
        default_factory=lambda: min(8, os.cpu_count() or 1),
        ge=1,
        le=64,
        description="Worker processes of the local Dask cluster a large plan starts (default: "
        "the cores; 1: no cluster, plans run in the job's thread). Unused with dask_scheduler.",
    )
    dask_scheduler: str | None = Field(
        None,
        pattern=r"^(tcp|tls)://\S+$",
        description="An existing Dask cluster's scheduler (tcp://host:8786) for plans' heavy "
        "work, instead of a local cluster (docs/compute.md).",
    )
    # The scoring core's own weights (normalised to sum 1); e.g. MATCHING_WEIGHTS__SKILLS=0.4.
    weights: ScoringWeights = Field(default_factory=ScoringWeights)
    attribution_days: int = Field(60, gt=0, description="Days after a push in which a hire counts.")
    decline_cooldown_months: int = Field(
        3,
        ge=0,
        le=24,
        description="Months a declined, rejected or unanswered pair is not "
        "proposed again (counting the month it was pushed).",
    )
    taste_memory_months: int = Field(
        12,
        ge=1,
        le=36,
        description="Months a labourer's answers (declines, applications, silences) count toward "
        "their taste and whether they answer at all (counting the month of the push).",
    )
    signal_days: int = Field(
        14,
        gt=0,
        description="Days after a push by which a labourer has applied or not "
        "(the early signal the planner's calibration learns from).",
    )
    plan_ahead_days: int = Field(
        7,
        ge=0,
        le=31,
        description="In the last this many days of a month, next month's plan may be made.",
    )
    planner_learning: bool = Field(
        True,
        description="Plans learn from outcomes: calibration on early signals and "
        "outcomes, refused pairs left out, taste from refusals and applications. Off: the "
        "documented prior and no feedback (a baseline to measure what learning gives).",
    )
    learned_weights: bool = Field(
        True,
        description="With planner_learning: fit each province's component weights on its "
        "outcomes once a month and use them where they beat the settings' weights on held-out "
        'pushes (docs/scoring.md, "Learned weights"). Off: the settings\' weights everywhere.',
    )

    webhook_delivery: bool = Field(
        True,
        description="Deliver the agencies' outcome notices from this process (a background "
        "thread); off where another process does (`matching webhooks deliver`).",
    )
    job_slots: int = Field(
        1,
        ge=0,
        le=16,
        description="Jobs (plans, commits, imports) this process runs at once; "
        "0: it only queues them, for another service process (with slots) to run.",
    )
    job_heartbeat_seconds: float = Field(
        2.0, gt=0, le=60, description="How often a running job writes its progress and heartbeat."
    )
    job_stale_seconds: float = Field(
        60.0,
        gt=0,
        le=3600,
        description="A running job whose heartbeat is older than this is failed as dead "
        "(on the same host a dead process is seen at once).",
    )
    job_pause_at: str | None = Field(
        None,
        max_length=40,
        description="Fault tests only: a job holds `job_pause_seconds` in this stage after its "
        "first step (to be killed there).",
    )
    job_pause_seconds: float = Field(0.0, ge=0, le=600, description="See job_pause_at.")
    webhook_poll_seconds: float = Field(1.0, gt=0, le=60, description="Outbox poll interval.")
    webhook_timeout_seconds: float = Field(
        10.0, gt=0, le=60, description="Per-request timeout of a notice's delivery."
    )
    webhook_lease_seconds: float = Field(
        60.0,
        gt=0,
        description="How long a notice being sent is its worker's; a worker that died lets "
        "it go after this (then it is sent again, same webhook-id).",
    )
    webhook_first_retry_seconds: float = Field(
        5.0, gt=0, description="Delay of the first retry; each next one is 4 times longer."
    )
    clock_control: bool = Field(
        True,
        description="Allow PUT /v1/clock (a fixed, movable service clock for drills and "
        "simulations); always off in production.",
    )

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> "Settings":
        """Outside development, secrets must be real: set and long enough."""
        if self.environment == "development":
            return self
        for name, placeholder in (
            ("data_key", PLACEHOLDER_DATA_KEY),
            ("hash_key", PLACEHOLDER_HASH_KEY),
        ):
            value = getattr(self, name).get_secret_value()
            if value == placeholder or len(value) < MIN_SECRET_LENGTH:
                raise ValueError(
                    f"MATCHING_{name.upper()} must be set to a secret of at least "
                    f"{MIN_SECRET_LENGTH} characters outside development"
                )
        if self.data_key.get_secret_value() == self.hash_key.get_secret_value():
            raise ValueError("MATCHING_DATA_KEY and MATCHING_HASH_KEY must differ")
        return self

    @property
    def uses_learned_weights(self) -> bool:
        """Whether provinces' learned weights are used at all (both settings on)."""
        return self.planner_learning and self.learned_weights

    @property
    def is_sqlite(self) -> bool:
        """True when the database is the embedded SQLite file."""
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once."""
    return Settings()
