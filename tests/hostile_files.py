"""Malformed and hostile files of every accepted type, ingested in batches with good files mixed in.

Run as ``python -m tests.hostile_files WORK_DIR`` (the fuzz test does, in a subprocess, so that the peak
memory it reports is the ingest's alone); prints one JSON line: files made, results by status, good files
indexed, unhandled errors and the peak resident memory of the process and its children.
"""

from __future__ import annotations

import io
import json
import os
import random
import resource
import sys
import traceback
import zipfile
from pathlib import Path

REPORT = (
    "{place}党建引领乡村振兴工作报告（第{n}号）\n"
    "一、强化组织建设\n"
    "{place}坚持以党建引领基层治理，健全村党组织领导的村级组织体系，第{n}批选派驻村工作队{n}支。\n"
    "二、发展集体经济\n"
    "推行“党支部+合作社+农户”模式，盘活闲置资源，村集体经济收入达到{n}万元，带动群众增收致富。\n"
)
PLACES = ("石阡县", "德江县", "印江县", "沿河县", "松桃县", "玉屏县", "江口县", "碧江区")
BATCH = 55


def good_text(n: int) -> str:
    return REPORT.format(place=PLACES[n % len(PLACES)], n=n)


def docx_bytes(text: str) -> bytes:
    from docx import Document

    doc = Document()
    for line in text.splitlines():
        doc.add_paragraph(line)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def pdf_bytes(n: int) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    for line in range(12):
        pdf.cell(text=f"Village committee report {n}, section {line}: cooperative income rose to {n * line} yuan.")
        pdf.ln()
    return bytes(pdf.output())


def good_file(n: int) -> tuple[str, bytes]:
    """A valid report in one of the accepted formats; unique content so none is a duplicate."""
    kind = n % 6
    text = good_text(n)
    if kind == 0:
        return f"good_{n}.txt", text.encode("utf-8")
    if kind == 1:
        return f"good_{n}.md", ("# " + text).encode("utf-8")
    if kind == 2:
        body = "".join(f"<p>{line}</p>" for line in text.splitlines())
        return f"good_{n}.html", f"<html><body>{body}</body></html>".encode("gb18030")
    if kind == 3:
        return f"good_{n}.docx", docx_bytes(text)
    if kind == 4:
        return f"good_{n}.pdf", pdf_bytes(n)
    return f"good_{n}.txt", text.encode("gb18030")


def zip_bomb(unpacked_mb: int) -> bytes:
    """A .docx whose document.xml unpacks to ``unpacked_mb`` MB of one repeated byte."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            block = b"<w:t>" + b"A" * (2**20 - 5)
            for _ in range(unpacked_mb):
                member.write(block)
    return buffer.getvalue()


def lying_zip(members: dict[str, bytes], liar: str, unpacked_mb: int, declared: int = 1000) -> bytes:
    """A ZIP whose member ``liar`` inflates to ``unpacked_mb`` MB while its local header and the central
    directory both say ``declared`` bytes: a bomb that a size check on the directory lets through."""
    import struct

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        with archive.open(liar, "w") as member:
            block = b"<w:t>" + b"A" * (2**20 - 5)
            for _ in range(unpacked_mb):
                member.write(block)
    data = bytearray(buffer.getvalue())
    name = liar.encode()
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # local header, directory entry
        at = data.find(signature)
        while at >= 0:
            name_at = at + (30 if size_at == 22 else 46)
            if data[name_at : name_at + len(name)] == name:
                data[at + size_at : at + size_at + 4] = struct.pack("<I", declared)
            at = data.find(signature, at + 4)
    return bytes(data)


def many_members(count: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for i in range(count):
            archive.writestr(f"word/m{i}.xml", b"")
    return buffer.getvalue()


LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
    + "".join(f'<!ENTITY {c} "{("&" + p + ";") * 10}">' for p, c in zip("abcdefgh", "bcdefghi", strict=True))
    + "]><d>&i;</d>"
)


def png_bomb(side: int) -> bytes:
    """A 1-bit PNG of side × side pixels, written row by row (a few hundred KB that would decode to
    side² pixels); built by hand so that making it costs no memory either."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + b"\xff" * ((side + 7) // 8)  # filter byte, then white pixels
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def ofd_package(document_xml: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "OFD.xml",
            "<ofd:OFD xmlns:ofd='x'><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        )
        archive.writestr("Doc_0/Document.xml", document_xml)
    return buffer.getvalue()


def hostile_files(rng: random.Random, seeds: list[tuple[str, bytes]]) -> list[tuple[str, bytes, str | None]]:
    """(name, bytes, sidecar YAML or None) of every kind of bad input, a few hundred in all."""
    made: list[tuple[str, bytes, str | None]] = []
    for i, (name, data) in enumerate(seeds):
        stem, suffix = name.rsplit(".", 1)
        for j in range(3):  # bit flips
            flipped = bytearray(data)
            for _ in range(rng.randint(1, 40)):
                flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
            made.append((f"flip{j}_{stem}.{suffix}", bytes(flipped), None))
        for j in range(2):  # truncations
            made.append((f"cut{j}_{stem}.{suffix}", data[: rng.randrange(1, max(2, len(data)))], None))
        made.append((f"random_{i}.{suffix}", rng.randbytes(rng.randint(1, 60_000)), None))
    for suffix in ("txt", "md", "html", "htm", "docx", "pdf"):
        made += [
            (f"empty.{suffix}", b"", None),
            (f"nul.{suffix}", b"\x00" * 5000, None),
            (f"bom_only.{suffix}", b"\xef\xbb\xbf", None),
            (f"utf16_noise.{suffix}", rng.randbytes(4000)[::2] + b"\x00" * 2000, None),
            (f"latin1_noise.{suffix}", bytes(rng.randrange(0x80, 0x100) for _ in range(3000)), None),
        ]
    long_line = ("乡村振兴" * 100_000).encode("utf-8")  # 400,000 characters, one line
    made += [
        ("one_line.txt", long_line, None),
        ("one_line.html", b"<html><body><p>" + long_line + b"</p></body></html>", None),
        ("deep.html", b"<div>" * 200_000 + "正文".encode() + b"</div>" * 200_000, None),
        ("deep.md", ("> " * 50_000 + "引用\n").encode("utf-8"), None),
        ("bomb.docx", zip_bomb(300), None),
        ("bomb_small.docx", zip_bomb(230), None),
        ("members.docx", many_members(12_000), None),
        ("lying.docx", lying_zip({"[Content_Types].xml": b"<Types/>"}, "word/document.xml", 300), None),
        ("lying.odt", lying_zip({"mimetype": b"application/vnd.oasis.opendocument.text"}, "content.xml", 300), None),
        ("lying.ofd", lying_zip({"OFD.xml": b"<ofd:OFD xmlns:ofd='x'/>"}, "Doc_0/Document.xml", 300), None),
        ("lying.xlsx", lying_zip({"[Content_Types].xml": b"<Types/>"}, "xl/workbook.xml", 300), None),
        ("lying.pptx", lying_zip({"[Content_Types].xml": b"<Types/>"}, "ppt/presentation.xml", 300), None),
        ("noise.xlsx", rng.randbytes(3000), None),
        ("noise.pptx", b"PK\x03\x04" + rng.randbytes(3000), None),
        ("zip_not_docx.docx", many_members(3), None),
        ("deep.pdf", b"%PDF-1.4\n1 0 obj\n" + b"[" * 100_000 + b"]" * 100_000 + b"\nendobj\n%%EOF", None),
        ("pages.pdf", b"%PDF-1.4\n1 0 obj<</Type/Pages/Count 99999999/Kids[]>>endobj\n%%EOF", None),
        ("program.exe", rng.randbytes(5000), None),
        ("pixels.png", png_bomb(30_000), None),
        ("cut.png", png_bomb(2_000)[:300], None),
        ("noise.jpg", b"\xff\xd8\xff" + rng.randbytes(3000), None),
        ("noise.tif", b"II*\x00" + rng.randbytes(3000), None),
        ("empty_pages.ofd", ofd_package("<ofd:Document xmlns:ofd='x'/>"), None),
        ("laughs.ofd", ofd_package(LAUGHS), None),
        ("noise.ofd", rng.randbytes(4000), None),
        ("noise.wps", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + rng.randbytes(4000), None),
        ("noise.rtf", b"{\\rtf1 " + rng.randbytes(2000) + b"}", None),
        ("no_content.odt", many_members(2), None),
        ("archive.zip", many_members(3), None),
        ("old.doc", rng.randbytes(5000), None),
        ("noextension", good_text(9999).encode(), None),
    ]
    sidecars = {
        "date": "date: 2025-03-11\ntitle: 带日期的报告\n",
        "datetime": "date: 2025-03-11 09:30:00\nauthor: 张三\n",
        "bad_date": "date: 2025-13-45\ntitle: 日期写错的报告\n",
        "aliases": "a: &a [x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
            for p, c in zip("abcdefgh", "bcdefghi", strict=True)
        )
        + "title: *i\n",
        "huge": "title: " + "长" * 200_000 + "\n",
        "list": "- 不是\n- 字典\n",
        "broken": "title: [未闭合\n",
        "binary": rng.randbytes(300).decode("latin-1"),
        "deep": "title: " + "[" * 20_000 + "]" * 20_000 + "\n",
    }
    for n, (kind, yaml_text) in enumerate(sidecars.items()):
        made.append((f"sidecar_{kind}.txt", good_text(5000 + n).encode("utf-8"), yaml_text))
    for n, name in enumerate(
        (
            "带 空格 的 名字.txt",
            "line\nbreak.txt",
            "-leading-dash.txt",
            "..dots...txt",
            "长" * 80 + ".txt",
            "名" * 83 + ".txt",  # 253 bytes: no room beside it for a sidecar's name
            "semi;colon'quote\".txt",
            "emoji😀.md",
            "$(touch pwned).txt",
        )
    ):
        made.append((name, good_text(6000 + n).encode("utf-8"), None))
    return made


def _own_peak_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main(work: Path) -> dict:
    from qa.embeddings import HASH_MODEL, load_embedder
    from qa.ingest.pipeline import ingest_paths
    from qa.settings import EmbeddingSettings, Settings
    from qa.text import stored_name

    rng = random.Random(20261129)
    settings = Settings(embedding=EmbeddingSettings(model=HASH_MODEL))
    embedder = load_embedder(settings.embedding)
    seeds = [good_file(n) for n in range(60)]
    files: list[tuple[Path, bool]] = []  # (path, is good)
    source = work / "files"
    source.mkdir(parents=True)
    expected_good = set()
    for n in range(1000, 1000 + 80):  # good files spread over the batches
        name, data = good_file(n)
        (source / name).write_bytes(data)
        files.append((source / name, True))
        expected_good.add(name)
    for name, data, sidecar in hostile_files(rng, seeds):
        path = source / name
        path.write_bytes(data)
        if sidecar is not None:
            path.with_name(name + ".meta.yaml").write_text(sidecar, encoding="utf-8", errors="ignore")
        # a report with a sound sidecar of dates is good; a hostile name holding a good report is good
        files.append((path, name.startswith(("sidecar_date", "带", "line", "-", "..", "长", "semi", "emoji", "$"))))
    special = source / "zero.txt"
    special.symlink_to("/dev/zero")  # endless bytes behind a text name
    fifo = source / "pipe.txt"
    os.mkfifo(fifo)  # reading would block forever
    odd = Path(os.fsdecode(os.fsencode(source) + b"/bad\xff\xfe.txt"))  # a name that is not UTF-8
    odd.write_bytes(good_text(7000).encode())
    files += [(special, False), (fifo, False), (source / "gone.txt", False), (odd, True)]
    rng.shuffle(files)

    results: dict[str, str] = {}
    rows = 0
    errors: list[str] = []
    folder = work / "kb"
    for start in range(0, len(files), BATCH):
        batch = [path for path, _ in files[start : start + BATCH]]
        try:
            for result in ingest_paths(batch, folder, settings, embedder):
                rows += 1
                results[str(result.path)] = result.status if result.status != "failed" else f"failed: {result.reason}"
        except Exception:  # the point of the test: there must be none
            errors.append(traceback.format_exc())
    from qa.index.knowledge_base import KnowledgeBase

    kb = KnowledgeBase(folder)  # opens only when every part agrees with the manifest
    documents = len(kb.documents())
    searchable = kb.chunk_count > 0
    kb.close()
    good = [path for path, is_good in files if is_good]
    missing = [stored_name(str(path)) for path, _ in files if stored_name(str(path)) not in results]
    # this process's own high-water mark (VmHWM): ru_maxrss carries the parent's over a fork, and a
    # parent that loaded real models earlier in a test session holds gigabytes; children (LibreOffice) as reaped
    usage = max(_own_peak_kb(), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    statuses: dict[str, int] = {}
    for status in results.values():
        statuses[status.split(":")[0]] = statuses.get(status.split(":")[0], 0) + 1
    return {
        "files": len(files),
        "documents": documents,
        "searchable": searchable,
        "rows": rows,
        "statuses": statuses,
        "good": len(good),
        "good_not_indexed": {
            stored_name(str(p)): results.get(stored_name(str(p)))
            for p in good
            if results.get(stored_name(str(p))) != "indexed"
        },
        "without_row": missing,
        "reasons_not_chinese": sorted(
            {s for s in results.values() if s.startswith("failed") and not any("\u4e00" <= c <= "\u9fff" for c in s)}
        ),
        "errors": errors,
        "reasons": results,
        "peak_rss_mb": usage / 1024,
    }


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1])), ensure_ascii=False))
