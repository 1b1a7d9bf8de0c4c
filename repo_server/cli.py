"""The `repo-server` command line: serve, load, export, check, get."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from typing import Any

from repo_server.config import Settings, load_settings
from repo_server.errors import RepoError


def _settings(args: argparse.Namespace, **extra: Any) -> Settings:
    overrides = {
        "data_dir": getattr(args, "data_dir", None),
        "role": getattr(args, "role", None),
        "host": getattr(args, "host", None),
        "port": getattr(args, "port", None),
        "publish_url": getattr(args, "publish_url", None),
        **extra,
    }
    return load_settings(getattr(args, "config", None), overrides=overrides)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="repo-server", description=__doc__)
    parser.add_argument("--config", help="TOML settings file")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="start the HTTP server")
    serve.add_argument("--role", choices=["author", "publish"])
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--data-dir")
    serve.add_argument("--publish-url")
    serve.add_argument("--demo", action="store_true", help="load the demo content on first start")

    load = sub.add_parser("load", help="load JSON content files into the repository")
    load.add_argument("files", nargs="+")
    load.add_argument("--data-dir")
    load.add_argument("--path", help="where to put a file without a ':path' member")
    load.add_argument("--quiet", action="store_true")

    export = sub.add_parser("export", help="print a subtree as JSON content")
    export.add_argument("path")
    export.add_argument("--data-dir")

    check = sub.add_parser("check", help="verify the tree invariants of the store")
    check.add_argument("--data-dir")

    get = sub.add_parser("get", help="answer one GET request in-process and print it")
    get.add_argument("url")
    get.add_argument("--data-dir")
    get.add_argument("--user", default="admin")

    engine = sub.add_parser("engine", help="the commerce engine (OData Integration API)")
    engine.add_argument("engine_args", nargs=argparse.REMAINDER)
    # Any other `repo_server.commands` entry point is a subcommand that gets the rest of argv.
    for name in _plugin_commands():
        if name not in sub.choices:
            command = sub.add_parser(name, help=f"{name} (plugin command)", add_help=False)
            command.add_argument("plugin_args", nargs=argparse.REMAINDER)
    return parser


def _plugin_commands() -> list[str]:
    from importlib.metadata import entry_points

    return sorted({ep.name for ep in entry_points(group="repo_server.commands")})


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    args = _parser().parse_args(argv)
    try:
        if args.command == "serve":
            from repo_server.server import serve

            return serve(_settings(args, load_demo=True if args.demo else None))
        if args.command == "load":
            from repo_server.loader import load_files

            return asyncio.run(load_files(_settings(args), args.files, args.path, quiet=args.quiet))
        if args.command == "export":
            from repo_server.loader import export_tree

            doc = asyncio.run(export_tree(_settings(args), args.path))
            json.dump(doc, sys.stdout, indent=2, ensure_ascii=False)
            sys.stdout.write("\n")
            return 0
        if args.command == "check":
            from repo_server.check import check_store

            problems = asyncio.run(check_store(_settings(args)))
            for problem in problems:
                print(problem)
            print("ok" if not problems else f"{len(problems)} problem(s)")
            return 0 if not problems else 1
        if args.command == "get":
            from repo_server.server import get_once

            return asyncio.run(get_once(_settings(args), args.url, args.user))
        if args.command == "engine":
            # Plugins contribute subcommands through an entry point group, so the CLI needs
            # no import of any plugin package (repo_server never imports commerce).
            from importlib.metadata import entry_points

            found = [ep for ep in entry_points(group="repo_server.commands") if ep.name == "engine"]
            if not found:
                print("the commerce engine is not installed", file=sys.stderr)
                return 2
            return int(found[0].load()(args.engine_args))
        if hasattr(args, "plugin_args"):
            from importlib.metadata import entry_points

            (ep,) = [
                e for e in entry_points(group="repo_server.commands") if e.name == args.command
            ]
            return int(ep.load()(args.plugin_args))
    except RepoError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 2
