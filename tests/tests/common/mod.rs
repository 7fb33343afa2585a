//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

pub mod capture;
pub mod servers;

use std::path::PathBuf;

/// The environment variable that turns every skipped check into a failure;
/// `.ci/run` sets it so that nothing passes silently in CI.
pub const STRICT_TESTS_VAR: &str = "DBSETTINGS_TEST_STRICT";

/// Skips a check loudly, or fails it when `DBSETTINGS_TEST_STRICT` is set.
///
/// The notice goes straight to the process's stderr handle: the test
/// harness captures `eprintln!` of passing tests, so a plain `cargo test`
/// would otherwise say "passed" and nothing else.
pub fn skip(what: &str, why: &str) {
    use std::io::Write as _;
    assert!(
        std::env::var_os(STRICT_TESTS_VAR).is_none(),
        "{what} cannot run: {why} (and {STRICT_TESTS_VAR} forbids skipping)"
    );
    let _ = writeln!(
        std::io::stderr().lock(),
        "\n*** SKIPPED: {what}: {why} ***\n"
    );
}

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests package lives in the workspace")
        .to_path_buf()
}

/// Undoes the corpus escapes: `\n`, `\r`, `\t`, `\\`.
pub fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some(other) => {
                out.push('\\');
                if other != '\\' {
                    out.push(other);
                }
            }
            None => out.push('\\'),
        }
    }
    out
}

/// One row of a corpus file.
#[derive(Debug, Clone)]
pub struct Row {
    pub line: usize,
    /// `None` for `<unset>`.
    pub input: Option<String>,
    pub expect: String,
    pub exposed: Option<String>,
    pub note: String,
}

/// Reads a corpus file's rows, skipping comments and the header.
pub fn read_corpus(path: &std::path::Path) -> Vec<Row> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read the corpus {}: {e}", path.display()));
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#') && !l.starts_with("input\t") && !l.is_empty())
        .map(|(i, l)| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert_eq!(
                cols.len(),
                4,
                "line {} of {} has {} columns",
                i + 1,
                path.display(),
                cols.len()
            );
            Row {
                line: i + 1,
                input: (cols[0] != "<unset>").then(|| unescape(cols[0])),
                expect: cols[1].to_owned(),
                exposed: (cols[2] != "-").then(|| cols[2].to_owned()),
                note: cols[3].to_owned(),
            }
        })
        .collect()
}
