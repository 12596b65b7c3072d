"""POST /v1/classify: category, confidence, priority and fields for email rows, nothing stored."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from triage.api.deps import IngestKey, ServicesDep
from triage.api.schemas import ClassifyRequest, ClassifyResponse
from triage.classify import classify_rows

router = APIRouter(prefix="/v1", tags=["classify"])


@router.post("/classify", response_model=ClassifyResponse, summary="Classify email rows (nothing is stored)")
async def classify(body: ClassifyRequest, services: ServicesDep, _: IngestKey) -> ClassifyResponse:
    rows = [{**row.model_dump(by_alias=True, exclude={"attachments"}), "id": row.id if row.id is not None else i}
            for i, row in enumerate(body.rows)]
    model = services.model  # one read: the alias check may swap in another version meanwhile
    results = await run_in_threadpool(classify_rows, model, rows)
    return ClassifyResponse(results=results, model={"name": model.name, "version": model.version})
