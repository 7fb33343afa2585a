//! `cargo run --example doctor`: reads the environment a service would and
//! explains the database choice step by step, then tries a bounded connect.
//! Redacted throughout. With `--json`, the same report as JSON for a deploy
//! script or a health dashboard (`verdict`, `exit_code`, `url`, `layers`,
//! `resolution`, `connect`, `problems`). Exit code: 0 the configured database
//! is usable, 1 the SQLite fallback would be used, 2 strict mode would refuse
//! to start, 3 the URL is valid but the database cannot be reached, 4 other
//! settings are invalid, 64 an unknown argument.
//!
//! ```sh
//! DATABASE_URL='postgresql://app:p#ss@db:5432/app' cargo run --example doctor
//! DATABASE_URL='postgresql://app:p#ss@db:5432/app' cargo run --example doctor -- --json | jq .verdict
//! ```

use dbsettings::source::Source;
use dbsettings::{DatabaseSettings, DatabaseUrl};

/// What a typical service reads: `DATABASE_URL` (or `POSTGRES_URL`, or
/// libpq's `PG*` variables), falling back to `./data/app.db`.
#[derive(DatabaseSettings)]
struct Settings {
    #[settings(env = "DATABASE_URL", alias = "POSTGRES_URL", connect_timeout = "3s")]
    database_url: DatabaseUrl,
}

/// The exit code of an unknown argument (sysexits' `EX_USAGE`).
const USAGE: u8 = 64;

/// What the doctor prints for `args` (without the program name), and the
/// exit code.
pub(crate) async fn run(
    args: impl IntoIterator<Item = String>,
    source: &dyn Source,
) -> (String, u8) {
    let mut json = false;
    for arg in args {
        match arg.as_str() {
            "--json" => json = true,
            _ => return ("usage: doctor [--json]\n".to_owned(), USAGE),
        }
    }
    let report = dbsettings::doctor::diagnose::<Settings>(source).await;
    let code = report.verdict.code();
    if !json {
        return (report.text, code);
    }
    match serde_json::to_string_pretty(&report) {
        Ok(text) => (text + "\n", code),
        // Not reachable with serde_json's serializer (no map has a
        // non-string key); said rather than unwrapped.
        Err(e) => (format!("{{\"error\": \"{e}\"}}\n"), code),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let (out, code) = run(std::env::args().skip(1), &dbsettings::source::Environment).await;
    if code == USAGE {
        eprint!("{out}");
    } else {
        print!("{out}");
    }
    std::process::ExitCode::from(code)
}
