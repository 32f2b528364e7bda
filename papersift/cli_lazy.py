"""Commands whose module is imported only when the command runs (or its own --help).

``papersift --help`` and ``stats`` imported every command module, and with them httpx,
jinja2, smtplib, the digest and export code (0.4 s of the 0.6 s left once scikit-learn was
deferred, measured with ``-X importtime``). A lazy command is registered by name and
``"module:function"``; ``papersift --help`` reads its one-line help from the function's
docstring in the module's source (``ast``, ~1 ms a module) instead of importing it.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
from dataclasses import dataclass
from typing import Any

import click


@dataclass(frozen=True)
class LazyCommand:
    """``target`` is ``"package.module:function"``, a click command."""

    target: str

    def short_help(self) -> str:
        """The first paragraph of the command function's docstring, read from the source."""
        module_name, _, attribute = self.target.partition(":")
        spec = importlib.util.find_spec(module_name)
        if spec is None or spec.origin is None:
            return ""
        with open(spec.origin, encoding="utf-8") as f:
            tree = ast.parse(f.read())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name == attribute:
                doc = ast.get_docstring(node) or ""
                return " ".join(doc.split("\n\n")[0].split())
        return ""

    def load(self) -> click.Command:
        module_name, _, attribute = self.target.partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.target} is not a click command")
        return command


class LazyGroup(click.Group):
    """A click group some of whose commands are ``LazyCommand``s, imported on first use."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, LazyCommand] = {}

    def add_lazy(self, name: str, target: str) -> None:
        """Register ``target`` (``"module:function"``) as command ``name``, not importing it."""
        self.lazy[name] = LazyCommand(target)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            self.add_command(self.lazy[cmd_name].load(), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """As click's, with the stored one-liner of lazy commands not imported yet."""
        names = [n for n in self.list_commands(ctx) if n in self.commands or n in self.lazy]
        rows = []
        limit = formatter.width - 6 - max((len(n) for n in names), default=0)
        for name in names:
            if name in self.commands:
                command = self.commands[name]
                if command.hidden:
                    continue
                rows.append((name, command.get_short_help_str(limit)))
            else:
                stand_in = click.Command(name, help=self.lazy[name].short_help())
                rows.append((name, stand_in.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
