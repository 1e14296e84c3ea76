"""`qa user add/list/remove/passwd/grant`: the web app's accounts (``qa.app.store.accounts``)."""

from __future__ import annotations

import os
from typing import Annotated, Optional

import typer

from qa.app.cli.common import ConfigOption, IndexDirOption, JsonOption, app, out, settings_from, user_errors

user = typer.Typer(no_args_is_help=True, help="管理网页的登录账号和知识库权限")
app.add_typer(user, name="user")

PasswordEnvOption = Annotated[
    Optional[str],
    typer.Option("--password-env", help="从这个环境变量读取密码（用于脚本）；不给则在终端输入，不回显"),
]


def _password(env: str | None) -> str:
    from qa.errors import UserError

    if env:
        password = os.environ.get(env, "")
        if not password:
            raise UserError(f"环境变量 {env} 没有设置密码")
        return password
    return typer.prompt("密码", hide_input=True, confirmation_prompt="再输入一次")


def _describe(account) -> str:
    from qa.app.store.accounts import ROLE_ZH

    if account.admin:
        return f"{account.name}  管理员（全部知识库）  {account.created}"
    grants = "、".join(f"{'全部知识库' if kb == '*' else kb}：{ROLE_ZH[role]}" for kb, role in account.grants.items())
    return f"{account.name}  {grants or '尚无任何知识库的权限'}  {account.created}"


@user.command("add")
def user_add(
    name: Annotated[str, typer.Argument(metavar="用户名", help="用户名")],
    admin: Annotated[bool, typer.Option("--admin", help="管理员：全部知识库、设置页、新建知识库")] = False,
    reader: Annotated[list[str], typer.Option("--reader", help="只读的知识库（可多次给出；全部用 '*'）")] = [],  # noqa: B006
    editor: Annotated[list[str], typer.Option("--editor", help="可编辑的知识库（可多次给出；全部用 '*'）")] = [],  # noqa: B006
    password_env: PasswordEnvOption = None,
    index_dir: IndexDirOption = None,
    config: ConfigOption = None,
) -> None:
    """新建账号。第一个账号建立后，网页（重启后）要求登录。"""
    from qa.app.store.accounts import AccountStore

    with user_errors():
        store = AccountStore(settings_from(config, index_dir).index_dir)
        first = not store.has_users()
        grants = {**{kb: "reader" for kb in reader}, **{kb: "editor" for kb in editor}}
        account = store.add(name, _password(password_env), admin=admin, grants=grants)
        out.print(f"已新建账号：{_describe(account)}", highlight=False)
        if first:
            out.print("这是第一个账号：重启 qa serve 后，网页需要登录。", highlight=False)


@user.command("list")
def user_list(index_dir: IndexDirOption = None, config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """列出账号及其权限（不显示密码）。"""
    import json

    from qa.app.store.accounts import AccountStore

    with user_errors():
        accounts = AccountStore(settings_from(config, index_dir).index_dir).users()
        if as_json:
            rows = [{"name": a.name, "admin": a.admin, "grants": a.grants, "created": a.created} for a in accounts]
            out.print_json(json.dumps(rows, ensure_ascii=False))
            return
        if not accounts:
            out.print("还没有账号：网页不要求登录。用 qa user add 用户名 --admin 新建管理员", highlight=False)
        for account in accounts:
            out.print(_describe(account), highlight=False)


@user.command("remove")
def user_remove(
    name: Annotated[str, typer.Argument(metavar="用户名", help="用户名")],
    index_dir: IndexDirOption = None,
    config: ConfigOption = None,
) -> None:
    """删除账号（其对话记录保留在服务器上）。"""
    from qa.app.store.accounts import AccountStore

    with user_errors():
        AccountStore(settings_from(config, index_dir).index_dir).remove(name)
        out.print(f"已删除账号 {name}", highlight=False)


@user.command("passwd")
def user_passwd(
    name: Annotated[str, typer.Argument(metavar="用户名", help="用户名")],
    password_env: PasswordEnvOption = None,
    index_dir: IndexDirOption = None,
    config: ConfigOption = None,
) -> None:
    """修改账号的密码。"""
    from qa.app.store.accounts import AccountStore

    with user_errors():
        AccountStore(settings_from(config, index_dir).index_dir).set_password(name, _password(password_env))
        out.print(f"已修改 {name} 的密码", highlight=False)


@user.command("grant")
def user_grant(
    name: Annotated[str, typer.Argument(metavar="用户名", help="用户名")],
    kb: Annotated[str, typer.Argument(metavar="知识库", help="知识库名称；全部知识库用 '*'")],
    role: Annotated[str, typer.Argument(metavar="权限", help="reader（只读）、editor（编辑）或 none（收回）")],
    index_dir: IndexDirOption = None,
    config: ConfigOption = None,
) -> None:
    """设置账号在某个知识库上的权限。"""
    from qa.app.store.accounts import AccountStore

    with user_errors():
        account = AccountStore(settings_from(config, index_dir).index_dir).grant(name, kb, role)
        out.print(f"已更新：{_describe(account)}", highlight=False)
