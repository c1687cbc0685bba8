# Production image: the web app (gunicorn), the Celery worker and beat share it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    TOKENIZERS_PARALLELISM=false \
    DJANGO_SETTINGS_MODULE=questionbank.settings.production

# The CPU build of torch; PyPI's default Linux wheel carries CUDA (several GB).
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir --extra-index-url "$TORCH_INDEX_URL" -r requirements.txt

COPY . .
RUN DJANGO_SECRET_KEY=collectstatic DATABASE_URL=postgresql://unused/x REDIS_URL=redis://unused \
    python manage.py collectstatic --noinput

RUN useradd --create-home --uid 1000 app
USER app
EXPOSE 8000
CMD ["gunicorn", "questionbank.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--threads", "4", "--timeout", "120"]
