# Production image: slim Python, non-root, dependencies from the pinned set, migrations then uvicorn.
# (No Docker engine on the development machines: this file is kept right by construction.)
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MATCHING_ENVIRONMENT=production \
    MATCHING_MIGRATIONS_DIR=/app/migrations \
    NUMBA_CACHE_DIR=/tmp/numba-cache

WORKDIR /app
RUN groupadd --system matching && useradd --system --gid matching --home /app matching

# Dependencies first (cached layer), constrained to the exact pinned versions.
COPY pyproject.toml requirements.lock README.md ./
COPY src ./src
RUN pip install --constraint requirements.lock . \
    && rm -rf /root/.cache

COPY alembic.ini ./
COPY migrations ./migrations

USER matching
EXPOSE 8000

# MATCHING_DATABASE_URL, MATCHING_DATA_KEY and MATCHING_HASH_KEY must be set at run time:
# the settings refuse placeholder secrets outside development.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"

CMD ["sh", "-c", "matching db upgrade && exec matching serve --host 0.0.0.0 --port 8000 --workers ${MATCHING_WORKERS:-2}"]
