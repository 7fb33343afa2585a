#!/usr/bin/env python3
"""The stages of `runtime/src` import only downward.

Each top-level module has a rank; a reference `crate::<module>` (or a name
the crate root re-exports from a module) from a module of lower rank than
its target is an upward import, and fails this check. The order is the one
the crate docs (`runtime/src/lib.rs`, "How the crate is built") describe.

    python3 .ci/imports.py        # exit 1 and the offending lines, if any
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1] / "runtime" / "src"

# Lowest first. A module may use any module of its own rank or lower.
RANKS = {
    "backend": 0,
    "resolution": 1,  # the report: leaves, importing only `backend`
    "settings_error": 2,
    "log": 2,
    "source": 3,
    "tls_relay": 3,  # PostgreSQL's TLS as libpq's: below the URL stage that routes to it
    "url": 4,
    "pool": 5,
    "query": 6,
    "load": 7,
    "doctor": 8,
}

# Macros exported at the root, and the derive's hidden module, are part of
# the front door every stage may name in docs and generated code.
EXEMPT = {"__private", "on_pool", "sql", "sqlx", "__dbsettings_postgres_arm",
          "__dbsettings_mysql_arm", "__dbsettings_sqlite_arm"}


def root_names():
    """Names the crate root re-exports, mapped to the module they come from."""
    text = (ROOT / "lib.rs").read_text()
    names = {}
    for m in re.finditer(r"pub use (\w+)::(\{[^}]*\}|[\w:]+)\s*;", text, re.S):
        module, items = m.group(1), m.group(2)
        if module not in RANKS:
            continue
        for item in re.split(r"[,{}\s]+", items):
            item = item.split("::")[-1]
            if item and item != "self":
                names[item] = module
    return names


def module_of(path):
    rel = path.relative_to(ROOT)
    return rel.parts[0].removesuffix(".rs")


def main():
    names = root_names()
    bad = []
    for path in sorted(ROOT.rglob("*.rs")):
        here = module_of(path)
        if here not in RANKS:
            continue  # lib.rs: the front door
        text = path.read_text()
        # Comments out (doc links name other stages freely), lines kept.
        code = "\n".join(line.split("//", 1)[0] for line in text.splitlines())
        lines = text.splitlines()
        targets = []
        for m in re.finditer(r"\bcrate::(\w+)", code):
            targets.append((m.start(), m.group(1)))
        # `use crate::{a, b::c, ...}`, over several lines too.
        for m in re.finditer(r"\bcrate::\{([^}]*)\}", code, re.S):
            for item in re.finditer(r"[\w:]+", m.group(1)):
                targets.append((m.start(1) + item.start(), item.group(0).split("::")[0]))
        for at, target in targets:
            target = names.get(target, target)
            if target in EXEMPT or target not in RANKS:
                continue
            if RANKS[target] > RANKS[here]:
                n = code.count("\n", 0, at)
                bad.append(f"{path.relative_to(ROOT.parent)}:{n + 1}: {here} imports {target}, a later stage: {lines[n].strip()}")
    for b in bad:
        print(b)
    if bad:
        print(f"{len(bad)} upward import(s): the stages of runtime/src import only downward (.ci/imports.py)")
        return 1
    print("imports: every stage imports only downward")
    return 0


if __name__ == "__main__":
    sys.exit(main())
