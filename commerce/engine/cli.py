"""``commerce-engine serve``: run the engine (also reachable as ``repo-server engine``)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web

from commerce.engine.config import SettingsError, load_settings
from commerce.engine.http.app import create_app


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="commerce-engine", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the Integration API over HTTP")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=9002, help="port (default 9002)")
    serve.add_argument("--data-dir", type=Path, required=True, help="engine data directory")
    serve.add_argument(
        "--definitions", type=Path, help="JSON file of integration objects loaded at start"
    )
    serve.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting, e.g. odata2services.page.size.max=500",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    overrides: dict[str, str] = {"host": args.host, "port": str(args.port)}
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep:
            print(f"--set needs NAME=VALUE, not {item!r}", file=sys.stderr)
            return 2
        overrides[name.strip()] = value.strip()
    if args.definitions is not None:
        overrides["definitions_file"] = str(args.definitions)
    try:
        settings = load_settings(args.data_dir, overrides=overrides)
    except SettingsError as exc:
        print(exc.message, file=sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    web.run_app(create_app(settings), host=settings.host, port=settings.port, print=None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
