"""The page in Chinese whatever the browser's language: Gradio chooses its own strings (the login form,
the upload box, "Use via API") from ``navigator.language``, so the HTML of the page is served with the
document's language set to zh-CN and a first script that reports zh-CN as the browser's language before
Gradio's code reads it. The login page is that same HTML, so it is covered too."""

from __future__ import annotations

LOCALE_SCRIPT = (
    b"<script>(function(){try{"
    b"Object.defineProperty(Navigator.prototype,'language',{get:function(){return 'zh-CN';},configurable:true});"
    b"Object.defineProperty(Navigator.prototype,'languages',{get:function(){return ['zh-CN','zh'];},configurable:true});"
    b"}catch(e){}document.documentElement.lang='zh-CN';})();</script>"
)
# Gradio's API page ("通过 API 使用"), an event's status ("processing | 0.3s") and the kind it titles every notice
# with ("Info", "Warning", "Error", whatever title it is given) are English whatever the language: their fixed
# phrases are put in Chinese as they are drawn, and drawn again (a whole text of the page matched; code is left
# alone)
GRADIO_TEXT_SCRIPT = r"""<script>(function(){
const notices = {Info: '提示', Warning: '注意', Error: '出错了', Success: '完成'};
const words = [
  [/^documentation$/, '接口说明'], [/^API Recorder$/, '接口录制'], [/^API endpoints?$/, '个接口'],
  [/^Choose one of the following ways to interact with the API\.$/, '选择调用接口的方式：'],
  [/^Copy Page$/, '复制本页'], [/^Copy menu$/, '复制'], [/^Stop Recording$/, '停止录制'],
  [/^1\. Install the$/, '1. 安装'], [/^client \($/, '客户端（'], [/^docs$/, '说明'],
  [/^\) if you don't already have it installed\.$/, '），已安装的可跳过。'],
  [/^2\. Find the API endpoint below.*$/, '2. 在下面找到所需的接口，复制示例代码，把其中的示例值换成自己的输入。'],
  [/^Or use the$/, '也可以用'], [/^to automatically generate your API requests\.$/, '自动生成接口请求。'],
  [/^API name:$/, '接口名：'], [/^Accepts (\d+) parameters?$/, '参数 $1 个'], [/^Takes no input parameters$/, '没有参数'],
  [/^Required$/, '必填'], [/^Default:$/, '默认值：'], [/^Returns$/, '返回'],
  [/^Returns tuple of (\d+) elements?$/, '返回 $1 项'], [/^Returns (\d+) elements?$/, '返回 $1 项'],
  [/^tuple of (\d+) elements?$/, '$1 项'], [/^(\d+) elements?$/, '$1 项'],
  [/^The input value that is provided in the "(.*)" (\w+) component\..*$/, '页面上“$1”（$2）的输入值。'],
  [/^The output value that appears in the "(.*)" (\w+) component\..*$/, '页面上“$1”（$2）显示的输出值。'],
  [/^No API Routes found for$/, '没有找到接口：'], [/^common\.complete$/, '完成'],
  [/^processing(.*)$/, '处理中$1'], [/^queue:(.*)$/, '排队：$1'],  // the status of a running event
  [/^This Gradio app can also serve as an MCP server.*launch this Gradio app with$/,
   '本应用也可以作为 MCP 服务器使用，每个接口对应一个 MCP 工具。如需启用，启动时加上'],
  [/^or set the$/, '，或把环境变量'], [/^env variable to$/, '设为'], [/^MCP Tools?$/, '个 MCP 工具'],
];
const components = {Textbox: '文本框', Dropdown: '下拉框', Chatbot: '对话框', File: '文件', Html: '网页内容', Json: 'JSON',
  Dataframe: '表格', Radio: '单选', Checkboxgroup: '多选', Number: '数字', Browserstate: '浏览器存储', Api: '接口'};
function chinese(node) {
  const parent = node.parentElement;
  if (!parent || parent.closest('code, pre, textarea, script, style')) return;
  const text = node.textContent.replace(/\s+/g, ' ').trim();
  if (notices[text] && parent.closest('.toast-title')) { node.textContent = notices[text] + ' '; return; }
  let previous = node.previousSibling;
  while (previous && previous.nodeType === 8) previous = previous.previousSibling;  // Svelte's comment anchors
  const before = previous && previous.textContent;
  // the plural "s" Gradio writes after "parameter", "API endpoint" and "MCP Tool" (个, 个接口, 个 MCP 工具 by now)
  if (text === 's' && before && /(?:个|接口|工具|API endpoint|parameter|MCP Tool)$/.test(before.trim())) { node.textContent = ''; return; }
  if (!/[A-Za-z]{3}/.test(text)) return;
  for (const [english, zh] of words) {
    if (!english.test(text)) continue;
    const said = text.replace(english, zh).replace(/（(\w+)）/, (all, name) => '（' + (components[name] || name) + '）')
      .replace(/“(?:parameter|value)_\d+”/, '一个无标题');  // a component shown without a label
    node.textContent = ' ' + said + ' ';
    return;
  }
}
function walk(root) {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) chinese(node);
}
new MutationObserver((changes) => changes.forEach((change) => {
  if (change.type === 'characterData') chinese(change.target);
  else change.addedNodes.forEach((node) => node.nodeType === 3 ? chinese(node) : node.nodeType === 1 && walk(node));
})).observe(document.documentElement, {childList: true, subtree: true, characterData: true});
})();</script>""".encode()
PAGE_PATHS = ("/", "/login")
# The example call the API page writes for each endpoint: Gradio's own values are English ("Hello!!") and its
# example file a URL an office cannot reach; a text box offers the example its placeholder gives, or one of these
TEXT_EXAMPLES = {
    "问题": "石阡县怎样开展村级说事会？",
    "做法描述或稿件段落": "村集体出资建冷库，之后租给村民使用，增加集体收入。",
    "粘贴稿件": "我县坚持党建引领，推行积分制管理，激发群众参与乡村治理的积极性。",
    "检索内容": "积分超市",
}
EXAMPLE_FILE = "jingyan.docx"  # a local file (the page would write a Chinese name as \u escapes)


def chinese_api_examples(blocks) -> None:
    """Set each input's example on the API page to Chinese an office would send (Gradio reads a component's
    ``example_payload``; set on the instance, it changes that component's example only)."""
    import gradio as gr

    for component in blocks.blocks.values():
        if isinstance(component, gr.Textbox):
            example = _text_example(component.label or "", component.placeholder or "")
        elif isinstance(component, gr.File):
            file = {
                "path": EXAMPLE_FILE,
                "url": EXAMPLE_FILE,
                "orig_name": EXAMPLE_FILE,
                "meta": {"_type": "gradio.FileData"},
            }
            example = [file] if component.file_count == "multiple" else file
        elif isinstance(component, gr.Chatbot):
            example = []  # a new conversation
        elif isinstance(component, gr.BrowserState):
            example = None  # no open conversation
        elif isinstance(component, gr.JSON):
            example = {"说明": "原样传回上一个接口返回的这一项（如 /cite 返回的第 3 项）"}
        else:
            continue
        component.example_payload = component.example_value = lambda example=example: example


def _text_example(label: str, placeholder: str) -> str:
    for lead in ("例如：", "如 "):
        if lead in placeholder:
            return placeholder.split(lead, 1)[1].strip()
    return TEXT_EXAMPLES.get(label, "")


class ChinesePage:
    """ASGI middleware: the HTML of the page gets ``LOCALE_SCRIPT`` and ``GRADIO_TEXT_SCRIPT`` as the first things
    in its <head>."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] not in PAGE_PATHS:
            await self.app(scope, receive, send)
            return
        start: dict = {}
        body = bytearray()

        async def held(message):
            if message["type"] == "http.response.start":
                start.update(message)
                return
            body.extend(message.get("body", b""))
            if message.get("more_body"):
                return
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            page = bytes(body)
            if any(k.lower() == b"content-type" and b"text/html" in v for k, v in headers):
                page = page.replace(b"<head>", b"<head>" + LOCALE_SCRIPT + GRADIO_TEXT_SCRIPT, 1).replace(
                    b'lang="en"', b'lang="zh-CN"', 1
                )
            headers.append((b"content-length", str(len(page)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": page})

        await self.app(scope, receive, held)
