"""Dify's external-knowledge metadata conditions, applied to a passage's metadata.

``{"logical_operator": "and"|"or", "conditions": [{"name": "place", "comparison_operator": "contains",
"value": "思南"}]}``; ``name`` may also be a list of field names (older Dify versions), any of which
may match. Unknown operators are refused rather than ignored: a filter that silently passes everything
would answer from the wrong reports."""

from __future__ import annotations

from typing import Any

from qa.app.api.guard import ApiError


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _test(actual: Any, operator: str, expected: Any) -> bool:
    text = "" if actual is None else str(actual)
    if operator == "empty":
        return text == ""
    if operator == "not empty":
        return text != ""
    if operator in ("in", "not in"):
        options = [str(v) for v in (expected if isinstance(expected, list) else [expected])]
        return (text in options) == (operator == "in")
    wanted = "" if expected is None else str(expected)
    string_tests = {
        "contains": lambda: wanted in text,
        "not contains": lambda: wanted not in text,
        "start with": lambda: text.startswith(wanted),
        "end with": lambda: text.endswith(wanted),
        "is": lambda: text == wanted,
        "is not": lambda: text != wanted,
        "before": lambda: text != "" and text < wanted,  # ISO dates compare as text
        "after": lambda: text != "" and text > wanted,
    }
    if operator in string_tests:
        return string_tests[operator]()
    a, b = _number(actual), _number(expected)
    numeric_tests = {
        "=": lambda: a == b,
        "≠": lambda: a != b,
        ">": lambda: a > b,
        "<": lambda: a < b,
        "≥": lambda: a >= b,
        "≤": lambda: a <= b,
    }
    if operator in numeric_tests:
        return a is not None and b is not None and numeric_tests[operator]()
    raise ApiError(400, f"不支持的比较运算符 “{operator}”", "invalid_request_error")


def matches(metadata: dict[str, Any], condition: dict[str, Any] | None) -> bool:
    """Whether a record's metadata passes Dify's ``metadata_condition`` (no condition: it does)."""
    if not condition or not condition.get("conditions"):
        return True
    results = []
    for item in condition["conditions"]:
        names = item.get("name")
        names = names if isinstance(names, list) else [names]
        operator = str(item.get("comparison_operator", ""))
        results.append(any(_test(metadata.get(str(n)), operator, item.get("value")) for n in names))
    return any(results) if str(condition.get("logical_operator", "and")).lower() == "or" else all(results)
