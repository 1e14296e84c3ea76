"""Ingesting a mixed folder as an office has it: .docx, .doc, .wps, .rtf, .odt (LibreOffice), a text PDF,
a scanned PDF and page photos (OCR), an OFD. OCR pages per second, seconds per kind of file, and the
whole folder's ingestion time and peak memory.

Usage: python bench/formats_bench.py [--copies 3] [--out bench/results]   (needs LibreOffice for the
office formats; writes formats.json and formats.md)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REPORT = [
    "{place}推行“党建+合作社”模式工作情况",
    "一、建强村级组织",
    "{place}选派第一书记36名，建立村级后备力量库，每村储备后备人选2至3名，推动村级组织提质增效，"
    "健全村党组织领导的村级组织体系，推行“四议两公开”工作法，村级重大事项全部经过民主决策。",
    "二、壮大集体经济",
    "全县村集体经济收入全部达到10万元以上，其中“三变”改革带动农户增收1.2万户，"
    "盘活闲置资源资产，发展特色种养、乡村旅游和农村电商，群众参与积极性明显提高。",
]
PLACES = ["石阡县", "德江县", "印江县", "沿河县", "松桃县", "玉屏县", "江口县", "碧江区", "万山区", "思南县"]


def make_folder(folder: Path, copies: int) -> dict[str, int]:
    """Files of every kind, ``copies`` of each, each with its own place so none is a duplicate."""
    from easyofd.ofd import OFD

    from tests.office_files import convert, docx_file
    from tests.test_office_formats import _page_image

    counts: dict[str, int] = {}
    work = folder.parent / "work"
    work.mkdir(exist_ok=True)
    n = 0
    for copy in range(copies):
        for kind in ("docx", "doc", "wps", "rtf", "odt", "pdf", "ofd", "scan", "png"):
            place = PLACES[n % len(PLACES)] + ("" if n < len(PLACES) else str(n))
            n += 1
            lines = [line.format(place=place) for line in REPORT]
            source = docx_file(work / f"{kind}{copy}.docx", lines)
            if kind == "docx":
                target = folder / source.name
                target.write_bytes(source.read_bytes())
            elif kind in ("doc", "rtf", "odt", "pdf"):
                target = folder / f"{kind}{copy}.{kind}"
                target.write_bytes(convert(source, kind, work / kind).read_bytes())
            elif kind == "wps":
                doc = convert(source, "doc", work / "wps")
                target = folder / f"wps{copy}.wps"
                target.write_bytes(doc.read_bytes())
            elif kind == "ofd":
                pdf = convert(source, "pdf", work / "ofdpdf")
                cwd = os.getcwd()
                os.chdir(tempfile.mkdtemp(dir=work))  # the writer leaves a working folder where it runs
                try:
                    data = OFD().pdf2ofd(pdf.read_bytes(), optional_text=True)
                finally:
                    os.chdir(cwd)
                target = folder / f"ofd{copy}.ofd"
                target.write_bytes(data)
            else:
                text = "".join(lines[2:])
                image = _page_image([text[i : i + 36] for i in range(0, len(text), 36)])
                target = folder / (f"scan{copy}.pdf" if kind == "scan" else f"photo{copy}.png")
                if kind == "scan":
                    image.save(target, resolution=200)
                else:
                    image.save(target)
            counts[kind] = counts.get(kind, 0) + 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()

    from qa.embeddings import UseEmbedder
    from qa.ingest.loaders import load_file
    from qa.ingest.pipeline import ingest_paths
    from qa.settings import Settings

    with tempfile.TemporaryDirectory(prefix="qa-formats-") as tmp:
        folder = Path(tmp) / "files"
        folder.mkdir()
        counts = make_folder(folder, args.copies)
        per_kind: dict[str, list[float]] = {}
        ocr_pages = ocr_seconds = 0.0
        for path in sorted(folder.iterdir()):
            start = time.perf_counter()
            loaded, _ = load_file(path)
            took = time.perf_counter() - start
            per_kind.setdefault(
                path.suffix + (" (scan)" if "+ocr" in loaded.format and path.suffix == ".pdf" else ""), []
            ).append(took)
            if loaded.format.endswith("+ocr"):
                ocr_pages += 1
                ocr_seconds += took
        embedder = UseEmbedder()
        embedder.embed_documents(["预热"])
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        start = time.perf_counter()
        results = ingest_paths(
            [folder], Path(tmp) / "index" / "default", Settings(index_dir=str(Path(tmp) / "index")), embedder
        )
        total = time.perf_counter() - start
        figures = {
            "files": sum(counts.values()),
            "files_by_kind": counts,
            "indexed": sum(r.status == "indexed" for r in results),
            "failed": [f"{Path(r.path).name}: {r.reason}" for r in results if r.status == "failed"],
            "seconds_to_read_by_kind (mean)": {k: round(sum(v) / len(v), 2) for k, v in sorted(per_kind.items())},
            "ocr_pages": int(ocr_pages),
            "ocr_pages_per_second": round(ocr_pages / ocr_seconds, 3) if ocr_seconds else None,
            "ingest_seconds_whole_folder": round(total, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "rss_before_ingest_mb": round(rss_before, 1),
            "machine": f"{os.cpu_count()} cores, OCR page: A4 at 200 dpi",
        }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "formats.json").write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    table = "\n".join(["| figure | value |", "|---|---|"] + [f"| {k} | {v} |" for k, v in figures.items()])
    (args.out / "formats.md").write_text(
        f"# Mixed-format ingestion\n\nCommand: `python bench/formats_bench.py --copies {args.copies}`\n\n{table}\n",
        encoding="utf-8",
    )
    print(table)


if __name__ == "__main__":
    main()
