# syntax=docker/dockerfile:1.7
# The Strongroom image: the operator (`strongroom operator`) and the in-pod agent
# (`strongroom agent backup|verify|restore`) with the database client tools they drive.
#
# Versions (see docs/install.md):
#   Python 3.11 on Debian 12 (bookworm), slim.
#   pg_dump/pg_restore/psql from the PostgreSQL project's apt repository (PGDG), major PG_MAJOR:
#     a pg_dump can dump servers of its own and older majors (back to 9.2), never newer, so the
#     image carries the newest major. Override with --build-arg PG_MAJOR=<n>.
#   mariadb-dump/mariadb from Debian bookworm (MariaDB 10.11 client); it dumps MariaDB 10.x/11.x
#     and MySQL 5.7/8.0 servers.
#   zstd from Debian; coreutils' stdbuf (Debian's essential set, in the base image) gives the
#     dump tools a 1 MiB stdout buffer (docs/engines.md).
#
# The runtime runs as uid/gid 65532 and writes nothing outside /tmp, so it works with
# readOnlyRootFilesystem: true and an emptyDir at /tmp (the chart and the Job builder do both).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- builder: a wheel from pyproject.toml, installed with the pinned constraints into a venv ---
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY operator ./operator
COPY crds ./crds
RUN python -m venv /opt/strongroom \
 && /opt/strongroom/bin/pip install --upgrade pip \
 && /opt/strongroom/bin/pip wheel --no-deps --wheel-dir /wheels . \
 && /opt/strongroom/bin/pip install --constraint constraints.txt /wheels/strongroom-*.whl \
 && /opt/strongroom/bin/python -m compileall -q /opt/strongroom \
 && /opt/strongroom/bin/strongroom --version

# --- runtime ---
FROM ${PYTHON_IMAGE} AS runtime
ARG PG_MAJOR=18
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="strongroom" \
      org.opencontainers.image.description="Kubernetes operator and agent for encrypted, verified database backups" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/strongroom/strongroom" \
      org.opencontainers.image.documentation="https://github.com/strongroom/strongroom/blob/main/docs/install.md" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      dev.strongroom.postgresql-client-major="${PG_MAJOR}"

# Client tools. The PGDG key is fetched over HTTPS and pinned to its fingerprint before use;
# curl and gnupg leave the image again in the same layer.
RUN set -eux; \
    export DEBIAN_FRONTEND=noninteractive; \
    apt-get update; \
    apt-get install -y --no-install-recommends ca-certificates curl gnupg; \
    curl -fsSL https://www.postgresql.org/media/keys/ACCC4CF8.asc -o /tmp/pgdg.asc; \
    gpg --batch --show-keys --with-colons /tmp/pgdg.asc | grep -q '^fpr:::::::::B97B0AFCAA1A47F044F244A07FCC7D46ACCC4CF8:$'; \
    gpg --batch --dearmor -o /usr/share/keyrings/pgdg.gpg /tmp/pgdg.asc; \
    rm /tmp/pgdg.asc; \
    echo "deb [signed-by=/usr/share/keyrings/pgdg.gpg] https://apt.postgresql.org/pub/repos/apt bookworm-pgdg main" \
      > /etc/apt/sources.list.d/pgdg.list; \
    apt-get update; \
    apt-get install -y --no-install-recommends "postgresql-client-${PG_MAJOR}" mariadb-client zstd; \
    apt-get purge -y --auto-remove curl gnupg; \
    rm -rf /var/lib/apt/lists/* /root/.gnupg; \
    pg_dump --version; mariadb-dump --version; zstd --version

RUN groupadd --gid 65532 strongroom \
 && useradd --uid 65532 --gid 65532 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin strongroom

COPY --from=builder /opt/strongroom /opt/strongroom

# Read-only root: no bytecode writes, caches and HOME under /tmp (an emptyDir in the pod).
ENV PATH=/opt/strongroom/bin:/usr/lib/postgresql/${PG_MAJOR}/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    TMPDIR=/tmp \
    XDG_CACHE_HOME=/tmp/.cache

USER 65532:65532
WORKDIR /tmp
EXPOSE 9090
ENTRYPOINT ["strongroom"]
CMD ["--help"]
