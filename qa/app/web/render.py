"""HTML and Markdown for the web app, as pure functions of the results.

Everything that comes from documents, users or an LLM is escaped here: answers and passages are
shown as text, never as markup, so an answer holding <script> or ![](http://…) renders inert and
no remote image is ever fetched.
"""

from __future__ import annotations

import html
import re
from typing import Any

from qa.model import CONFIDENCE_ZH
from qa.text import section_path

MODE_ZH = {"llm": "大模型", "extractive": "摘录"}

# defined once in the page head: copy a citation (with a fallback for plain-http office networks), and
# open a citation's card when its [n] in an answer is clicked. The click still reaches the chat window,
# which shows that answer's cards; the card is waited for, opened at its highlighted sentence and flashed.
PAGE_SCRIPT = """<script>
function qaCopy(button) {
  const text = button.getAttribute('data-cite');
  const label = button.textContent;
  const done = () => { button.textContent = '已复制'; setTimeout(() => button.textContent = label, 1500); };
  if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(text).then(done); return; }
  const area = document.createElement('textarea');
  area.value = text; document.body.appendChild(area); area.select();
  document.execCommand('copy'); document.body.removeChild(area); done();
}
function qaOpenCitation(id, tries) {
  const card = document.getElementById(id);
  if (!card) { if (tries > 0) setTimeout(() => qaOpenCitation(id, tries - 1), 100); return; }
  const full = card.querySelector('details');
  if (full) full.open = true;
  const mark = (full && full.querySelector('mark')) || card.querySelector('mark') || card;
  mark.scrollIntoView({block: 'nearest'});  // as little as needed: the chat stays on the screen where it can
  card.classList.add('qa-flash');
  setTimeout(() => card.classList.remove('qa-flash'), 2000);
}
document.addEventListener('click', (event) => {
  const link = event.target.closest && event.target.closest('a[href^="#cite-"]');
  if (!link) return;
  event.preventDefault();
  qaOpenCitation(link.getAttribute('href').slice(1), 50);
}, true);
// a new answer is shown from its first line: the chat scrolls to the question just asked, not to the end
let qaAnswersSeen = 0;
new MutationObserver(() => {
  const chat = document.getElementById('qa-chat');
  if (!chat) return;
  const answers = chat.querySelectorAll('[data-testid="bot"]');
  if (answers.length === qaAnswersSeen) return;
  qaAnswersSeen = answers.length;
  const asked = chat.querySelectorAll('[data-testid="user"]');
  const start = asked.length ? asked[asked.length - 1] : answers[answers.length - 1];
  let box = start && start.parentElement;
  while (box && box !== chat.parentElement && box.scrollHeight <= box.clientHeight + 1) box = box.parentElement;
  if (box && start) box.scrollTop += start.getBoundingClientRect().top - box.getBoundingClientRect().top - 8;
}).observe(document.documentElement, {childList: true, subtree: true});
</script>"""

CSS = """
.qa-card {border: 1px solid #d0d7de; border-radius: 8px; padding: 10px 12px; margin: 8px 0; background: #fff;}
.qa-card-head {font-weight: 600; margin-bottom: 4px;}
.qa-n {color: #b42318; margin-right: 4px;}
.qa-sec, .qa-meta {color: #57606a; font-size: 0.9em; font-weight: 400;}
.qa-note {color: #9a6700; font-size: 0.9em;}
.qa-passage, .qa-article {line-height: 1.7; white-space: pre-wrap;}
.qa-passage mark, .qa-article mark {background: #fff3b0; padding: 0 2px;}
.qa-source {color: #1f4e79; margin-top: 6px;}
.qa-unsupported {color: #b42318;}
.qa-badge {display: inline-block; border-radius: 10px; padding: 2px 10px; margin-right: 6px; background: #eef2f7;}
.qa-group {margin-top: 12px;}
.qa-group h3 {margin: 6px 0;}
.qa-flash {box-shadow: 0 0 0 3px #f0b429;}
.qa-copy {margin-right: 8px;}
a[href^="#cite-"] {text-decoration: none; color: #b42318;}
/* a phone: the answer's cards right after the chat, the conversation list after them; narrower tabs,
   so that all five fit on one line rather than two hiding behind "…" */
@media (max-width: 720px) {
  #qa-conv-col {order: 3;}
  .tab-container button {padding-left: 6px !important; padding-right: 6px !important; min-width: 0 !important;}
  #qa-title {display: none;}
}
"""


def esc(text: Any) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def safe_markdown(text: str) -> str:
    """Answer text for the chat window: HTML escaped, Markdown links and images disarmed, and web
    addresses shown as code: never a link out of the page, never swallowing the [n] after them."""
    pieces = []
    for n, piece in enumerate(_URL.split(text)):
        if n % 2:
            pieces.append(f"`{piece}`")
        else:
            piece = html.escape(piece, quote=False)
            pieces.append(piece.replace("![", "!\\[").replace("](", "\\]("))
    return "".join(pieces)


# an address ends at a space, a bracket, Chinese punctuation or a backtick (which would end the code span)
_URL = re.compile(
    r"((?:https?|ftp)://[^\s`<>\[\]()（）“”‘’，。；：！？、]+|www\.[^\s`<>\[\]()（）“”‘’，。；：！？、]+)", re.I
)


_MARKER = re.compile(r"\[(\d+)\]")


def answer_message(answer: dict, turn: int = 0) -> str:
    """The assistant's chat message for a finished answer (an ``Answer.to_dict()``), the ``turn``-th of
    its conversation: each [n] links to its citation card."""
    cited = {c["n"] for c in answer["citations"]}
    text = _MARKER.sub(
        lambda m: f"[\\[{m.group(1)}\\]](#cite-{turn}-{m.group(1)})" if int(m.group(1)) in cited else m.group(0),
        safe_markdown(answer["text"]),
    )
    if short := safe_markdown(answer.get("short_answer") or ""):  # the words that answer, in bold where quoted
        text = text.replace(short, f"**{short}**", 1)
    parts = [text]
    for sentence in answer["unsupported"]:
        parts.append(
            f"\n⚠ 未能核实：{safe_markdown(sentence['text'])}（{safe_markdown('；'.join(sentence['problems']))}）"
        )
    if answer["related"]:
        parts.append("\n**可能相关的段落：**")
        for n, hit in enumerate(answer["related"], 1):
            parts.append(
                f"\n{n}. {safe_markdown(hit['place'] or '')}《{safe_markdown(hit['title'])}》：{safe_markdown(hit['text'][:120])}…"
            )
    return "\n".join(parts)


def badge(answer: dict) -> str:
    notice = f"<div class='qa-unsupported'>{esc(answer['notice'])}</div>" if answer.get("notice") else ""
    return (
        f"<span class='qa-badge'>回答方式：{MODE_ZH[answer['mode']]}</span>"
        f"<span class='qa-badge'>可信度：{CONFIDENCE_ZH[answer['confidence']]}</span>{notice}"
    )


def highlight(text: str, start: int, end: int) -> str:
    """``text`` escaped, with [start, end) marked."""
    start, end = max(0, start), min(len(text), end)
    return f"{esc(text[:start])}<mark>{esc(text[start:end])}</mark>{esc(text[end:])}"


def citation_cards(citations: list[dict], article_texts: dict[int, str], turn: int = 0) -> str:
    """One card per citation of the ``turn``-th answer: where it comes from, the quoted span highlighted
    in its passage, the whole article behind 展开全文, and buttons copying the quote with its source line
    or the source line alone."""
    if not citations:
        return "<div class='qa-meta'>本回答没有引用。</div>"
    cards = []
    for c in citations:
        where = section_path(c["section"])
        in_passage = highlight(c["passage"], c["quote_start"] - c["start"], c["quote_end"] - c["start"])
        article = article_texts.get(c["article_id"])
        full = (
            f"<details><summary>展开全文</summary><div class='qa-article'>"
            f"{highlight(article, c['quote_start'], c['quote_end'])}</div></details>"
            if article
            else "<div class='qa-meta'>原文已从知识库删除。</div>"
        )
        cards.append(
            f"<div class='qa-card' id='cite-{turn}-{c['n']}'>"
            f"<div class='qa-card-head'><span class='qa-n'>[{c['n']}]</span>{esc(c['place'] or '')}"
            f"《{esc(c['title'])}》 <span class='qa-sec'>{esc(where)}</span></div>"
            f"<div class='qa-passage'>{in_passage}</div>{full}"
            f"<div class='qa-source'>{esc(c['source_line'])}</div>"
            + (f"<div class='qa-note'>{esc(c['note'])}</div>" if c.get("note") else "")
            + f"<div class='qa-meta'>文件：{esc(c['doc'])}</div>"
            f"<button class='qa-copy' data-cite='{esc(quoted(c))}' onclick='qaCopy(this)'>复制引文和出处</button>"
            f"<button class='qa-copy' data-cite='{esc(c['source_line'])}' onclick='qaCopy(this)'>复制出处</button>"
            f"</div>"
        )
    return "".join(cards)


def quoted(citation: dict) -> str:
    """The quote ready for a draft: “…”（来源：…）."""
    return f"“{citation['quote'].strip()}”{citation['source_line']}"


def similar_groups(groups: list[dict]) -> str:
    if not groups:
        return "<div class='qa-meta'>没有找到相似的经验。</div>"
    blocks = []
    for g in groups:
        cards = "".join(
            f"<div class='qa-card'><div class='qa-card-head'>《{esc(h['title'])}》 "
            f"<span class='qa-sec'>{esc(' > '.join(h['section'][1:]) or '导语')}</span>"
            f"<span class='qa-meta'> 相关度 {h['score']:.3f}</span></div>"
            f"<div class='qa-passage'>{esc(h['text'])}</div><div class='qa-meta'>文件：{esc(h['doc'])}</div></div>"
            for h in g["hits"]
        )
        province = f" <span class='qa-meta'>{esc(g['province'])}</span>" if g["province"] else ""
        blocks.append(f"<div class='qa-group'><h3>{esc(g['place'])}{province}</h3>{cards}</div>")
    return "".join(blocks)


def draft_suggestions(paragraphs: list[dict]) -> str:
    blocks = []
    for i, p in enumerate(paragraphs, 1):
        if not p["suggestions"]:
            continue
        items = "".join(
            f"<div class='qa-card'><div class='qa-card-head'><span class='qa-n'>建议{s['n']}</span>"
            f"{esc(s['source_line'])}</div><div class='qa-passage'>"
            f"{highlight(s['passage'], s['quote_start'] - s['start'], s['quote_end'] - s['start'])}</div></div>"
            for s in p["suggestions"]
        )
        blocks.append(
            f"<div class='qa-group'><h3>第 {i} 段</h3><div class='qa-meta'>{esc(p['text'])}</div>{items}</div>"
        )
    return "".join(blocks) or "<div class='qa-meta'>没有找到可引用的材料。</div>"


def parse_preview(preview: dict) -> str:
    """What importing a file would give: its articles and first passages, before anything is written."""
    head = (
        f"<div class='qa-meta'>{esc(preview['file'])}：格式 {esc(preview['format'])}"
        + (f"，编码 {esc(preview['encoding'])}" if preview["encoding"] else "")
        + f"，{len(preview['articles'])} 篇文章，{preview['total_passages']} 个段落（尚未导入）</div>"
    )
    articles = "".join(
        f"<div class='qa-card'><div class='qa-card-head'>《{esc(a['title'])}》</div>"
        f"<div class='qa-meta'>地点：{esc(a['place'] or '（未识别）')}　作者：{esc(a['author'] or '（无）')}"
        f"　日期：{esc(a['date'] or '（无）')}　段落：{a['chunks']}</div></div>"
        for a in preview["articles"]
    )
    passages = "".join(
        f"<div class='qa-card'><div class='qa-card-head'><span class='qa-sec'>{esc(p['section'])}"
        + (f"，第{p['page']}页" if p["page"] else "")
        + f"</span></div><div class='qa-passage'>{esc(p['text'])}</div></div>"
        for p in preview["passages"]
    )
    more = preview["total_passages"] - len(preview["passages"])
    tail = f"<div class='qa-meta'>另有 {more} 个段落未列出。</div>" if more > 0 else ""
    return f"{head}<h4>文章</h4>{articles}<h4>段落</h4>{passages}{tail}"
