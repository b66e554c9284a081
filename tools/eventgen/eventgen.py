#!/usr/bin/python3
"""eventgen: generates code and documents from schema/events.yaml.

Usage (paths default to this repository):
  eventgen.py --cpp-out BUILD/generated     write the C++ sources (only files that changed)
  eventgen.py --write-committed             refresh the committed manifest, docs and TS types
  eventgen.py --check-committed             exit 1 (with a diff) if a committed file is stale
  eventgen.py --out-dir DIR                 write everything under DIR (tests, review)

Exit status: 0 on success, 1 when stale, 2 when the schema is invalid (message on stderr).
"""

import argparse
import difflib
import os
import pathlib
import sys
import tempfile

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from eventgen_lib import asyncapi, cpp, docs, manifest, typescript  # noqa: E402
from eventgen_lib.loader import load_schema  # noqa: E402
from eventgen_lib.schema import SchemaError  # noqa: E402

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
REFRESH_HINT = ("refresh with: tools/eventgen/eventgen.py --write-committed "
                "(or: cmake --build <build-dir> --target regenerate_committed)")


def committed_files(schema):
    return {
        manifest.PATH: manifest.emit(schema),
        docs.PATH: docs.emit(schema),
        asyncapi.PATH: asyncapi.emit(schema),
        typescript.PATH: typescript.emit(schema),
    }


def write_if_changed(path: pathlib.Path, content: str) -> bool:
    """Writes `content` unless the file already holds it, so build timestamps stay put."""
    if path.exists() and path.read_text(encoding="utf-8") == content:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename, so a concurrent reader never sees half a file.
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False,
                                     prefix=f".{path.name}.") as handle:
        handle.write(content)
    os.replace(handle.name, path)
    return True


def write_all(files, root: pathlib.Path):
    for relative, content in files.items():
        if write_if_changed(root / relative, content):
            print(f"eventgen: wrote {relative}")


def check_committed(files, root: pathlib.Path) -> int:
    """Regenerates into a temporary directory and compares with the committed files."""
    stale = []
    with tempfile.TemporaryDirectory(prefix="eventgen-check-") as scratch:
        write_all_quiet(files, pathlib.Path(scratch))
        for relative in files:
            fresh = (pathlib.Path(scratch) / relative).read_text(encoding="utf-8")
            committed_path = root / relative
            committed = (committed_path.read_text(encoding="utf-8")
                         if committed_path.exists() else "")
            if fresh != committed:
                stale.append(relative)
                diff = difflib.unified_diff(committed.splitlines(True), fresh.splitlines(True),
                                            f"committed/{relative}", f"generated/{relative}")
                sys.stdout.writelines(list(diff)[:60])
    if stale:
        print(f"\neventgen: STALE: {', '.join(stale)}\n{REFRESH_HINT}")
        return 1
    print(f"eventgen: {len(files)} committed files are up to date")
    return 0


def write_all_quiet(files, root: pathlib.Path):
    for relative, content in files.items():
        write_if_changed(root / relative, content)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=pathlib.Path, default=REPO_ROOT,
                        help="repository root (committed files are relative to it)")
    parser.add_argument("--schema", type=pathlib.Path, default=None,
                        help="schema file (default ROOT/schema/events.yaml)")
    parser.add_argument("--namespace", default="filament::events")
    parser.add_argument("--upcasters-include", default="events/upcasters.hpp")
    parser.add_argument("--cpp-out", type=pathlib.Path, help="write the C++ sources here")
    parser.add_argument("--out-dir", type=pathlib.Path, help="write every output here")
    parser.add_argument("--write-committed", action="store_true")
    parser.add_argument("--check-committed", action="store_true")
    args = parser.parse_args(argv)
    if not (args.cpp_out or args.out_dir or args.write_committed or args.check_committed):
        parser.error("nothing to do: give --cpp-out, --out-dir, --write-committed or "
                     "--check-committed")
    if not args.namespace.startswith("filament::"):
        parser.error("--namespace must be inside filament::")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    root = args.root.resolve()
    schema_path = (args.schema or root / "schema" / "events.yaml").resolve()
    try:
        display = schema_path.relative_to(root).as_posix()
    except ValueError:
        display = schema_path.name
    try:
        schema = load_schema(schema_path.read_text(encoding="utf-8"), display)
    except SchemaError as error:
        print(f"eventgen: {schema_path}: {error}", file=sys.stderr)
        return 2
    cpp_files = cpp.emit(schema, args.namespace, args.upcasters_include)
    committed = committed_files(schema)
    if args.cpp_out:
        write_all_quiet(cpp_files, args.cpp_out)
    if args.out_dir:
        write_all_quiet({**cpp_files, **committed}, args.out_dir)
    if args.write_committed:
        write_all(committed, root)
    if args.check_committed:
        return check_committed(committed, root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
