"""`qa api` (the HTTP API alone, without the web page) and `qa apikey add/list/revoke`."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from qa.app.cli.common import ConfigOption, IndexDirOption, JsonOption, app, out, settings_from, user_errors

apikey = typer.Typer(no_args_is_help=True, help="管理 API 密钥（OpenAI 兼容接口、Dify 外部知识库接口）")
app.add_typer(apikey, name="apikey")


@app.command()
def api(
    host: Annotated[
        Optional[str], typer.Option("--host", help="监听地址；本机以外访问用 0.0.0.0（须有 API 密钥）")
    ] = None,
    port: Annotated[int, typer.Option("--port", help="端口")] = 8000,
    index_dir: IndexDirOption = None,
    config: ConfigOption = None,
) -> None:
    """只启动 HTTP 接口（OpenAI 兼容、Dify 外部知识库、检索），不含网页。"""
    import uvicorn
    from fastapi import FastAPI

    from qa.app.api.routes import api_router, guard_for
    from qa.app.workspace import Workspace

    with user_errors():
        settings = settings_from(config, index_dir)
        host = host or settings.ui.host
        server = FastAPI(title="经验材料问答 API")
        server.include_router(api_router(settings, Workspace(settings), host))
        out.print(f"接口地址：http://{host}:{port}/v1  （OpenAI 兼容；Dify 外部知识库：http://{host}:{port}）")
        out.print(guard_for(settings, host).mode(), highlight=False)
        uvicorn.run(server, host=host, port=port, log_level="warning")


@apikey.command("add")
def apikey_add(
    name: Annotated[str, typer.Argument(metavar="用途", help="密钥用途，如 “Dify 工作流” 或 “张三的 Cherry Studio”")],
    kb: Annotated[list[str], typer.Option("--kb", help="可用的知识库（可多次给出；所有知识库用 '*'）")] = [],  # noqa: B006
    user: Annotated[
        Optional[str], typer.Option("--user", help="所属账号：密钥只能用该账号有权读取的知识库，账号删除后失效")
    ] = None,
    index_dir: IndexDirOption = None,
    config: ConfigOption = None,
) -> None:
    """新建 API 密钥（只显示这一次，请妥善保存）。"""
    from qa.app.api.keys import key_store
    from qa.app.store.accounts import AccountStore

    with user_errors():
        settings = settings_from(config, index_dir)
        if user:
            AccountStore(settings.index_dir).get(user)  # names the fix when there is no such account
        key, secret = key_store(settings.index_dir).add(name, kb, owner=user or "")
        owned = f"，所属账号：{user}" if user else ""
        out.print(f"已新建 API 密钥 {key.id}（{name}，可用知识库：{'、'.join(key.kbs)}{owned}）：", highlight=False)
        out.print(secret, highlight=False)
        out.print("密钥只显示这一次；服务端只保存它的摘要。")


@apikey.command("list")
def apikey_list(index_dir: IndexDirOption = None, config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """列出 API 密钥（不显示密钥本身）。"""
    import json

    from qa.app.api.keys import key_store

    with user_errors():
        keys = key_store(settings_from(config, index_dir).index_dir).keys()
        rows = [
            {"id": k.id, "name": k.name, "kbs": list(k.kbs), "created": k.created, "revoked": k.revoked} for k in keys
        ]
        if as_json:
            out.print_json(json.dumps(rows, ensure_ascii=False))
            return
        if not rows:
            out.print("还没有 API 密钥：用 qa apikey add 名称 --kb 知识库 新建")
        for row in rows:
            state = "已吊销" if row["revoked"] else "有效"
            out.print(f"{row['id']}  {row['name']}  知识库：{'、'.join(row['kbs'])}  {row['created']}  {state}")


@apikey.command("revoke")
def apikey_revoke(
    key_id: Annotated[str, typer.Argument(metavar="密钥编号", help="密钥编号（qa apikey list 所示）")],
    index_dir: IndexDirOption = None,
    config: ConfigOption = None,
) -> None:
    """吊销 API 密钥：此后用它的请求一律被拒绝。"""
    from qa.app.api.keys import key_store

    with user_errors():
        key = key_store(settings_from(config, index_dir).index_dir).revoke(key_id)
        out.print(f"已吊销 API 密钥 {key.id}（{key.name}）")
