//! `sql!`: a statement written once with PostgreSQL's `$N` placeholders,
//! and its MySQL form, where each `$N` becomes `?`. sqlx's SQLite driver
//! reads `$N` itself, so PostgreSQL's form serves SQLite too.
//!
//! MySQL's `?` is positional, so a translation exists only when the
//! parameters appear as `$1`, `$2`, ... in order, each once; anything else
//! is an error on the statement. The SQL is lexed, not searched, with
//! PostgreSQL's rules: `$N` inside `'...'` strings (with `''`), `E'...'`
//! strings (with backslash escapes), `"..."` and `` `...` `` identifiers
//! and `--` or `/* */` comments is text, and `$` inside an identifier
//! (`a$1`) is part of it.
//!
//! The MySQL form is then lexed again with MySQL's rules, and the two
//! readings must agree on where each string, quoted name and comment
//! starts and ends and on which placeholders there are. Where MySQL's
//! rules differ, a statement that would read differently is an error
//! saying why: a backslash in a `'...'` or `"..."` literal (an escape on
//! MySQL, not on PostgreSQL with `standard_conforming_strings`), `#` (a
//! comment on MySQL, an operator on PostgreSQL), `--` without a space
//! after it (a comment on PostgreSQL only), a comment inside a comment
//! (PostgreSQL nests them, MySQL does not), `/*!` (code on MySQL), a
//! `--` comment ended by a lone carriage return, and `$$` dollar quotes
//! (PostgreSQL's alone).
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
#[derive(Debug)]
struct Param {
    number: u32,
    start: usize,
    end: usize,
}

/// What a stretch of a statement that is not plain code is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RunKind {
    /// A string or a quoted name, from its opening quote to after its
    /// closing one (an `E` before the quote is not part of it).
    Quoted,
    /// White space and comments, however many in a row.
    Gap,
    /// A placeholder: `$N` as written, `?` in MySQL's form.
    Placeholder,
}

/// A stretch that is not plain code: what PostgreSQL's reading of the
/// statement and MySQL's reading of its MySQL form must agree on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    kind: RunKind,
    start: usize,
    end: usize,
}

fn push_run(runs: &mut Vec<Run>, kind: RunKind, start: usize, end: usize) {
    match runs.last_mut() {
        Some(last) if kind == RunKind::Gap && last.kind == RunKind::Gap && last.end == start => {
            last.end = end;
        }
        _ => runs.push(Run { kind, start, end }),
    }
}

/// Something PostgreSQL and MySQL read differently.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Hazard {
    /// A backslash in a `'...'` string.
    Backslash,
    /// A backslash in a `"..."` name.
    BackslashInName,
    /// `#` in code.
    Hash,
    /// `--` followed by this character, not white space.
    Dashes(char),
    /// `/*` inside a comment.
    Nested,
    /// `/*!` or `/*M!`.
    Executable,
    /// A dollar-quoted string, with its tag (`$$`, `$body$`).
    DollarQuote(String),
    /// A `--` comment ended by a carriage return with code after it on the
    /// same line.
    CarriageReturn,
}

impl Hazard {
    fn message(&self) -> String {
        match self {
            Self::Backslash => "a backslash in a '...' string is an escape on MySQL but not on PostgreSQL (standard_conforming_strings): `'\\\\'` is two backslashes on PostgreSQL and one on MySQL, and `\\'` ends the string on PostgreSQL but not on MySQL; bind the text as a parameter instead (`$N` with `.bind(...)`), which every backend reads the same, and write a quote inside a string as `''`".to_owned(),
            Self::BackslashInName => "a backslash in a \"...\" name is an escape on MySQL (which reads \"...\" as a string unless ANSI_QUOTES is set) but not on PostgreSQL: choose a name without a backslash".to_owned(),
            Self::Hash => "`#` starts a comment on MySQL (to the end of the line) but not on PostgreSQL, where it is an operator: write comments as `-- ` or `/* */`; PostgreSQL's `#` operators (`#`, `#>`, `#>>`, `#-`) cannot be written once for every backend: run such a statement with `sqlx::query` on the PostgreSQL pool".to_owned(),
            Self::Dashes(c) => format!("`--{c}` starts a comment on PostgreSQL but not on MySQL, where `--` starts one only when white space follows it (`--{c}` is two minus signs there): write `-- ` with a space"),
            Self::Nested => "a `/*` inside a comment nests on PostgreSQL but not on MySQL or SQLite, where the first `*/` ends the comment: remove the inner `/*`".to_owned(),
            Self::Executable => "`/*!` is an executable comment on MySQL (its text runs as SQL) but a comment on PostgreSQL: remove the `!`, or write the statement for MySQL alone with `sqlx::query`".to_owned(),
            Self::DollarQuote(tag) => format!("dollar-quoted strings (`{tag}...{tag}`) are PostgreSQL's alone: MySQL and SQLite read `$` as part of a name, not as a quote; write the text as '...' (with `''` for a quote) or bind it as a parameter"),
            Self::CarriageReturn => "a `--` comment ends at a carriage return on PostgreSQL but only at a line feed on MySQL, which reads the rest of the line as comment: end the comment's line with a line feed".to_owned(),
        }
    }
}

/// PostgreSQL's reading of a statement.
#[derive(Debug, Default)]
struct Lexed {
    tokens: Vec<Token>,
    params: Vec<Param>,
    runs: Vec<Run>,
    /// What MySQL reads differently, in order, with where it is.
    hazards: Vec<(usize, Hazard)>,
}

impl Lexed {
    /// The error for a token at `at` that cannot be read: a hazard found
    /// before it is the likelier cause (`'it\'s'` is `'it\'`, `s` and an
    /// unterminated `'` on PostgreSQL).
    fn fail(&self, at: usize, message: impl Into<String>) -> String {
        match self.hazards.first() {
            Some((pos, hazard)) if *pos < at => hazard.message(),
            _ => message.into(),
        }
    }

    fn hazard(&mut self, at: usize, hazard: Hazard) {
        self.hazards.push((at, hazard));
    }
}

/// Lexes `sql` and translates it, or says why no translation exists.
pub(crate) fn translate(sql: &str) -> Result<Forms, String> {
    let lexed = lex_postgres(sql)?;
    if let Some((_, hazard)) = lexed.hazards.first() {
        return Err(hazard.message());
    }
    let params = &lexed.params;
    check_order(params)?;
    let mysql = replace(sql, params, sql.len());
    check_mysql_reading(&lexed, &mysql)?;
    let mysql_insert = returning_start(&lexed.tokens, sql).map(|cut| {
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

/// White space to both PostgreSQL and MySQL: ASCII's (a non-ASCII
/// character is part of a name to both).
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0B' | '\x0C')
}

/// PostgreSQL's reading of `sql`: its tokens, placeholders and runs, and
/// what MySQL would read differently.
fn lex_postgres(sql: &str) -> Result<Lexed, String> {
    let b = sql.as_bytes();
    let mut out = Lexed::default();
    let mut i = 0;
    while let Some(c) = sql[i..].chars().next() {
        let at = i;
        i += c.len_utf8();
        match c {
            '\'' | '"' => {
                i = quoted(sql, i, c, false).ok_or_else(|| {
                    out.fail(
                        at,
                        if c == '\'' {
                            "the statement has an unterminated '...' string".to_owned()
                        } else {
                            "the statement has an unterminated \"...\" identifier".to_owned()
                        },
                    )
                })?;
                if let Some(n) = sql[at..i].find('\\') {
                    let hazard = if c == '\'' {
                        Hazard::Backslash
                    } else {
                        Hazard::BackslashInName
                    };
                    out.hazard(at + n, hazard);
                }
                push_run(&mut out.runs, RunKind::Quoted, at, i);
                out.tokens.push(if c == '\'' {
                    Token::Text
                } else {
                    Token::Quoted
                });
            }
            '`' => {
                i = quoted(sql, i, c, false).ok_or_else(|| {
                    out.fail(at, "the statement has an unterminated `...` identifier")
                })?;
                push_run(&mut out.runs, RunKind::Quoted, at, i);
                out.tokens.push(Token::Quoted);
            }
            '-' if b.get(i) == Some(&b'-') => {
                // MySQL's `--` comment needs white space or a control
                // character after it; PostgreSQL's ends at `\n` or `\r`.
                if let Some(next) = sql[i + 1..].chars().next()
                    && !(next == ' ' || next.is_ascii_control())
                {
                    out.hazard(at, Hazard::Dashes(next));
                }
                i = sql[i..].find(['\n', '\r']).map_or(sql.len(), |n| i + n);
                if sql[i..].starts_with('\r') && !sql[i..].starts_with("\r\n") {
                    let line = sql[i..].find('\n').map_or(sql.len(), |n| i + n);
                    if !sql[i..line].chars().all(is_space) {
                        out.hazard(i, Hazard::CarriageReturn);
                    }
                }
                push_run(&mut out.runs, RunKind::Gap, at, i);
            }
            '/' if b.get(i) == Some(&b'*') => {
                if sql[at..].starts_with("/*!") || sql[at..].starts_with("/*M!") {
                    out.hazard(at, Hazard::Executable);
                }
                i = block_comment(sql, i, &mut out)
                    .ok_or_else(|| out.fail(at, "the statement has an unterminated /* comment"))?;
                push_run(&mut out.runs, RunKind::Gap, at, i);
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
                out.params.push(Param {
                    number,
                    start: at,
                    end: i,
                });
                push_run(&mut out.runs, RunKind::Placeholder, at, i);
                out.tokens.push(Token::Param);
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
                        out.fail(
                            at,
                            format!("the statement has an unterminated {tag}...{tag} string"),
                        )
                    })?;
                    out.hazard(at, Hazard::DollarQuote(tag.to_owned()));
                    i = body + close + tag.len();
                    push_run(&mut out.runs, RunKind::Quoted, at, i);
                    out.tokens.push(Token::Text);
                } else {
                    out.tokens.push(Token::Other);
                }
            }
            '?' => {
                return Err(out.fail(at, "`?` is a placeholder on MySQL and SQLite: write parameters as `$1`, `$2`, ... (PostgreSQL's jsonb `?` operators cannot be written once for every backend)"));
            }
            '#' => {
                out.hazard(at, Hazard::Hash);
                out.tokens.push(Token::Other);
            }
            ';' => out.tokens.push(Token::Semicolon),
            c if is_ident_start(c) => {
                let len = sql[i..]
                    .char_indices()
                    .take_while(|&(_, ch)| is_ident_continue(ch))
                    .map(|(n, ch)| n + ch.len_utf8())
                    .last()
                    .unwrap_or(0);
                i += len;
                if (c == 'e' || c == 'E') && len == 0 && b.get(i) == Some(&b'\'') {
                    // E'...': PostgreSQL's string with backslash escapes,
                    // which MySQL reads as a name and a string that ends
                    // in the same place.
                    let open = i;
                    i = quoted(sql, i + 1, '\'', true).ok_or_else(|| {
                        out.fail(at, "the statement has an unterminated E'...' string")
                    })?;
                    push_run(&mut out.runs, RunKind::Quoted, open, i);
                    out.tokens.push(Token::Text);
                } else {
                    out.tokens.push(Token::Word(at, i));
                }
            }
            c if c.is_ascii_digit() => {
                // A number, with any letters run into it (`1e5`, `0x1F`).
                let len = sql[i..]
                    .bytes()
                    .take_while(|b| b.is_ascii_alphanumeric() || *b == b'.' || *b == b'_')
                    .count();
                i += len;
                out.tokens.push(Token::Other);
            }
            c if is_space(c) => push_run(&mut out.runs, RunKind::Gap, at, i),
            _ => out.tokens.push(Token::Other),
        }
    }
    Ok(out)
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

/// The end of a `/* */` comment whose `*` is at `from`, read as PostgreSQL
/// does: comments nest. MySQL and SQLite do not nest them, so each inner
/// `/*` is a hazard. `None` when it never closes.
fn block_comment(sql: &str, from: usize, out: &mut Lexed) -> Option<usize> {
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
            out.hazard(i, Hazard::Nested);
            depth += 1;
            i += 2;
        } else {
            i += sql[i..].chars().next().map_or(1, char::len_utf8);
        }
    }
    None
}

/// MySQL's reading of its form of a statement (with its default
/// `sql_mode`): the strings, quoted names, comments and `?` placeholders.
/// Backslashes escape in `'...'` and `"..."` strings, `#` and `-- ` start
/// comments to the end of the line, `/* */` comments end at the first
/// `*/`, and `/*!` is code.
fn lex_mysql(sql: &str) -> Result<Vec<Run>, String> {
    let mut runs = Vec::new();
    let mut i = 0;
    while let Some(c) = sql[i..].chars().next() {
        let at = i;
        i += c.len_utf8();
        let line_end = |from: usize| sql[from..].find('\n').map_or(sql.len(), |n| from + n);
        match c {
            '\'' | '"' | '`' => {
                i = quoted(sql, i, c, c != '`').ok_or_else(|| {
                    format!("MySQL reads an unterminated {c}...{c} at `{}`", &sql[at..])
                })?;
                push_run(&mut runs, RunKind::Quoted, at, i);
            }
            '#' => {
                i = line_end(i);
                push_run(&mut runs, RunKind::Gap, at, i);
            }
            '-' if sql[i..].starts_with('-')
                && sql[i + 1..]
                    .chars()
                    .next()
                    .is_none_or(|next| next == ' ' || next.is_ascii_control()) =>
            {
                i = line_end(i);
                push_run(&mut runs, RunKind::Gap, at, i);
            }
            '/' if sql[i..].starts_with('*')
                && !sql[at..].starts_with("/*!")
                && !sql[at..].starts_with("/*M!") =>
            {
                let close = sql[i + 1..].find("*/").ok_or_else(|| {
                    format!("MySQL reads an unterminated comment at `{}`", &sql[at..])
                })?;
                i = i + 1 + close + 2;
                push_run(&mut runs, RunKind::Gap, at, i);
            }
            '?' => push_run(&mut runs, RunKind::Placeholder, at, i),
            c if is_ident_continue(c) => {
                i += sql[i..]
                    .char_indices()
                    .take_while(|&(_, ch)| is_ident_continue(ch))
                    .map(|(n, ch)| n + ch.len_utf8())
                    .last()
                    .unwrap_or(0);
            }
            c if is_space(c) => push_run(&mut runs, RunKind::Gap, at, i),
            _ => {}
        }
    }
    Ok(runs)
}

/// That MySQL reads `mysql`, the MySQL form of the statement `lexed`
/// read, as PostgreSQL reads the statement: the same strings, quoted
/// names and comments, and a `?` for each `$N`. The hazards above are
/// what makes them differ; this is the check that nothing else does.
fn check_mysql_reading(lexed: &Lexed, mysql: &str) -> Result<(), String> {
    // Where a position of the statement as written is in the MySQL form:
    // each `$N` before it is one character there.
    let shift = |pos: usize| {
        pos - lexed
            .params
            .iter()
            .filter(|p| p.end <= pos)
            .map(|p| p.end - p.start - 1)
            .sum::<usize>()
    };
    let expected: Vec<Run> = lexed
        .runs
        .iter()
        .map(|r| Run {
            kind: r.kind,
            start: shift(r.start),
            end: shift(r.end),
        })
        .collect();
    let found = lex_mysql(mysql)?;
    if found == expected {
        return Ok(());
    }
    let same = found
        .iter()
        .zip(&expected)
        .take_while(|(a, b)| a == b)
        .count();
    let at = [found.get(same), expected.get(same)]
        .into_iter()
        .flatten()
        .map(|r| r.start)
        .min()
        .unwrap_or(0);
    Err(format!(
        "MySQL would read this statement differently from PostgreSQL from `{}` on (a string, quoted name, comment or parameter starts or ends elsewhere): write it so that both read it alike",
        &mysql[at..]
    ))
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
            ("SELECT $1 -- and $2\n", "SELECT ? -- and $2\n"),
            ("SELECT $1 -- and $2", "SELECT ? -- and $2"),
            ("SELECT $1 --\t$2\r\n, $2", "SELECT ? --\t$2\r\n, ?"),
            ("SELECT $1 --", "SELECT ? --"),
            ("SELECT /* $2 */ $1", "SELECT /* $2 */ ?"),
            ("SELECT /* it's # -- */ $1", "SELECT /* it's # -- */ ?"),
            ("SELECT a$2, $1 FROM t", "SELECT a$2, ? FROM t"),
            ("SELECT café$2, $1", "SELECT café$2, ?"),
            (
                "SELECT '# --x /* $2', $1 -- it's # ? $2",
                "SELECT '# --x /* $2', ? -- it's # ? $2",
            ),
        ] {
            let t = translate(sql).unwrap_or_else(|e| panic!("{sql:?}: {e}"));
            assert_eq!(t.mysql, expected, "{sql:?}");
        }
    }

    /// PostgreSQL's reading, which the statement means: comments nest and
    /// dollar quotes are strings (and both are then refused, for MySQL).
    #[test]
    fn postgres_nests_comments_and_reads_dollar_quotes() {
        fn runs(sql: &str) -> Vec<(RunKind, &str)> {
            lex_postgres(sql)
                .unwrap()
                .runs
                .iter()
                .map(|r| (r.kind, &sql[r.start..r.end]))
                .collect()
        }
        assert_eq!(
            runs("SELECT /* $2 /* $3 */ $4 */ $1"),
            [
                (RunKind::Gap, " /* $2 /* $3 */ $4 */ "),
                (RunKind::Placeholder, "$1"),
            ]
        );
        assert_eq!(
            runs("SELECT $tag$ it's $1 $tag$,$1 -- x\r\n"),
            [
                (RunKind::Gap, " "),
                (RunKind::Quoted, "$tag$ it's $1 $tag$"),
                (RunKind::Placeholder, "$1"),
                (RunKind::Gap, " -- x\r\n"),
            ]
        );
        assert_eq!(
            runs("SELECT E'\\'',x"),
            [(RunKind::Gap, " "), (RunKind::Quoted, "'\\''")]
        );
    }

    /// MySQL's reading: backslash escapes, `#` and `-- ` comments, comments
    /// that do not nest, `/*!` as code.
    #[test]
    fn mysql_reads_its_own_rules() {
        fn runs(sql: &str) -> Vec<(RunKind, &str)> {
            lex_mysql(sql)
                .unwrap()
                .iter()
                .map(|r| (r.kind, &sql[r.start..r.end]))
                .collect()
        }
        assert_eq!(
            runs(r"'a\', ?, '?''"),
            [
                (RunKind::Quoted, r"'a\', ?, '"),
                (RunKind::Placeholder, "?"),
                (RunKind::Quoted, "''"),
            ]
        );
        assert_eq!(
            runs("? # x\n?"),
            [
                (RunKind::Placeholder, "?"),
                (RunKind::Gap, " # x\n"),
                (RunKind::Placeholder, "?"),
            ]
        );
        assert_eq!(runs("1--1 -- x"), [(RunKind::Gap, " -- x")]);
        assert_eq!(
            runs("/* /* */?*/"),
            [(RunKind::Gap, "/* /* */"), (RunKind::Placeholder, "?")]
        );
        assert_eq!(
            runs("/*! ? */"),
            [
                (RunKind::Gap, " "),
                (RunKind::Placeholder, "?"),
                (RunKind::Gap, " ")
            ]
        );
        assert_eq!(runs("$a?"), [(RunKind::Placeholder, "?")]);
    }

    /// A statement that MySQL would read differently is refused, saying
    /// why and what to write instead.
    #[test]
    fn what_mysql_reads_differently_is_an_error() {
        for (sql, why) in [
            // `'\'` on MySQL never ends; `'\\'` is one backslash there.
            (
                r"SELECT REPLACE($1, '\', '/')",
                "a backslash in a '...' string",
            ),
            (
                r"SELECT REPLACE($1, '\\', '/')",
                "a backslash in a '...' string",
            ),
            (r"SELECT 'C:\new', $1", "a backslash in a '...' string"),
            // MySQL's `\'`, which PostgreSQL ends the string at: the
            // likelier cause of the unterminated string that follows.
            (r"SELECT 'it\'s', $1", "a backslash in a '...' string"),
            // The same count of placeholders, in other places: MySQL reads
            // `'x\' AS a, ? AS b, '` as one string and binds `?` in `',?'`.
            (
                r"SELECT 'x\' AS a, $1 AS b, ',?' AS c -- '",
                "a backslash in a '...' string",
            ),
            (r#"SELECT "a\b", $1"#, "a backslash in a \"...\" name"),
            (
                "SELECT $1 AS a # , $2 AS b\n",
                "`#` starts a comment on MySQL",
            ),
            ("SELECT 5 # 3", "`#` starts a comment on MySQL"),
            (
                "SELECT data #>> '{a}' FROM t",
                "`#` starts a comment on MySQL",
            ),
            ("SELECT $1 --x\n", "`--x` starts a comment on PostgreSQL"),
            ("SELECT $1 ---- x\n", "`---` starts a comment on PostgreSQL"),
            ("SELECT 2--1", "`--1` starts a comment on PostgreSQL"),
            (
                "SELECT /* $2 /* $3 */ $4 */ $1",
                "a `/*` inside a comment nests on PostgreSQL",
            ),
            ("SELECT /*/**/*/ $1", "a `/*` inside a comment nests"),
            (
                "SELECT /*! STRAIGHT_JOIN */ $1",
                "`/*!` is an executable comment",
            ),
            (
                "SELECT /*M!100100 1, */ $1",
                "`/*!` is an executable comment",
            ),
            ("SELECT $$ $2 $$, $1", "dollar-quoted strings (`$$...$$`)"),
            (
                "SELECT $body$ it's $2 $body$, $1",
                "dollar-quoted strings (`$body$...$body$`)",
            ),
            ("SELECT 1 -- note\r$1", "ends at a carriage return"),
        ] {
            let e = error(sql);
            assert!(e.contains(why), "{sql:?}: {e}");
        }
        // Each says what to write instead.
        assert!(error("SELECT 1 # x").contains("write comments as `-- `"));
        assert!(error(r"SELECT '\'").contains("bind the text as a parameter"));
        assert!(error("SELECT 1 --x").contains("write `-- ` with a space"));
    }

    /// Every statement of a few characters among those the dialects read
    /// differently is translated only when MySQL reads its form as
    /// PostgreSQL reads it, and when it is not, the error names the
    /// difference (the catch-all message is never needed).
    #[test]
    fn no_difference_goes_unnamed() {
        const CHARS: [char; 16] = [
            '\'', '"', '`', '\\', '#', '-', '/', '*', '!', '$', '1', ' ', '\n', '\r', 'E', '?',
        ];
        let mut sql = String::new();
        let mut counts = [0_usize; 2];
        for len in 1..=5_u32 {
            for mut n in 0..CHARS.len().pow(len) {
                sql.clear();
                for _ in 0..len {
                    sql.push(CHARS[n % CHARS.len()]);
                    n /= CHARS.len();
                }
                match translate(&sql) {
                    Ok(forms) => {
                        counts[0] += 1;
                        let lexed = lex_postgres(&sql).unwrap();
                        check_mysql_reading(&lexed, &forms.mysql).unwrap();
                    }
                    Err(e) => {
                        counts[1] += 1;
                        assert!(!e.contains("MySQL would read"), "{sql:?}: {e}");
                        assert!(!e.contains("MySQL reads an unterminated"), "{sql:?}: {e}");
                    }
                }
            }
        }
        // Both outcomes were seen often.
        assert!(counts.iter().all(|&c| c > 10_000), "{counts:?}");
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
        assert!(error("SELECT `x").contains("unterminated `...` identifier"));
        assert!(error("SELECT $a$ x").contains("unterminated $a$...$a$ string"));
        assert!(error("SELECT /* x").contains("unterminated /* comment"));
        assert!(error("SELECT /* /* x */").contains("unterminated /* comment"));
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
