//! `sql!`: a statement written once with PostgreSQL's `$N` placeholders,
//! and its MySQL form, where each `$N` becomes `?`. sqlx's SQLite driver
//! reads `$N` itself, so PostgreSQL's form serves SQLite too.
//!
//! MySQL's `?` is positional, so a translation exists only when the
//! parameters appear as `$1`, `$2`, ... in order, each once; anything else
//! is an error on the statement. The SQL is lexed, not searched: `$N`
//! inside `'...'` strings (with `''`), `E'...'` strings (with backslash
//! escapes), `"..."` and `` `...` `` identifiers, `$tag$...$tag$` dollar
//! quotes and `--` or `/* */` comments is text, and `$` inside an
//! identifier (`a$1`) is part of it.
//!
//! An `INSERT` that ends in `RETURNING <column>` also gets the MySQL form
//! without that clause, for `insert_id`, which reads `LAST_INSERT_ID()`
//! there instead (MySQL has no `RETURNING`). Other statements that end in
//! `RETURNING <column>` (`UPDATE`, `DELETE`) get no such form: no id is
//! generated for them, so `insert_id` does not take them.

/// The forms of one statement.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Forms {
    /// PostgreSQL's and SQLite's: the statement as written.
    pub(crate) postgres: String,
    /// MySQL's: each `$N` replaced by `?`.
    pub(crate) mysql: String,
    /// MySQL's without a trailing `RETURNING <column>`, for an `INSERT`
    /// that has one.
    pub(crate) mysql_insert: Option<String>,
}

/// A code token the `RETURNING` rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    /// A bare word: a keyword or an identifier, from `start` to `end`.
    Word(usize, usize),
    /// A quoted identifier: `"..."` or `` `...` ``.
    Quoted,
    /// `$N`.
    Param,
    /// A string, dollar-quoted or not.
    Text,
    /// `;`
    Semicolon,
    /// Any other character outside quotes and comments.
    Other,
}

/// A `$N` placeholder: its number and where it is.
struct Param {
    number: u32,
    start: usize,
    end: usize,
}

/// Lexes `sql` and translates it, or says why no translation exists.
pub(crate) fn translate(sql: &str) -> Result<Forms, String> {
    let (tokens, params) = lex(sql)?;
    check_order(&params)?;
    let mysql = replace(sql, &params, sql.len());
    let mysql_insert = returning_start(&tokens, sql).map(|cut| {
        let before: Vec<&Param> = params.iter().filter(|p| p.end <= cut).collect();
        let text = replace_some(sql, &before, cut);
        text.trim_end().to_owned()
    });
    Ok(Forms {
        postgres: sql.to_owned(),
        mysql,
        mysql_insert,
    })
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || !c.is_ascii()
}

fn is_ident_continue(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$' || !c.is_ascii()
}

/// The code tokens and the placeholders of `sql`.
fn lex(sql: &str) -> Result<(Vec<Token>, Vec<Param>), String> {
    let b = sql.as_bytes();
    let mut tokens = Vec::new();
    let mut params = Vec::new();
    let mut i = 0;
    while let Some(c) = sql[i..].chars().next() {
        let at = i;
        i += c.len_utf8();
        match c {
            '\'' => {
                i = quoted(sql, i, '\'', false)
                    .ok_or("the statement has an unterminated '...' string")?;
                tokens.push(Token::Text);
            }
            '"' | '`' => {
                i = quoted(sql, i, c, false).ok_or_else(|| {
                    format!("the statement has an unterminated {c}...{c} identifier")
                })?;
                tokens.push(Token::Quoted);
            }
            '-' if b.get(i) == Some(&b'-') => {
                i = sql[i..].find('\n').map_or(sql.len(), |n| i + n + 1);
            }
            '/' if b.get(i) == Some(&b'*') => {
                i = block_comment(sql, i + 1)
                    .ok_or("the statement has an unterminated /* comment")?;
            }
            '$' if b.get(i).is_some_and(u8::is_ascii_digit) => {
                let digits = sql[i..].bytes().take_while(u8::is_ascii_digit).count();
                let text = &sql[i..i + digits];
                let number: u32 = text
                    .parse()
                    .map_err(|_| format!("the parameter `${text}` is out of range"))?;
                if number == 0 {
                    return Err("parameters are numbered from `$1`; `$0` is not one".to_owned());
                }
                i += digits;
                params.push(Param {
                    number,
                    start: at,
                    end: i,
                });
                tokens.push(Token::Param);
            }
            '$' => {
                // `$$` or `$tag$`: a dollar-quoted string, to the same tag.
                let tag_len = sql[i..]
                    .char_indices()
                    .take_while(|&(n, ch)| {
                        if n == 0 {
                            is_ident_start(ch)
                        } else {
                            is_ident_continue(ch) && ch != '$'
                        }
                    })
                    .map(|(n, ch)| n + ch.len_utf8())
                    .last()
                    .unwrap_or(0);
                if sql[i + tag_len..].starts_with('$') {
                    let tag = &sql[at..=i + tag_len];
                    let body = i + tag_len + 1;
                    let close = sql[body..].find(tag).ok_or_else(|| {
                        format!("the statement has an unterminated {tag}...{tag} string")
                    })?;
                    i = body + close + tag.len();
                    tokens.push(Token::Text);
                } else {
                    tokens.push(Token::Other);
                }
            }
            '?' => {
                return Err("`?` is a placeholder on MySQL and SQLite: write parameters as `$1`, `$2`, ... (PostgreSQL's jsonb `?` operators cannot be written once for every backend)".to_owned());
            }
            ';' => tokens.push(Token::Semicolon),
            c if is_ident_start(c) => {
                let len = sql[i..]
                    .char_indices()
                    .take_while(|&(_, ch)| is_ident_continue(ch))
                    .map(|(n, ch)| n + ch.len_utf8())
                    .last()
                    .unwrap_or(0);
                i += len;
                if (c == 'e' || c == 'E') && len == 0 && b.get(i) == Some(&b'\'') {
                    // E'...': PostgreSQL's string with backslash escapes.
                    i = quoted(sql, i + 1, '\'', true)
                        .ok_or("the statement has an unterminated E'...' string")?;
                    tokens.push(Token::Text);
                } else {
                    tokens.push(Token::Word(at, i));
                }
            }
            c if c.is_ascii_digit() => {
                // A number, with any letters run into it (`1e5`, `0x1F`).
                let len = sql[i..]
                    .bytes()
                    .take_while(|b| b.is_ascii_alphanumeric() || *b == b'.' || *b == b'_')
                    .count();
                i += len;
                tokens.push(Token::Other);
            }
            c if c.is_whitespace() => {}
            _ => tokens.push(Token::Other),
        }
    }
    Ok((tokens, params))
}

/// The end of a quoted run opened just before `from`: the closing `quote`,
/// a doubled one standing for itself; with `backslash`, `\` escapes the
/// next character. `None` when it never closes.
fn quoted(sql: &str, from: usize, quote: char, backslash: bool) -> Option<usize> {
    let mut chars = sql[from..].char_indices();
    while let Some((n, ch)) = chars.next() {
        if backslash && ch == '\\' {
            chars.next();
        } else if ch == quote {
            let after = from + n + 1;
            if sql[after..].starts_with(quote) {
                chars.next();
            } else {
                return Some(after);
            }
        }
    }
    None
}

/// The end of a `/* */` comment whose `*` is at `from`. PostgreSQL nests
/// them (MySQL and SQLite do not, and read a nested one as an error).
fn block_comment(sql: &str, from: usize) -> Option<usize> {
    let mut depth = 1;
    let mut i = from + 1;
    while i < sql.len() {
        if sql[i..].starts_with("*/") {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return Some(i);
            }
        } else if sql[i..].starts_with("/*") {
            depth += 1;
            i += 2;
        } else {
            i += sql[i..].chars().next().map_or(1, char::len_utf8);
        }
    }
    None
}

/// `$1`, `$2`, ... in order, each once: what MySQL's positional `?` needs.
fn check_order(params: &[Param]) -> Result<(), String> {
    const WHY: &str = "MySQL's `?` placeholders are positional, so the statement must use `$1`, `$2`, ... in order, each once";
    for (i, p) in params.iter().enumerate() {
        let expected = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if p.number == expected {
            continue;
        }
        let n = p.number;
        return Err(if params[..i].iter().any(|q| q.number == n) {
            format!(
                "`${n}` is used twice; {WHY}: bind the value again and write `${expected}` here"
            )
        } else if params[i..].iter().any(|q| q.number == expected) {
            format!(
                "`${n}` comes before `${expected}`; {WHY}: renumber them in the order they appear"
            )
        } else if expected == 1 {
            format!("the first parameter is `${n}`, and `$1` is missing; {WHY}")
        } else {
            format!(
                "`${n}` follows `${}` but `${expected}` is missing; {WHY}",
                expected - 1
            )
        });
    }
    Ok(())
}

/// `sql[..end]` with every placeholder of `params` (all before `end`)
/// replaced by `?`.
fn replace(sql: &str, params: &[Param], end: usize) -> String {
    replace_some(sql, &params.iter().collect::<Vec<_>>(), end)
}

fn replace_some(sql: &str, params: &[&Param], end: usize) -> String {
    let mut out = String::with_capacity(end);
    let mut from = 0;
    for p in params {
        out.push_str(&sql[from..p.start]);
        out.push('?');
        from = p.end;
    }
    out.push_str(&sql[from..end]);
    out
}

/// Whether a statement that could not be lexed seems to be an `INSERT`
/// that ends in `RETURNING <column>`, judged by its first and last two
/// words: the type of the stand-in value emitted with its error, so that
/// no second error follows.
pub(crate) fn seems_to_return_id(sql: &str) -> bool {
    let insert = sql
        .split_whitespace()
        .next()
        .is_some_and(|w| w.eq_ignore_ascii_case("insert"));
    let mut words = sql
        .trim_end_matches(|c: char| c.is_whitespace() || c == ';')
        .split_whitespace()
        .rev();
    let column = words
        .next()
        .is_some_and(|w| w.chars().all(is_ident_continue));
    insert
        && column
        && words
            .next()
            .is_some_and(|w| w.eq_ignore_ascii_case("returning"))
}

/// Where the trailing `RETURNING <column>` (before any `;`) of an `INSERT`
/// starts. Only an `INSERT` generates an id that MySQL's
/// `LAST_INSERT_ID()` reads; `UPDATE ... RETURNING id` has none.
fn returning_start(tokens: &[Token], sql: &str) -> Option<usize> {
    let insert = matches!(
        tokens.first(),
        Some(&Token::Word(start, stop)) if sql[start..stop].eq_ignore_ascii_case("insert")
    );
    if !insert {
        return None;
    }
    let mut end = tokens.len();
    while end > 0 && tokens[end - 1] == Token::Semicolon {
        end -= 1;
    }
    match tokens[..end] {
        [
            ..,
            Token::Word(start, stop),
            Token::Word(..) | Token::Quoted,
        ] if sql[start..stop].eq_ignore_ascii_case("returning") => Some(start),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mysql(sql: &str) -> String {
        translate(sql).unwrap().mysql
    }

    fn error(sql: &str) -> String {
        translate(sql).unwrap_err()
    }

    #[test]
    fn placeholders_become_question_marks() {
        assert_eq!(
            mysql("SELECT id FROM t WHERE a = $1 AND b = $2"),
            "SELECT id FROM t WHERE a = ? AND b = ?"
        );
        assert_eq!(
            mysql("UPDATE t SET a=COALESCE($1,a),b=$2 WHERE id=$3"),
            "UPDATE t SET a=COALESCE(?,a),b=? WHERE id=?"
        );
        assert_eq!(mysql("SELECT 1"), "SELECT 1");
        let t = translate("SELECT $1").unwrap();
        assert_eq!(t.postgres, "SELECT $1");
    }

    #[test]
    fn quoted_and_commented_dollars_are_text() {
        for (sql, expected) in [
            ("SELECT '$1', $1", "SELECT '$1', ?"),
            ("SELECT 'it''s $2', $1", "SELECT 'it''s $2', ?"),
            ("SELECT E'\\'$2', $1", "SELECT E'\\'$2', ?"),
            ("SELECT e'\\\\', $1, '$3'", "SELECT e'\\\\', ?, '$3'"),
            ("SELECT \"col$2\", $1", "SELECT \"col$2\", ?"),
            ("SELECT \"a\"\"$2\", $1", "SELECT \"a\"\"$2\", ?"),
            ("SELECT `col$2`, $1", "SELECT `col$2`, ?"),
            ("SELECT $$ $2 $$, $1", "SELECT $$ $2 $$, ?"),
            (
                "SELECT $body$ it's $2 $body$, $1",
                "SELECT $body$ it's $2 $body$, ?",
            ),
            ("SELECT $1 -- and $2\n", "SELECT ? -- and $2\n"),
            (
                "SELECT /* $2 /* $3 */ $4 */ $1",
                "SELECT /* $2 /* $3 */ $4 */ ?",
            ),
            ("SELECT a$2, $1 FROM t", "SELECT a$2, ? FROM t"),
            ("SELECT café$2, $1", "SELECT café$2, ?"),
            (
                "SELECT $tag$ $1 $tag$, $1, '$2' -- $2",
                "SELECT $tag$ $1 $tag$, ?, '$2' -- $2",
            ),
        ] {
            let t = translate(sql).unwrap_or_else(|e| panic!("{sql:?}: {e}"));
            assert_eq!(t.mysql, expected, "{sql:?}");
        }
    }

    #[test]
    fn order_reuse_and_gaps_are_errors() {
        assert!(error("SELECT $2, $1").contains("`$2` comes before `$1`"));
        assert!(error("SELECT $1, $1").contains("`$1` is used twice"));
        assert!(error("SELECT $1, $3").contains("`$3` follows `$1` but `$2` is missing"));
        assert!(error("SELECT $2").contains("the first parameter is `$2`, and `$1` is missing"));
        assert!(error("SELECT $0").contains("numbered from `$1`"));
        assert!(error("SELECT $99999999999").contains("out of range"));
        assert!(error("SELECT data ? 'k' FROM t").contains("`?` is a placeholder"));
    }

    #[test]
    fn unterminated_quotes_are_errors() {
        assert!(error("SELECT 'x").contains("unterminated '...' string"));
        assert!(error("SELECT E'x\\'").contains("unterminated E'...'"));
        assert!(error("SELECT \"x").contains("unterminated \"...\" identifier"));
        assert!(error("SELECT $a$ x").contains("unterminated $a$...$a$ string"));
        assert!(error("SELECT /* x").contains("unterminated /* comment"));
        // A `$` that opens no dollar quote is an operator character.
        assert_eq!(mysql("SELECT a $ b"), "SELECT a $ b");
    }

    #[test]
    fn a_broken_statement_keeps_its_shape() {
        assert!(seems_to_return_id(
            "INSERT INTO t VALUES ($2) RETURNING id;"
        ));
        assert!(!seems_to_return_id("UPDATE t SET a = $2 RETURNING id"));
        assert!(!seems_to_return_id("SELECT $2"));
        assert!(!seems_to_return_id("RETURNING"));
    }

    #[test]
    fn a_trailing_returning_column_has_an_insert_form() {
        let t = translate("INSERT INTO t (a, b) VALUES ($1, $2) RETURNING id").unwrap();
        assert_eq!(t.mysql, "INSERT INTO t (a, b) VALUES (?, ?) RETURNING id");
        assert_eq!(
            t.mysql_insert.as_deref(),
            Some("INSERT INTO t (a, b) VALUES (?, ?)")
        );
        let t = translate("insert into t values ($1)\n  returning \"Id\" ;").unwrap();
        assert_eq!(t.mysql_insert.as_deref(), Some("insert into t values (?)"));
        let t = translate("/* new */ Insert Ignore INTO t VALUES ($1) RETURNING id").unwrap();
        assert_eq!(
            t.mysql_insert.as_deref(),
            Some("/* new */ Insert Ignore INTO t VALUES (?)")
        );
        for sql in [
            "INSERT INTO t VALUES ($1) RETURNING id, a",
            "INSERT INTO t VALUES ($1) RETURNING *",
            "INSERT INTO t VALUES ('RETURNING id')",
            "SELECT returning",
            "INSERT INTO t VALUES ($1) -- RETURNING id",
            // No id is generated but by an INSERT: LAST_INSERT_ID() would
            // read another statement's.
            "UPDATE t SET a = $1 WHERE b = $2 RETURNING id",
            "DELETE FROM t WHERE a = $1 RETURNING id",
            "WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x RETURNING id",
        ] {
            assert_eq!(translate(sql).unwrap().mysql_insert, None, "{sql}");
        }
    }
}
