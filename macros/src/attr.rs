//! `#[settings(...)]` syntax only: which keys, which values, with their spans.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Attribute, LitStr};

use crate::ctxt::{Ctxt, located};

/// A value with the span of the tokens it came from (clap's `Sp<T>`).
#[derive(Clone)]
pub(crate) struct Sp<T> {
    pub(crate) value: T,
    pub(crate) span: Span,
}

/// A key as written: the span of the key, and its value.
pub(crate) struct Keyed<T> {
    pub(crate) key: Span,
    pub(crate) value: T,
}

/// A key that may be given once (serde's `Attr<T>`). The slot reports a
/// second occurrence itself, as one error at the second key.
pub(crate) struct Attr<T> {
    name: &'static str,
    given: Option<Keyed<T>>,
}

impl<T> Attr<T> {
    const fn new(name: &'static str) -> Self {
        Self { name, given: None }
    }

    /// Records `value` read at `key`, or reports a duplicate there, saying
    /// where the first one is.
    fn set(&mut self, cx: &Ctxt, key: Span, value: T) {
        match &self.given {
            Some(first) => cx.error(
                key,
                format_args!(
                    "duplicate `{}` in #[settings(...)]; the first is {}",
                    self.name,
                    located(first.key)
                ),
            ),
            None => self.given = Some(Keyed { key, value }),
        }
    }

    /// Like `set` for a value that may have failed to parse: the failure is
    /// reported and parsing goes on, so every mistake shows at once.
    fn set_or_report(&mut self, cx: &Ctxt, key: Span, value: syn::Result<T>) {
        match value {
            Ok(value) => self.set(cx, key, value),
            Err(e) => cx.push(e),
        }
    }

    pub(crate) fn given(&self) -> Option<&Keyed<T>> {
        self.given.as_ref()
    }

    pub(crate) fn value(&self) -> Option<&T> {
        self.given.as_ref().map(|g| &g.value)
    }

    /// The span of the key, when given.
    pub(crate) fn key(&self) -> Option<Span> {
        self.given.as_ref().map(|g| g.key)
    }

    /// The key's name and span, when given.
    pub(crate) fn given_key(&self) -> Option<(&'static str, Span)> {
        self.key().map(|key| (self.name, key))
    }
}

/// Keys accepted on the struct.
const STRUCT_KEYS: &[&str] = &["prefix", "crate"];
/// Keys accepted on any field.
const FIELD_KEYS: &[&str] = &[
    "env", "alias", "default", "fallback", "strict", "libpq", "nested", "prefix",
];
/// Field keys that apply to the `DatabaseUrl` field only, besides the pool keys.
const URL_KEYS: &[&str] = &["fallback", "strict", "libpq"];
/// Pool keys, which apply to the `DatabaseUrl` field only: the names of
/// [`PoolAttrs`]'s slots, for messages.
const POOL_KEYS: &[&str] = &[
    "max_connections",
    "min_connections",
    "connect_timeout",
    "acquire_timeout",
    "idle_timeout",
    "on_unreachable",
    "migrations",
    "pgbouncer",
    "startup_wait",
    "credentials_poll",
    "replica",
    "direct_url",
    "max_lifetime",
    "lifetime_jitter",
    "idle_check",
    "leak_threshold",
    "migration_lock_wait",
];

/// `on_unreachable = "error"` or `"fallback"`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnUnreachable {
    /// The default: `pool()` returns the error and the next call retries.
    Error,
    /// Switch to the fallback database.
    Fallback,
}

/// The pool attributes of the `DatabaseUrl` field, each checked as far as a
/// literal allows.
pub(crate) struct PoolAttrs {
    pub(crate) max_connections: Attr<u32>,
    pub(crate) min_connections: Attr<u32>,
    /// In milliseconds, like the two timeouts below.
    pub(crate) connect_timeout: Attr<u64>,
    pub(crate) acquire_timeout: Attr<u64>,
    pub(crate) idle_timeout: Attr<u64>,
    pub(crate) on_unreachable: Attr<OnUnreachable>,
    /// Embedded at compile time: see `migrations.rs`.
    pub(crate) migrations: Attr<Sp<String>>,
    pub(crate) pgbouncer: Attr<bool>,
    /// In milliseconds, like the poll interval below.
    pub(crate) startup_wait: Attr<u64>,
    pub(crate) credentials_poll: Attr<u64>,
    /// The variable holding a read replica's URL.
    pub(crate) replica: Attr<String>,
    /// The variable holding a direct (pooler-free) URL for migrations.
    pub(crate) direct_url: Attr<String>,
    /// In milliseconds, like the three below; 0 keeps connections.
    pub(crate) max_lifetime: Attr<u64>,
    pub(crate) lifetime_jitter: Attr<u64>,
    pub(crate) idle_check: Attr<u64>,
    pub(crate) leak_threshold: Attr<u64>,
    /// In milliseconds: how long the first build waits for a migration
    /// lock another session holds.
    pub(crate) migration_lock_wait: Attr<u64>,
}

impl PoolAttrs {
    const fn new() -> Self {
        Self {
            max_connections: Attr::new("max_connections"),
            min_connections: Attr::new("min_connections"),
            connect_timeout: Attr::new("connect_timeout"),
            acquire_timeout: Attr::new("acquire_timeout"),
            idle_timeout: Attr::new("idle_timeout"),
            on_unreachable: Attr::new("on_unreachable"),
            migrations: Attr::new("migrations"),
            pgbouncer: Attr::new("pgbouncer"),
            startup_wait: Attr::new("startup_wait"),
            credentials_poll: Attr::new("credentials_poll"),
            replica: Attr::new("replica"),
            direct_url: Attr::new("direct_url"),
            max_lifetime: Attr::new("max_lifetime"),
            lifetime_jitter: Attr::new("lifetime_jitter"),
            idle_check: Attr::new("idle_check"),
            leak_threshold: Attr::new("leak_threshold"),
            migration_lock_wait: Attr::new("migration_lock_wait"),
        }
    }

    /// The keys given, with their spans, in declaration order.
    pub(crate) fn given_keys(&self) -> impl Iterator<Item = (&'static str, Span)> {
        [
            self.max_connections.given_key(),
            self.min_connections.given_key(),
            self.connect_timeout.given_key(),
            self.acquire_timeout.given_key(),
            self.idle_timeout.given_key(),
            self.on_unreachable.given_key(),
            self.migrations.given_key(),
            self.pgbouncer.given_key(),
            self.startup_wait.given_key(),
            self.credentials_poll.given_key(),
            self.replica.given_key(),
            self.direct_url.given_key(),
            self.max_lifetime.given_key(),
            self.lifetime_jitter.given_key(),
            self.idle_check.given_key(),
            self.leak_threshold.given_key(),
            self.migration_lock_wait.given_key(),
        ]
        .into_iter()
        .flatten()
    }

    /// Reads `meta` if it is a pool key; false when it is not one. A bad
    /// value is reported and parsing goes on.
    fn parse(&mut self, cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> bool {
        let key = meta.path.span();
        let path = &meta.path;
        if path.is_ident("max_connections") {
            // #[settings(max_connections = 10)]
            let n = connections(meta, "max_connections", 1);
            self.max_connections.set_or_report(cx, key, n);
        } else if path.is_ident("min_connections") {
            // #[settings(min_connections = 2)]
            let n = connections(meta, "min_connections", 0);
            self.min_connections.set_or_report(cx, key, n);
        } else if path.is_ident("connect_timeout") {
            // #[settings(connect_timeout = "500ms")] or `= 5` (seconds)
            let ms = bound(meta, "connect_timeout");
            self.connect_timeout.set_or_report(cx, key, ms);
        } else if path.is_ident("acquire_timeout") {
            // #[settings(acquire_timeout = "5s")]
            let ms = bound(meta, "acquire_timeout");
            self.acquire_timeout.set_or_report(cx, key, ms);
        } else if path.is_ident("idle_timeout") {
            // #[settings(idle_timeout = "10m")]
            let ms = duration(meta, "idle_timeout");
            self.idle_timeout.set_or_report(cx, key, ms);
        } else if path.is_ident("on_unreachable") {
            // #[settings(on_unreachable = "fallback")] or `= "error"`
            let policy = on_unreachable(meta);
            self.on_unreachable.set_or_report(cx, key, policy);
        } else if path.is_ident("migrations") {
            // #[settings(migrations = "migrations")]
            let dir = directory(meta, "migrations");
            self.migrations.set_or_report(cx, key, dir);
        } else if path.is_ident("pgbouncer") {
            // #[settings(pgbouncer = true)]: a transaction-mode pooler
            let on = switch(meta, "pgbouncer");
            self.pgbouncer.set_or_report(cx, key, on);
        } else if path.is_ident("startup_wait") {
            // #[settings(startup_wait = "30s")]
            let ms = duration(meta, "startup_wait");
            self.startup_wait.set_or_report(cx, key, ms);
        } else if path.is_ident("migration_lock_wait") {
            // #[settings(migration_lock_wait = "60s")]
            let ms = bound(meta, "migration_lock_wait");
            self.migration_lock_wait.set_or_report(cx, key, ms);
        } else if path.is_ident("credentials_poll") {
            // #[settings(credentials_poll = "10s")]
            let ms = bound(meta, "credentials_poll");
            self.credentials_poll.set_or_report(cx, key, ms);
        } else if path.is_ident("replica") {
            // #[settings(replica = "DATABASE_REPLICA_URL")]
            let var = variable(meta, "replica");
            self.replica.set_or_report(cx, key, var);
        } else if path.is_ident("direct_url") {
            // #[settings(direct_url = "DATABASE_DIRECT_URL")]
            let var = variable(meta, "direct_url");
            self.direct_url.set_or_report(cx, key, var);
        } else if path.is_ident("max_lifetime") {
            // #[settings(max_lifetime = "30m")]; 0 keeps connections
            let ms = duration(meta, "max_lifetime");
            self.max_lifetime.set_or_report(cx, key, ms);
        } else if path.is_ident("lifetime_jitter") {
            // #[settings(lifetime_jitter = "3m")]
            let ms = duration(meta, "lifetime_jitter");
            self.lifetime_jitter.set_or_report(cx, key, ms);
        } else if path.is_ident("idle_check") {
            // #[settings(idle_check = "1s")]; 0 pings at every acquire
            let ms = duration(meta, "idle_check");
            self.idle_check.set_or_report(cx, key, ms);
        } else if path.is_ident("leak_threshold") {
            // #[settings(leak_threshold = "30s")]
            let ms = bound(meta, "leak_threshold");
            self.leak_threshold.set_or_report(cx, key, ms);
        } else {
            return false;
        }
        true
    }
}

/// `#[settings(...)]` on the struct.
pub(crate) struct StructAttrs {
    /// `prefix = "APP_"`
    pub(crate) prefix: Attr<Sp<String>>,
    /// `crate = "facade::dbsettings"`; `None` when given but not a path.
    krate: Attr<Option<syn::Path>>,
}

impl StructAttrs {
    /// The path generated code names the runtime crate by: `crate = "..."`,
    /// or `::dbsettings`. `None` when `crate` is given but is not a path,
    /// so that no code is written against a guess.
    pub(crate) fn crate_path(&self) -> Option<syn::Path> {
        match self.krate.value() {
            None => Some(syn::parse_quote!(::dbsettings)),
            Some(given) => given.clone(),
        }
    }
}

/// `#[settings(...)]` on a field.
pub(crate) struct FieldAttrs {
    /// `env = "DATABASE_URL"`
    pub(crate) env: Attr<Sp<String>>,
    /// `alias = "POSTGRES_URL"`, repeatable
    pub(crate) aliases: Vec<Keyed<Sp<String>>>,
    /// `default = 7860`
    pub(crate) default: Attr<syn::Expr>,
    /// `fallback = "sqlite://data/app.db"`
    pub(crate) fallback: Attr<Sp<String>>,
    /// `strict`
    pub(crate) strict: Attr<()>,
    pub(crate) pool: PoolAttrs,
    /// `libpq = false`
    pub(crate) libpq: Attr<bool>,
    /// `nested`
    pub(crate) nested: Attr<()>,
    /// `prefix = "REPLICA_"` with `nested`
    pub(crate) prefix: Attr<Sp<String>>,
    /// The field's doc comment, line by line.
    pub(crate) doc: Vec<String>,
}

fn lit_str(meta: &ParseNestedMeta<'_>) -> syn::Result<Sp<String>> {
    let lit: LitStr = meta.value()?.parse()?;
    Ok(Sp {
        value: lit.value(),
        span: lit.span(),
    })
}

/// Parses `500ms`, `5s`, `2m`, `1h` or a bare number of seconds, into
/// milliseconds. The format is pinned by `duration_table.txt`, which the
/// runtime's parser of the same variables is tested against too.
pub(crate) fn parse_millis(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (n, unit) = text.split_at(split);
    let n: u64 = n.parse().ok()?;
    let factor = match unit.trim() {
        "ms" => 1,
        "" | "s" => 1000,
        "m" | "min" => 60_000,
        "h" => 3_600_000,
        _ => return None,
    };
    n.checked_mul(factor)
}

/// `crate = "facade::dbsettings"`: a path, such as serde's `crate = "..."`.
/// Its tokens take the span of the string literal, so a path that does not
/// resolve is reported there.
fn crate_path(meta: &ParseNestedMeta<'_>) -> syn::Result<syn::Path> {
    let lit: LitStr = meta.value()?.parse()?;
    lit.parse().map_err(|_| {
        syn::Error::new(
            lit.span(),
            "`crate` expects the path to the dbsettings crate, such as \"facade::dbsettings\"",
        )
    })
}

/// An error at `lit` saying what `key` expects.
fn expects<T>(lit: &syn::Lit, key: &str, what: &str) -> syn::Result<T> {
    Err(syn::Error::new(
        lit.span(),
        format_args!("`{key}` expects {what}"),
    ))
}

/// `max_connections = 10`: a number of connections, at least `min`.
fn connections(meta: &ParseNestedMeta<'_>, key: &str, min: u32) -> syn::Result<u32> {
    let lit: syn::Lit = meta.value()?.parse()?;
    match &lit {
        syn::Lit::Int(i) => match i.base10_parse::<u32>() {
            Ok(n) if (min..=MOST_CONNECTIONS).contains(&n) => Ok(n),
            _ => expects(
                &lit,
                key,
                &format!("a number of connections from {min} to {MOST_CONNECTIONS}"),
            ),
        },
        _ => expects(&lit, key, "a number of connections, such as 10"),
    }
}

/// `connect_timeout = "500ms"` or `= 5` (seconds), in milliseconds.
fn duration(meta: &ParseNestedMeta<'_>, key: &str) -> syn::Result<u64> {
    let lit: syn::Lit = meta.value()?.parse()?;
    duration_of(&lit, key)
}

fn duration_of(lit: &syn::Lit, key: &str) -> syn::Result<u64> {
    let ms = match lit {
        syn::Lit::Str(s) => parse_millis(&s.value()),
        syn::Lit::Int(i) => i
            .base10_parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(1000)),
        _ => None,
    };
    match ms {
        Some(ms) if ms <= LONGEST_MS => Ok(ms),
        Some(_) => expects(lit, key, "a duration of at most a week (\"168h\")"),
        None => expects(lit, key, "a duration such as \"500ms\", \"5s\" or \"2m\""),
    }
}

/// The bounds every source of a pool setting keeps (the runtime's
/// `resolution::MOST_CONNECTIONS` and `LONGEST`, which the URL's parameters
/// and the `DATABASE_*` overrides are checked against; the UI case
/// `pool-setting-out-of-bounds` and `tests/tests/pool_rules.rs` hold both
/// to the same numbers).
const MOST_CONNECTIONS: u32 = 10_000;
const LONGEST_MS: u64 = 7 * 24 * 60 * 60 * 1000;

/// `replica = "NAME"`: a variable name.
fn variable(meta: &ParseNestedMeta<'_>, key: &str) -> syn::Result<String> {
    let lit: syn::Lit = meta.value()?.parse()?;
    match &lit {
        syn::Lit::Str(s)
            if !s.value().is_empty()
                && s.value()
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
        {
            Ok(s.value())
        }
        _ => expects(
            &lit,
            key,
            "a variable name such as \"DATABASE_REPLICA_URL\"",
        ),
    }
}

/// `pgbouncer = true` or `= false`.
fn switch(meta: &ParseNestedMeta<'_>, key: &str) -> syn::Result<bool> {
    let lit: syn::Lit = meta.value()?.parse()?;
    match &lit {
        syn::Lit::Bool(b) => Ok(b.value),
        _ => expects(&lit, key, "`true` or `false`, without quotes"),
    }
}

/// A bound that zero would make fail at once (or poll in a busy loop, or
/// report every connection): `connect_timeout`, `acquire_timeout`,
/// `credentials_poll`, `leak_threshold`, `migration_lock_wait`.
fn bound(meta: &ParseNestedMeta<'_>, key: &str) -> syn::Result<u64> {
    let lit: syn::Lit = meta.value()?.parse()?;
    match duration_of(&lit, key)? {
        0 => expects(
            &lit,
            key,
            "a duration above zero, such as \"500ms\" or \"5s\"",
        ),
        ms => Ok(ms),
    }
}

/// `on_unreachable = "error"` or `"fallback"`.
fn on_unreachable(meta: &ParseNestedMeta<'_>) -> syn::Result<OnUnreachable> {
    let lit: syn::Lit = meta.value()?.parse()?;
    match &lit {
        syn::Lit::Str(s) if s.value() == "error" => Ok(OnUnreachable::Error),
        syn::Lit::Str(s) if s.value() == "fallback" => Ok(OnUnreachable::Fallback),
        _ => expects(
            &lit,
            "on_unreachable",
            "\"error\" (the default) or \"fallback\"",
        ),
    }
}

/// `migrations = "migrations"`: a directory, not empty.
fn directory(meta: &ParseNestedMeta<'_>, key: &str) -> syn::Result<Sp<String>> {
    let lit: syn::Lit = meta.value()?.parse()?;
    match &lit {
        syn::Lit::Str(s) if !s.value().trim().is_empty() => Ok(Sp {
            value: s.value(),
            span: s.span(),
        }),
        _ => expects(&lit, key, "a directory such as \"migrations\""),
    }
}

/// Levenshtein distance, for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

fn unknown(
    meta: &ParseNestedMeta<'_>,
    keys: &[&str],
    elsewhere: &[&str],
    place: &str,
) -> syn::Error {
    let key = meta.path.get_ident().map_or_else(
        || quote::ToTokens::to_token_stream(&meta.path).to_string(),
        ToString::to_string,
    );
    if elsewhere.contains(&key.as_str()) {
        let there = if place == "field" {
            "the struct"
        } else if URL_KEYS.contains(&key.as_str()) || POOL_KEYS.contains(&key.as_str()) {
            "the `DatabaseUrl` field"
        } else {
            "a field"
        };
        return meta.error(format_args!(
            "`{key}` is not allowed on a {place}; it belongs on {there}"
        ));
    }
    let close = keys
        .iter()
        .map(|k| (distance(&key, k), k))
        .filter(|(d, k)| *d <= 2 && *d < k.len())
        .min();
    match close {
        Some((_, k)) => meta.error(format_args!(
            "unknown settings attribute `{key}`; did you mean `{k}`?"
        )),
        None => meta.error(format_args!(
            "unknown settings attribute `{key}`; expected one of: {}",
            keys.join(", ")
        )),
    }
}

/// Parses the struct's `#[settings(...)]` attributes.
pub(crate) fn struct_attrs(cx: &Ctxt, attrs: &[Attribute]) -> StructAttrs {
    let mut out = StructAttrs {
        prefix: Attr::new("prefix"),
        krate: Attr::new("crate"),
    };
    for attr in attrs.iter().filter(|a| a.path().is_ident("settings")) {
        let result = attr.parse_nested_meta(|meta| {
            let key = meta.path.span();
            if meta.path.is_ident("prefix") {
                // #[settings(prefix = "APP_")]
                out.prefix.set(cx, key, lit_str(&meta)?);
                Ok(())
            } else if meta.path.is_ident("crate") {
                // #[settings(crate = "facade::dbsettings")], for a crate that
                // re-exports dbsettings or a renamed dependency
                let path = crate_path(&meta).map_err(|e| cx.push(e)).ok();
                out.krate.set(cx, key, path);
                Ok(())
            } else {
                Err(unknown(
                    &meta,
                    STRUCT_KEYS,
                    &[FIELD_KEYS, POOL_KEYS].concat(),
                    "struct",
                ))
            }
        });
        if let Err(e) = result {
            cx.push(e);
        }
    }
    out
}

/// Parses a field's `#[settings(...)]` attributes.
pub(crate) fn field_attrs(cx: &Ctxt, attrs: &[Attribute]) -> FieldAttrs {
    let mut out = FieldAttrs {
        env: Attr::new("env"),
        aliases: Vec::new(),
        default: Attr::new("default"),
        fallback: Attr::new("fallback"),
        strict: Attr::new("strict"),
        pool: PoolAttrs::new(),
        libpq: Attr::new("libpq"),
        nested: Attr::new("nested"),
        prefix: Attr::new("prefix"),
        doc: Vec::new(),
    };
    // /// doc comments, for the generated .env.example
    for attr in attrs.iter().filter(|a| a.path().is_ident("doc")) {
        if let syn::Meta::NameValue(nv) = &attr.meta
            && let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) = &nv.value
        {
            out.doc.push(s.value().trim().to_owned());
        }
    }
    for attr in attrs.iter().filter(|a| a.path().is_ident("settings")) {
        let result = attr.parse_nested_meta(|meta| {
            let key = meta.path.span();
            if meta.path.is_ident("env") {
                // #[settings(env = "DATABASE_URL")]
                out.env.set(cx, key, lit_str(&meta)?);
            } else if meta.path.is_ident("alias") {
                // #[settings(alias = "POSTGRES_URL")], repeatable, tried in order
                let value = lit_str(&meta)?;
                out.aliases.push(Keyed { key, value });
            } else if meta.path.is_ident("default") {
                // #[settings(default = 7860)] or #[settings(default = "info")]
                out.default.set(cx, key, meta.value()?.parse()?);
            } else if meta.path.is_ident("fallback") {
                // #[settings(fallback = "sqlite://data/app.db")]
                out.fallback.set(cx, key, lit_str(&meta)?);
            } else if out.pool.parse(cx, &meta) {
                // #[settings(max_connections = 10, connect_timeout = "500ms",
                //            on_unreachable = "fallback", migrations = "migrations")]
            } else if meta.path.is_ident("libpq") {
                // #[settings(libpq = false)]
                let lit: syn::LitBool = meta.value()?.parse()?;
                out.libpq.set(cx, key, lit.value);
            } else if meta.path.is_ident("nested") {
                // #[settings(nested)]
                out.nested.set(cx, key, ());
            } else if meta.path.is_ident("prefix") {
                // #[settings(nested, prefix = "REPLICA_")]
                out.prefix.set(cx, key, lit_str(&meta)?);
            } else if meta.path.is_ident("strict") {
                // #[settings(strict)]
                out.strict.set(cx, key, ());
            } else {
                let keys = [FIELD_KEYS, POOL_KEYS].concat();
                return Err(unknown(&meta, &keys, STRUCT_KEYS, "field"));
            }
            Ok(())
        });
        if let Err(e) = result {
            cx.push(e);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{POOL_KEYS, PoolAttrs, distance, parse_millis};

    #[test]
    fn distances() {
        assert_eq!(distance("fallbak", "fallback"), 1);
        assert_eq!(distance("enb", "env"), 1);
        assert_eq!(distance("", "env"), 3);
        assert_eq!(distance("strict", "strict"), 0);
    }

    /// Every case of the table shared with the runtime's duration parser.
    #[test]
    fn parse_millis_follows_the_duration_table() {
        let mut cases = 0;
        for (i, line) in include_str!("duration_table.txt").lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let line_no = i + 1;
            let (input, expected) = line
                .strip_prefix('"')
                .and_then(|rest| rest.split_once('"'))
                .unwrap_or_else(|| panic!("line {line_no}: no quoted input"));
            let expected = match expected.trim() {
                "none" => None,
                ms => Some(
                    ms.parse::<u64>()
                        .unwrap_or_else(|_| panic!("line {line_no}: bad expectation {ms:?}")),
                ),
            };
            assert_eq!(parse_millis(input), expected, "line {line_no}: {input:?}");
            cases += 1;
        }
        assert!(cases >= 12, "the table has only {cases} cases");
    }

    #[test]
    fn pool_keys_name_the_pool_slots() {
        let pool = PoolAttrs::new();
        let names = [
            pool.max_connections.name,
            pool.min_connections.name,
            pool.connect_timeout.name,
            pool.acquire_timeout.name,
            pool.idle_timeout.name,
            pool.on_unreachable.name,
            pool.migrations.name,
            pool.pgbouncer.name,
            pool.startup_wait.name,
            pool.credentials_poll.name,
            pool.replica.name,
            pool.direct_url.name,
            pool.max_lifetime.name,
            pool.lifetime_jitter.name,
            pool.idle_check.name,
            pool.leak_threshold.name,
            pool.migration_lock_wait.name,
        ];
        assert_eq!(names, POOL_KEYS);
    }
}
