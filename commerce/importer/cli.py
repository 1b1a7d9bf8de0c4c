"""`repo-server commerce import FILE --catalog NAME`: import a catalog feed from the command line.

Exit status: 0 done (or dry run reported), 2 the feed or the request was refused (nothing was
written) or the import stopped (run it again to resume), 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from commerce.importer.feed import infer_format
from commerce.importer.importer import CatalogImporter, ImportOptions, ImportResult
from repo_server.config import load_settings
from repo_server.errors import RepoError
from repo_server.extensions import Extensions, apply_to_repository, load_plugins
from repo_server.session.session import Repository
from repo_server.store.sqlite import SQLiteNodeStore


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="repo-server commerce", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="import a JSON or CSV catalog feed")
    imp.add_argument("file")
    imp.add_argument("--catalog", required=True, help="catalog name under /etc/commerce/products")
    imp.add_argument("--format", choices=["json", "csv"], help="default: from the file name")
    imp.add_argument("--dry-run", action="store_true", help="report what would change")
    imp.add_argument("--remove-missing", action="store_true", help="remove products not in feed")
    imp.add_argument("--skip-invalid", action="store_true", help="import the valid items only")
    imp.add_argument("--data-dir")
    imp.add_argument("--config", help="TOML settings file")
    imp.add_argument("--json", action="store_true", help="print the report as JSON")
    imp.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


class ProgressBar:
    """A one-line progress bar on stderr, redrawn at most ten times a second."""

    def __init__(self, out: TextIO, width: int = 30) -> None:
        self.out = out
        self.width = width
        self.started = time.perf_counter()
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if done < total and now - self.last < 0.1:
            return
        self.last = now
        filled = self.width * done // total if total else self.width
        rate = done / max(now - self.started, 1e-9)
        bar = "#" * filled + "-" * (self.width - filled)
        self.out.write(f"\r[{bar}] {done}/{total} products ({rate:,.0f}/s)")
        if done >= total:
            self.out.write("\n")
        self.out.flush()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_import(args, data))
    except RepoError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        for problem in exc.details.get("errors", []):
            print(f"  {problem['where']}: {problem['message']}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


async def _import(args: argparse.Namespace, data: bytes) -> int:
    settings = load_settings(args.config, overrides={"data_dir": args.data_dir})
    fmt = infer_format(args.file, args.format)
    extensions = Extensions()
    load_plugins(extensions, settings)
    importer = extensions.services.get(CatalogImporter) or CatalogImporter(extensions.services)
    repository = Repository(SQLiteNodeStore(settings.store_path))
    apply_to_repository(extensions, repository)
    await repository.open()
    try:
        options = ImportOptions(
            catalog=args.catalog,
            dry_run=args.dry_run,
            remove_missing=args.remove_missing,
            skip_invalid=args.skip_invalid,
        )
        progress = None if args.quiet or args.json else ProgressBar(sys.stderr)
        result = await importer.import_data(
            repository.session("admin"), data, fmt, options, progress=progress
        )
    finally:
        await repository.close()
    if args.json:
        json.dump(result.as_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(_summary(result))
    return 0


def _summary(result: ImportResult) -> str:
    counts = result.counts()
    verb = "would change" if result.dry_run else "imported into"
    lines = [
        f"{verb} {result.path}: {counts['created']} created, {counts['updated']} updated, "
        f"{counts['deleted']} deleted, {counts['unchanged']} unchanged, "
        f"{counts['skipped']} skipped ({result.operations} operations, {result.saves} saves, "
        f"{result.elapsed:.2f}s)"
    ]
    if result.resumed_from:
        lines.append(f"resumed after product {result.resumed_from}")
    lines += [f"  skipped {p['where']}: {p['message']}" for p in result.skipped]
    return "\n".join(lines)
