#!/usr/bin/env python3
"""Compile cost, measured side by side (not criterion: these are builds).

1. A cold release build of the macro crate `dbsettings-macros` alone.
2. A crate whose settings struct has 50 fields (one database URL and 49 typed
   fields), derived with dbsettings, envconfig or confique: a cold build with
   all dependencies, then a rebuild of the crate alone after a change to it,
   and the number of crates it pulls in.

    python3 tests/benches/compile_cost.py

Each variant builds in its own fresh target directory under a temp directory.
"""
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIELDS = 49


def fields(render):
    return "\n".join(render(i) for i in range(FIELDS))


VARIANTS = {
    "dbsettings": {
        "deps": f'dbsettings = {{ path = "{ROOT / "runtime"}" }}',
        "main": """use dbsettings::{{DatabaseSettings, DatabaseUrl}};

#[derive(DatabaseSettings, Debug)]
struct Settings {{
    #[settings(env = "DATABASE_URL", fallback = "sqlite::memory:")]
    database_url: DatabaseUrl,
{fields}
}}

fn main() {{
    println!("{{:?}}", Settings::from_env().map(|s| s.f0));
}}
""".format(fields=fields(lambda i: f'    #[settings(env = "F{i}", default = {i})]\n    f{i}: u16,')),
    },
    "envconfig": {
        "deps": 'envconfig = "0.11.1"',
        "main": """use envconfig::Envconfig;

#[derive(Envconfig, Debug)]
struct Settings {{
    #[envconfig(from = "DATABASE_URL", default = "sqlite::memory:")]
    database_url: String,
{fields}
}}

fn main() {{
    println!("{{:?}}", Settings::init_from_env().map(|s| s.f0));
}}
""".format(fields=fields(lambda i: f'    #[envconfig(from = "F{i}", default = "{i}")]\n    f{i}: u16,')),
    },
    "envconfig + sqlx (the same drivers as dbsettings)": {
        "deps": 'envconfig = "0.11.1"\nsqlx = { version = "0.9.0", default-features = false, features = ["runtime-tokio", "migrate", "postgres", "mysql", "sqlite", "tls-rustls-ring-webpki"] }',
        "main": """use envconfig::Envconfig;

#[derive(Envconfig, Debug)]
struct Settings {{
    #[envconfig(from = "DATABASE_URL", default = "sqlite::memory:")]
    database_url: String,
{fields}
}}

fn main() {{
    let s = Settings::init_from_env().unwrap();
    let options: Result<sqlx::sqlite::SqliteConnectOptions, _> = s.database_url.parse();
    println!("{{:?}} {{}}", s.f0, options.is_ok());
}}
""".format(fields=fields(lambda i: f'    #[envconfig(from = "F{i}", default = "{i}")]\n    f{i}: u16,')),
    },
    "confique": {
        "deps": 'confique = { version = "0.4.0", default-features = false }',
        "main": """use confique::Config;

#[derive(Config, Debug)]
struct Settings {{
    #[config(env = "DATABASE_URL", default = "sqlite::memory:")]
    database_url: String,
{fields}
}}

fn main() {{
    println!("{{:?}}", Settings::builder().env().load().map(|s| s.f0));
}}
""".format(fields=fields(lambda i: f'    #[config(env = "F{i}", default = {i})]\n    f{i}: u16,')),
    },
}


def timed(cmd, cwd, env):
    started = time.monotonic()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - started


def crate_count(cwd, env):
    out = subprocess.run(
        ["cargo", "tree", "--prefix", "none", "-e", "normal,build", "--no-dedupe"],
        cwd=cwd, env=env, check=True, capture_output=True, text=True,
    ).stdout
    names = {line.split(" (")[0].strip() for line in out.splitlines() if line.strip()}
    return len(names) - 1  # the crate itself


def main():
    work = pathlib.Path(tempfile.mkdtemp(prefix="dbsettings-compile-"))
    env = dict(os.environ, CARGO_TERM_COLOR="never")
    rows = []
    try:
        target = work / "target-macros"
        e = dict(env, CARGO_TARGET_DIR=str(target))
        secs = timed(["cargo", "build", "--release", "-p", "dbsettings-macros"], ROOT, e)
        rows.append(("dbsettings-macros alone, cold release build", f"{secs:.1f} s", crate_count(ROOT / "macros", e)))

        for name, v in VARIANTS.items():
            slug = name.split()[0] + ("-sqlx" if "sqlx" in name else "")
            crate = work / f"settings-{slug}"
            (crate / "src").mkdir(parents=True)
            (crate / "Cargo.toml").write_text(
                f'[package]\nname = "settings-{slug}"\nversion = "0.1.0"\nedition = "2024"\n\n'
                f'[dependencies]\n{v["deps"]}\n\n[workspace]\n'
            )
            main_rs = crate / "src" / "main.rs"
            main_rs.write_text(v["main"])
            e = dict(env, CARGO_TARGET_DIR=str(work / f"target-{slug}"))
            subprocess.run(["cargo", "fetch"], cwd=crate, env=e, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            cold = timed(["cargo", "build"], crate, e)
            main_rs.write_text(v["main"].replace("fn main() {", "fn main() {\n    let _touched = 1;"))
            warm = timed(["cargo", "build"], crate, e)
            rows.append((f"50-field struct, {name}: cold debug build / rebuild of the crate", f"{cold:.1f} s / {warm:.2f} s", crate_count(crate, e)))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print("| what | time | crates pulled in |")
    print("|---|---|---|")
    for what, t, n in rows:
        print(f"| {what} | {t} | {n} |")


if __name__ == "__main__":
    sys.exit(main())
