"""Chinese for what typer prints by itself: its help page's labels ("Usage:", "Options", "Show this message
and exit."), and the messages of a mistyped command line ("Missing argument 'name'.", "No such option").

typer keeps these as plain English strings (its panel titles as module constants, the rest inside its
copy of click), so ``install`` sets the constants and wraps the few methods that produce the rest.
"""

from __future__ import annotations

import re

PANEL_STRINGS = {
    "DEFAULT_STRING": "[默认：{}]",
    "ENVVAR_STRING": "[环境变量：{}]",
    "REQUIRED_LONG_STRING": "[必填]",
    "ARGUMENTS_PANEL_TITLE": "参数",
    "OPTIONS_PANEL_TITLE": "选项",
    "COMMANDS_PANEL_TITLE": "命令",
    "ERRORS_PANEL_TITLE": "错误",
    "ABORTED_TEXT": "已取消。",
    "RICH_HELP": "用 [blue]'{command_path} {help_option}'[/] 查看帮助。",
    "DEPRECATED_STRING": "（已弃用）",
}
HELP_TEXT = "显示本帮助并退出。"
USAGE_PREFIX = "用法："
USAGE_WORDS = {"[OPTIONS]": "[选项]", "COMMAND": "命令", "[ARGS]": "[参数]"}
# (English message, Chinese) for the command-line mistakes typer reports
ERRORS = [
    (re.compile(r"^Missing argument '(.+)'\.$"), r"缺少参数 \1。"),
    (re.compile(r"^Missing option '(.+)'\.$"), r"缺少选项 \1。"),
    (re.compile(r"^Missing parameter: (.+)$"), r"缺少参数：\1"),
    (re.compile(r"^No such option: (\S+) \(Possible options: (.+)\)$"), r"没有选项 \1（是否想用：\2）"),
    (re.compile(r"^No such option: (\S+)$"), r"没有选项 \1"),
    (re.compile(r"^No such command '(.+)'\.$"), r"没有命令 '\1'。"),
    (re.compile(r"^Got unexpected extra arguments? \((.+)\)$"), r"多余的参数：\1"),
    (re.compile(r"^Option '(.+)' requires an argument\.$"), r"选项 \1 需要一个值。"),
    (re.compile(r"^Invalid value for (.+?): (.*)$", re.S), r"\1 的取值无效：\2"),
    (re.compile(r"^Invalid value: (.*)$", re.S), r"取值无效：\1"),
    (re.compile(r"Input should be a valid integer.*$"), "应为整数"),
    (re.compile(r"Input should be a valid number.*$"), "应为数字"),
    (re.compile(r"'(.+)' is not a valid integer\."), r"“\1”不是整数。"),
    (re.compile(r"'(.+)' is not a valid float\."), r"“\1”不是数字。"),
    (re.compile(r"(?:Path|File|Directory) '(.+)' does not exist\."), r"路径 \1 不存在。"),
]


def chinese_error(message: str) -> str:
    for pattern, replacement in ERRORS:
        message = pattern.sub(replacement, message)
    return message


def install() -> None:
    from typer import _click, rich_utils
    from typer._click import core, formatting

    for attribute, text in PANEL_STRINGS.items():
        setattr(rich_utils, attribute, text)

    write_usage = formatting.HelpFormatter.write_usage

    def chinese_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        for english, chinese in USAGE_WORDS.items():
            args = args.replace(english, chinese)
        write_usage(self, prog, args, USAGE_PREFIX if prefix is None else prefix)

    formatting.HelpFormatter.write_usage = chinese_usage

    get_help_option = core.Command.get_help_option

    def chinese_help_option(self, ctx):
        option = get_help_option(self, ctx)
        if option is not None:
            option.help = HELP_TEXT
        return option

    core.Command.get_help_option = chinese_help_option

    format_message = _click.exceptions.ClickException.format_message
    for cls in _subclasses(_click.exceptions.ClickException):
        own = cls.__dict__.get("format_message", format_message)
        cls.format_message = _translated(own)


def _translated(method):
    def format_message(self) -> str:
        return chinese_error(method(self))

    format_message.__wrapped__ = method
    return format_message


def _subclasses(cls) -> list[type]:
    found = [cls]
    for sub in cls.__subclasses__():
        found.extend(_subclasses(sub))
    return found
