"""Hundreds of malformed and hostile files ingested in batches with good ones: nothing stops a batch,
every file gets one row with a Chinese reason, memory stays bounded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_hostile_files_never_stop_a_batch_and_each_gets_a_reason(tmp_path):
    # a process of its own, so that its peak memory is the ingest's alone
    run = subprocess.run(
        [sys.executable, "-m", "tests.hostile_files", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout.splitlines()[-1])
    assert report["files"] >= 500 and report["errors"] == []
    assert report["rows"] == report["files"] and report["without_row"] == []  # one row per file, no more
    assert report["good_not_indexed"] == {}  # every good file, whatever its neighbours
    assert report["documents"] == report["statuses"]["indexed"] and report["searchable"]
    assert report["reasons_not_chinese"] == []
    assert report["peak_rss_mb"] < 1536, report["peak_rss_mb"]
    reasons = {Path(path).name: reason for path, reason in report["reasons"].items()}
    expected = {
        "bomb.docx": "压缩炸弹",
        "members.docx": "内部文件过多",
        "lying.docx": "与其目录不符",
        "lying.odt": "与其目录不符",
        "lying.ofd": "与其目录不符",
        "lying.xlsx": "与其目录不符",
        "lying.pptx": "与其目录不符",
        "noise.xlsx": "xlsx",
        "noise.pptx": "pptx",
        "one_line.txt": "一行长达",
        "one_line.html": "一行长达",
        "nul.txt": "不是文字",
        "sidecar_aliases.txt": "别名",
        "sidecar_huge.txt": "过大",
        "sidecar_list.txt": "字段: 值",
        "sidecar_bad_date.txt": "真实日期",
        "pipe.txt": "不是普通文件",
        "zero.txt": "不是普通文件",
        "gone.txt": "不是普通文件",
        "old.doc": ".docx",
        "program.exe": "不支持的文件类型",
        "pixels.png": "ingest.max_image_pixels",
        "laughs.ofd": "OFD",
        "noise.ofd": "OFD",
        "noise.wps": ".wps",
    }
    for name, reason in reasons.items():  # damage is named in the terms of the file's own kind
        if name.endswith(".pdf") and reason not in ("indexed", "failed: 文件为空（0 字节）"):
            assert "PDF" in reason or "没有可索引的正文" in reason, (name, reason)
    for name, words in expected.items():
        assert words in reasons[name], (name, reasons[name])
    assert reasons["sidecar_date.txt"] == reasons["sidecar_datetime.txt"] == "indexed"  # YAML dates are fine
    assert reasons["名" * 83 + ".txt"] == "indexed"
