#!/usr/bin/env python3
"""A newcomer's first run, timed: the README's two commands on a fresh clone.

1. The reference: a minimal crate that depends on sqlx with the drivers and
   features dbsettings turns on by default, built cold (`cargo build`).
2. `cargo run --example quickstart` on a fresh clone, cold.
3. With `--suite`: `cargo test --workspace` in the same clone, after the
   quickstart's build, with the wall time of each test binary.

    python3 tests/benches/first_run.py [--suite] [--rev COMMIT] [--repo DIR]

Each build has a fresh target directory of its own under a temp directory;
the clone is `git clone` of this repository (its committed state, at
`--rev` when given). Dependencies are fetched before the clock starts. The
machine may be busy with other work: the ratio of the first two, measured
one after the other, says more than their absolute times.
"""
import argparse
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]

# sqlx as dbsettings' default features turn it on (runtime/Cargo.toml and
# the workspace's `sqlx` entry).
MINIMAL_MANIFEST = """[package]
name = "minimal-sqlx"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
sqlx = { version = "0.9.0", default-features = false, features = ["runtime-tokio", "migrate", "postgres", "mysql", "sqlite", "tls-rustls-ring-webpki"] }

[workspace]
"""

MINIMAL_MAIN = """fn main() {
    let options: Result<sqlx::sqlite::SqliteConnectOptions, _> = "sqlite::memory:".parse();
    println!("{}", options.is_ok());
}
"""

COMPILING = re.compile(r"^\s*Compiling ", re.M)
RUNNING = re.compile(r"^\s*(Running|Doc-tests) (.+)$")
BINARY = re.compile(r"^(?:unittests )?(\S+) \(.*deps/(.+)-[0-9a-f]+\)$")


def step_name(kind, what):
    """`tests/ui.rs (target/debug/deps/ui-0123)` -> `ui: tests/ui.rs`."""
    if kind == "Doc-tests":
        return f"doc tests of {what}"
    m = BINARY.match(what)
    return f"{m.group(2)}: {m.group(1)}" if m else what


def clean_env(target):
    env = dict(os.environ, CARGO_TERM_COLOR="never", CARGO_TARGET_DIR=str(target))
    for var in ("DATABASE_URL", "POSTGRES_URL", "RUSTFLAGS", "CARGO_INCREMENTAL"):
        env.pop(var, None)
    return env


def fetch(cwd, env):
    subprocess.run(["cargo", "fetch"], cwd=cwd, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def timed(cmd, cwd, env):
    """Runs `cmd`; returns (seconds, crates compiled, output)."""
    started = time.monotonic()
    out = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    secs = time.monotonic() - started
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{out.stdout[-4000:]}")
    return secs, len(COMPILING.findall(out.stdout)), out.stdout


def suite(cwd, env):
    """`cargo test --workspace`, streamed: the total, the build before the
    first test binary, each binary's wall time (for doc tests, their
    compile too), and whether it failed."""
    started = time.monotonic()
    # --no-fail-fast: a failing binary does not hide the time of the rest.
    proc = subprocess.Popen(["cargo", "test", "--workspace", "--no-fail-fast"], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    marks, log = [], []
    for line in proc.stdout:
        log.append(line)
        m = RUNNING.match(line)
        if m:
            marks.append((step_name(m.group(1), m.group(2).strip()), time.monotonic() - started))
    proc.wait()
    total = time.monotonic() - started
    text = "".join(log)
    failed = proc.returncode != 0
    if failed:
        # The timings still say where the minutes went; what failed goes to stderr.
        said = [l for l in log if "FAILED" in l or "panicked" in l or "error:" in l]
        print("cargo test --workspace FAILED:\n" + "".join(said), file=sys.stderr)
    compiled = len(COMPILING.findall(text))
    rows = [("build before the first test binary", marks[0][1] if marks else total)]
    for i, (name, at) in enumerate(marks):
        end = marks[i + 1][1] if i + 1 < len(marks) else total
        rows.append((name, end - at))
    return total, compiled, rows, failed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", action="store_true", help="also time cargo test --workspace")
    parser.add_argument("--rev", help="measure this commit instead of HEAD")
    parser.add_argument("--repo", default=str(ROOT), help="clone this repository (default: this one)")
    args = parser.parse_args()

    work = pathlib.Path(tempfile.mkdtemp(prefix="dbsettings-first-run-"))
    try:
        clone = work / "clone"
        subprocess.run(["git", "clone", "--quiet", args.repo, str(clone)], check=True)
        if args.rev:
            subprocess.run(["git", "checkout", "--quiet", args.rev], cwd=clone, check=True)
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=clone, check=True,
                             capture_output=True, text=True).stdout.strip()

        minimal = work / "minimal-sqlx"
        (minimal / "src").mkdir(parents=True)
        (minimal / "Cargo.toml").write_text(MINIMAL_MANIFEST)
        (minimal / "src" / "main.rs").write_text(MINIMAL_MAIN)
        # The clone's versions, so both build the same sqlx.
        shutil.copy(clone / "Cargo.lock", minimal / "Cargo.lock")
        env = clean_env(work / "target-minimal")
        fetch(minimal, env)
        ref_secs, ref_crates, _ = timed(["cargo", "build"], minimal, env)

        env = clean_env(work / "target-clone")
        fetch(clone, env)
        qs_secs, qs_crates, _ = timed(["cargo", "run", "--example", "quickstart"], clone, env)

        print(f"commit {rev}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the end\n")
        print("| what | cold build | crates compiled |")
        print("|---|---|---|")
        print(f"| minimal crate on sqlx (same drivers and features), `cargo build` | {ref_secs:.1f} s | {ref_crates} |")
        print(f"| fresh clone, `cargo run --example quickstart` | {qs_secs:.1f} s | {qs_crates} |")
        print(f"\nratio: {qs_secs / ref_secs:.2f}x")

        if args.suite:
            total, compiled, rows, failed = suite(clone, env)
            print(f"\n`cargo test --workspace` after the quickstart: {total:.0f} s "
                  f"({total / 60:.1f} min), {compiled} crates compiled"
                  f"{', FAILED' if failed else ''}\n")
            print("| step | wall time |")
            print("|---|---|")
            for name, secs in rows:
                print(f"| {name} | {secs:.1f} s |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
