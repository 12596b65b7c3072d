# The triage image: `triage serve` by default; the same image runs `worker`, `beat`,
# `db upgrade` and (with --entrypoint python) `-m training.train`. See deploy/README.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    TOKENIZERS_PARALLELISM=false \
    TRIAGE_DATA_DIR=/data

# An unprivileged user with a home (libraries keep small caches there) and the data dir,
# owned by it so that a fresh named volume mounted on /data inherits the ownership.
RUN groupadd --system --gid 10001 triage \
 && useradd --system --uid 10001 --gid triage --home-dir /home/triage --create-home \
      --shell /usr/sbin/nologin triage \
 && mkdir -p /data \
 && chown triage:triage /data

# torch first, from the CPU index: an unpinned or PyPI torch pulls a multi-GB CUDA build.
# constraints.txt pins torch==2.13.0 too, which the installed 2.13.0+cpu satisfies.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0

WORKDIR /src

# Dependencies in their own layer (rebuilt only when pyproject.toml or constraints.txt
# change): install the project with empty package stubs, then drop the stub.
COPY pyproject.toml README.md constraints.txt ./
RUN mkdir -p triage training model_registry \
 && touch triage/__init__.py training/__init__.py model_registry/__init__.py \
 && pip install -c constraints.txt . \
 && pip uninstall -y triage \
 && rm -rf triage training model_registry build *.egg-info

# The project itself (dependencies are already satisfied, so this only installs triage).
COPY triage ./triage
COPY training ./training
COPY model_registry ./model_registry
RUN pip install -c constraints.txt . \
 && rm -rf /src/build /src/*.egg-info

USER triage
WORKDIR /data
EXPOSE 8000

# Liveness of `triage serve` on its default port; the compose file gives worker and beat
# a probe of their own.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

ENTRYPOINT ["triage"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
