# makeready: one image for the API (`makeready serve`) and the workers (`makeready worker`).
FROM python:3.11-slim

# libgl/libglu are what OpenCascade (STEP via OCP) and Embree wheels load at run time;
# procps gives pgrep for the worker's health check.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgl1 libglu1-mesa libgomp1 procps \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md LICENSE ./
COPY src ./src
RUN pip install --no-cache-dir . \
 && useradd --create-home --uid 10001 makeready

USER makeready
ENV MAKEREADY_HOST=0.0.0.0 \
    MAKEREADY_PORT=8000 \
    MAKEREADY_DATA_DIR=/home/makeready/data \
    PYTHONUNBUFFERED=1
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status != 200)"
CMD ["makeready", "serve"]
