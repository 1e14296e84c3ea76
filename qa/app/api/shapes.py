"""The API's answers in the shapes clients expect: OpenAI chat completions and chunks (with the tool's
citations in the ``qa`` extension field), OpenAI and Dify errors, Dify retrieval records."""

from __future__ import annotations

import time
import uuid
from typing import Any

from qa.model import Answer, Hit
from qa.search.confidence import on_use_scale
from qa.text import section_path

MODEL_PREFIX = "qa-"
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
}


def model_id(kb: str) -> str:
    return f"{MODEL_PREFIX}{kb}"


def kb_of(model: str) -> str | None:
    return model[len(MODEL_PREFIX) :] if model.startswith(MODEL_PREFIX) and len(model) > len(MODEL_PREFIX) else None


def openai_error(status: int, message: str, code: str) -> dict[str, Any]:
    kind = _ERROR_TYPES.get(status, "rate_limit_error" if status == 429 else "api_error")
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def dify_error(status: int, message: str) -> dict[str, Any]:
    """Dify's suggested codes: 1001 bad Authorization header, 1002 authorization failed, 2001 no such
    knowledge base; other failures keep their HTTP status and a message."""
    code = {401: 1002, 403: 1002, 404: 2001}.get(status, 500 if status >= 500 else status)
    return {"error_code": code, "error_msg": message}


def references(answer: Answer) -> str:
    """The 参考资料 block appended for clients that show only text."""
    if not answer.citations:
        return ""
    lines = [f"[{c.n}] {c.source_line or c.title}" for c in answer.citations]
    return "\n\n参考资料：\n" + "\n".join(lines)


def extension(answer: Answer) -> dict[str, Any]:
    """The ``qa`` field: every citation (document, title, place, section, quote and its offsets in the
    article, source line) and which sentences could not be verified, and why."""
    return {
        "mode": answer.mode,
        "abstained": answer.abstained,
        "confidence": answer.confidence,
        "standalone_question": answer.standalone_question,
        "notice": answer.notice,
        "short_answer": answer.short_answer,
        "citations": [c.to_dict() for c in answer.citations],
        "sentences": [
            {"text": s.text, "citations": s.citations, "verified": s.supported, "problems": s.problems}
            for s in answer.sentences
        ],
        "related": [h.to_dict() for h in answer.related],
    }


def completion(answer: Answer, model: str) -> dict[str, Any]:
    text = answer.text + references(answer)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 0, "completion_tokens": len(text), "total_tokens": len(text)},
        "qa": extension(answer),
    }


def chunk(completion_id: str, model: str, delta: dict[str, Any], finish: str | None = None, **extra) -> dict:
    return {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }


def record(hit: Hit, model: str = "") -> dict[str, Any]:
    """One Dify retrieval record; the score is the passage's dense cosine on USE's scale
    (0–1; the cosine of ``model``, the embedder that scored it, carried over by
    qa.search.confidence.on_use_scale, so that one score_threshold means the same with any calibrated
    model), metadata always an object."""
    score = on_use_scale(model, hit.dense_score or 0.0)
    return {
        "content": hit.text,
        "score": round(max(0.0, min(1.0, score)), 4),
        "title": hit.title,
        "metadata": {k: v for k, v in hit_metadata(hit).items() if v is not None},
    }


def hit_metadata(hit: Hit) -> dict[str, Any]:
    return {
        "doc": hit.doc,
        "title": hit.title,
        "place": hit.place,
        "province": hit.province,
        "city": hit.city,
        "county": hit.county,
        "author": hit.author,
        "section": section_path(hit.section, lead=""),
        "chunk_id": hit.chunk_id,
    }
