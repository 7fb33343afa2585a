//! What a statement's text starts with, read as PostgreSQL's lexer would
//! (white space, `--` and nested `/* */` comments, quoted strings with
//! `''` and, in `E''` strings, backslash escapes, quoted identifiers,
//! dollar quotes): the first two words of each statement of a script. Two
//! questions are asked of them: may a statement that met an ended session
//! run again, and does a script end the transaction that carries a
//! pooler's per-transaction settings.

/// The first two words of each non-empty statement, upper-cased.
fn heads(sql: &str) -> Vec<(String, String)> {
    let bytes = sql.as_bytes();
    let mut heads = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut i = 0;
    let flush = |words: &mut Vec<String>, heads: &mut Vec<(String, String)>| {
        if let Some(first) = words.first() {
            heads.push((first.clone(), words.get(1).cloned().unwrap_or_default()));
        }
        words.clear();
    };
    let mut empty_so_far = true;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b';' => {
                flush(&mut words, &mut heads);
                empty_so_far = true;
                i += 1;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let mut depth = 0;
                while i < bytes.len() {
                    if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            }
            b'\'' => {
                let escapes = i > 0
                    && matches!(bytes[i - 1], b'e' | b'E')
                    && (i < 2 || !bytes[i - 2].is_ascii_alphanumeric());
                i = skip_quoted(bytes, i, b'\'', escapes);
                empty_so_far = false;
            }
            b'"' => {
                i = skip_quoted(bytes, i, b'"', false);
                empty_so_far = false;
            }
            b'$' => {
                // `$tag$ ... $tag$` (or a `$1` parameter).
                let end = bytes[i + 1..]
                    .iter()
                    .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
                    .map(|p| i + 1 + p);
                match end {
                    Some(e) if bytes[e] == b'$' && !bytes[i + 1].is_ascii_digit() => {
                        let tag = &sql[i..=e];
                        i = sql[e + 1..]
                            .find(tag)
                            .map_or(bytes.len(), |p| e + 1 + p + tag.len());
                    }
                    _ => i += 1,
                }
                empty_so_far = false;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || matches!(bytes[i], b'_' | b'$'))
                {
                    i += 1;
                }
                if words.len() < 2 && (empty_so_far || !words.is_empty()) {
                    words.push(sql[start..i].to_ascii_uppercase());
                }
                empty_so_far = false;
            }
            c if c.is_ascii_whitespace() => i += 1,
            b'(' if empty_so_far => i += 1,
            _ => {
                // Anything else before the first word: not a word start.
                if words.is_empty() {
                    empty_so_far = false;
                }
                i += 1;
            }
        }
    }
    flush(&mut words, &mut heads);
    heads
}

/// Past a quoted string or identifier opened at `open`.
fn skip_quoted(bytes: &[u8], open: usize, quote: u8, escapes: bool) -> usize {
    let mut i = open + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if escapes => i += 2,
            b if b == quote && bytes.get(i + 1) == Some(&quote) => i += 2,
            b if b == quote => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// Whether a statement that met a session the server had ended may be
/// sent again: one statement, which commits (if at all) only as a whole
/// at its end, so an end of the session before its answer means it did
/// not commit. Not `CALL` or `DO` (a procedure may commit part way), not a
/// script of several statements.
pub(crate) fn replayable(sql: &str) -> bool {
    let heads = heads(sql);
    heads.len() == 1
        && matches!(
            heads[0].0.as_str(),
            "SELECT"
                | "INSERT"
                | "UPDATE"
                | "DELETE"
                | "WITH"
                | "VALUES"
                | "TABLE"
                | "SHOW"
                | "MERGE"
        )
}

/// The statement of a script that would end the transaction it runs in
/// (`COMMIT`, `ROLLBACK` but `ROLLBACK TO`, `END`, `ABORT`, and `CALL`
/// or `DO`, whose procedures may commit), if any.
pub(crate) fn ends_transaction(sql: &str) -> Option<String> {
    heads(sql).into_iter().find_map(|(first, second)| {
        let ends = match first.as_str() {
            "COMMIT" | "END" | "ABORT" | "CALL" | "DO" => true,
            "ROLLBACK" => second != "TO",
            _ => false,
        };
        ends.then_some(first)
    })
}

#[cfg(test)]
mod tests {
    use super::{ends_transaction, replayable};

    #[test]
    fn single_statements_run_again_procedures_and_scripts_do_not() {
        for sql in [
            "SELECT 1",
            "  -- a comment\n select $1 + 1",
            "/* a /* nested */ comment */ INSERT INTO t VALUES ($1) RETURNING id",
            "WITH x AS (DELETE FROM t RETURNING *) SELECT count(*) FROM x",
            "(SELECT 1) UNION (SELECT 2)",
            "SELECT 'a;b', \"c;d\", $q$;COMMIT;$q$, E'\\';' ;",
            "UPDATE t SET s = 'it''s; COMMIT' WHERE id = $1",
        ] {
            assert!(replayable(sql), "{sql}");
        }
        for sql in [
            "CALL p($1)",
            "DO $$ BEGIN INSERT INTO t VALUES (1); COMMIT; END $$",
            "INSERT INTO t VALUES (1); SELECT 1",
            "BEGIN; INSERT INTO t VALUES (1); COMMIT",
            "VACUUM t",
            "",
        ] {
            assert!(!replayable(sql), "{sql}");
        }
    }

    #[test]
    fn what_ends_a_transaction_is_found_outside_quotes_and_comments() {
        for (sql, found) in [
            ("COMMIT; INSERT INTO t VALUES (1)", "COMMIT"),
            (
                "BEGIN; SELECT 1; commit; INSERT INTO t VALUES (1)",
                "COMMIT",
            ),
            ("ROLLBACK; INSERT INTO t VALUES (1)", "ROLLBACK"),
            ("END; BEGIN; INSERT INTO t VALUES (1)", "END"),
            ("abort", "ABORT"),
            ("CALL p()", "CALL"),
            ("DO $$ BEGIN NULL; END $$", "DO"),
        ] {
            assert_eq!(ends_transaction(sql).as_deref(), Some(found), "{sql}");
        }
        for sql in [
            "SELECT CASE WHEN x THEN 1 ELSE 0 END FROM t",
            "SAVEPOINT a; ROLLBACK TO a; RELEASE a",
            "SELECT 'COMMIT'; -- COMMIT\n SELECT \"end\" /* ROLLBACK */",
            "SELECT $x$; COMMIT; $x$",
            "INSERT INTO t (commit) VALUES (1)",
        ] {
            assert_eq!(ends_transaction(sql), None, "{sql}");
        }
    }
}
