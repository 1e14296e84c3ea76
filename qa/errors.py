"""One family of errors: every failure a user can meet carries a Chinese message and, where there is
one, the fix. The CLI and the web app catch ``QAError`` alone; anything else is a bug, shown as a
short Chinese message with the details in the log.
"""

from __future__ import annotations


class QAError(Exception):
    """What went wrong (``message``) and what to do about it (``fix``), both in Chinese."""

    def __init__(self, message: str, fix: str = "") -> None:
        self.message, self.fix = message, fix
        super().__init__(f"{message}：{fix}" if fix else message)


class SettingsError(QAError):
    """config.yaml or a QA_* variable holds a value that cannot be used."""


class LoadError(QAError):
    """A file that cannot be read."""


class KnowledgeBaseError(QAError):
    """The knowledge base is missing, inconsistent, busy or built with another embedder."""


class EmbedderError(QAError):
    """The configured embedding model cannot be loaded."""


class BackendError(QAError):
    """The vector store (Milvus) is unreachable or refused a request."""


class LLMError(QAError):
    """The LLM endpoint could not answer; ``why`` says so in a few words for the answer's first line."""

    def __init__(self, message: str, fix: str = "", why: str = "未能回答") -> None:
        super().__init__(message, fix)
        self.why = why


class UserError(QAError):
    """A request the user can correct (an empty question, a bad name, a missing choice)."""


UNEXPECTED = "处理时出现意外错误，详细信息已写入日志：请重试，若仍出错请把日志发给维护人员"
