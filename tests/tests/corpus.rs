//! Every row of `tests/corpus/database_urls.tsv` resolves as the row says.

mod common;

use dbsettings::{Backend, DatabaseSettings, DatabaseUrl};

#[derive(DatabaseSettings, Debug)]
struct Settings {
    #[settings(env = "DATABASE_URL")]
    database_url: DatabaseUrl,
}

#[test]
fn every_corpus_row_resolves_as_expected() {
    let path = common::root().join("tests/corpus/database_urls.tsv");
    let rows = common::read_corpus(&path);
    assert!(rows.len() >= 40, "the corpus has only {} rows", rows.len());
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().to_str().unwrap();

    let mut failures = Vec::new();
    for row in &rows {
        let mut vars = vec![("DBSETTINGS_DATA_DIR".to_owned(), data_dir.to_owned())];
        if let Some(input) = &row.input {
            vars.push(("DATABASE_URL".to_owned(), input.clone()));
        }
        let settings = Settings::from_vars(vars).expect("the URL field never errors");
        let url = &settings.database_url;
        let got = if url.is_fallback() {
            "fallback"
        } else {
            match url.backend() {
                Backend::Postgres => "postgres",
                Backend::MySql => "mysql",
                Backend::Sqlite => "sqlite",
                _ => "other",
            }
        };
        if got != row.expect {
            failures.push(format!(
                "line {} ({}): expected {}, got {got}: {}",
                row.line,
                row.note,
                row.expect,
                url.resolution()
            ));
            continue;
        }
        if let Some(exposed) = &row.exposed
            && url.expose_secret() != exposed
        {
            failures.push(format!(
                "line {} ({}): exposed {:?}, expected {exposed:?}",
                row.line,
                row.note,
                url.expose_secret()
            ));
        }
        if url.is_fallback() {
            assert!(url.resolution().fallback_reason().is_some());
            assert_eq!(url.backend(), Backend::Sqlite);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
    eprintln!("corpus: {} rows passed", rows.len());
}

/// Rows of the shared corpus whose expectation a later issue changed, with
/// the reason; our copy holds the new one. Each must still be in the shared
/// corpus with the old expectation, so this list cannot go stale unnoticed.
const SUPERSEDED: &[(&str, &str, &str)] = &[];

#[test]
fn copy_holds_every_row_of_the_shared_corpus() {
    let shared = common::root().join("../shared/corpus/database_urls.tsv");
    if !shared.exists() {
        common::skip(
            "comparing the corpus with ../shared",
            "../shared is not beside this clone",
        );
        return;
    }
    let ours = common::read_corpus(&common::root().join("tests/corpus/database_urls.tsv"));
    let theirs = common::read_corpus(&shared);
    assert!(!theirs.is_empty(), "the shared corpus is empty");
    for (input, now, why) in SUPERSEDED {
        let theirs_row = theirs.iter().find(|t| t.input.as_deref() == Some(*input));
        assert!(
            theirs_row.is_some_and(|t| t.expect != *now),
            "{input:?} ({why}) is no longer superseded: remove it from SUPERSEDED"
        );
        assert!(
            ours.iter()
                .any(|o| o.input.as_deref() == Some(*input) && o.expect == *now),
            "{input:?} must expect {now} here ({why})"
        );
    }
    let missing: Vec<_> = theirs
        .iter()
        .filter(|t| {
            let superseded = SUPERSEDED
                .iter()
                .any(|(input, ..)| t.input.as_deref() == Some(*input));
            !superseded
                && !ours
                    .iter()
                    .any(|o| o.input == t.input && o.expect == t.expect && o.exposed == t.exposed)
        })
        .map(|t| format!("line {}: {:?}", t.line, t.input))
        .collect();
    assert!(
        missing.is_empty(),
        "rows of the shared corpus missing or different here:\n{}",
        missing.join("\n")
    );
}

/// Each crate carries the duration table its parser is tested against (so
/// each packaged crate tests on its own); the two copies must not drift.
#[test]
fn both_crates_test_their_duration_parsers_against_one_table() {
    let root = common::root();
    let macros = std::fs::read_to_string(root.join("macros/src/duration_table.txt")).unwrap();
    let runtime =
        std::fs::read_to_string(root.join("runtime/src/load/duration_table.txt")).unwrap();
    assert_eq!(
        macros, runtime,
        "the duration tables differ: copy one over the other"
    );
}
