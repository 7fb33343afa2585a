//! Rules across the struct: exactly one URL field, attributes that fit their
//! field, valid variable names and an SQLite `fallback`.

use std::collections::HashMap;

use proc_macro2::Span;

use crate::ast::{Field, Input, Kind};
use crate::attr::PoolAttrs;
use crate::ctxt::{Ctxt, located};

pub(crate) fn check(cx: &Ctxt, input: &Input<'_>) {
    if let Some(prefix) = input.attrs.prefix.value() {
        check_name(cx, &prefix.value, prefix.span, "prefix");
    }

    let urls: Vec<_> = input
        .fields
        .iter()
        .filter(|f| matches!(f.kind, Kind::Url))
        .collect();
    match urls.as_slice() {
        [] => cx.error(
            input.original.ident.span(),
            "a DatabaseSettings struct needs one field of type `DatabaseUrl`, e.g. `database_url: dbsettings::DatabaseUrl`",
        ),
        [_] => {}
        [first, rest @ ..] => {
            for extra in rest {
                cx.error(
                    extra.ty_span(),
                    format_args!(
                        "only one `DatabaseUrl` field is allowed, and `{}` is one ({}); a second database belongs in its own settings struct",
                        first.name(),
                        located(first.ty_span()),
                    ),
                );
            }
        }
    }

    // Each variable name, with where it is given and by which field.
    let mut seen: HashMap<String, (Span, &syn::Ident)> = HashMap::new();
    for field in &input.fields {
        let a = &field.attrs;
        if let Some(env) = a.env.value() {
            check_name(cx, &env.value, env.span, "env");
        }
        for alias in &a.aliases {
            check_name(cx, &alias.value.value, alias.value.span, "alias");
        }
        let names = a
            .env
            .value()
            .into_iter()
            .chain(a.aliases.iter().map(|alias| &alias.value))
            .map(|name| (name.value.clone(), name.span));
        for (name, span) in names {
            if name.is_empty() {
                continue;
            }
            match seen.get(&name) {
                Some((first, owner)) => {
                    let by = if *owner == field.ident {
                        "this field".to_owned()
                    } else {
                        format!("the field `{owner}`")
                    };
                    cx.error(
                        span,
                        format_args!(
                            "the variable `{name}` is already read by {by} ({})",
                            located(*first)
                        ),
                    );
                }
                None => {
                    seen.insert(name, (span, field.ident));
                }
            }
        }

        check_kind(cx, field);
    }
}

/// Attributes around `nested`; true when the field is nested (and done).
fn check_nested(cx: &Ctxt, field: &Field<'_>) -> bool {
    let a = &field.attrs;
    if let Some(span) = a.nested.key()
        && !matches!(field.kind, Kind::Nested)
    {
        cx.error(
            span,
            "`nested` applies to a field whose type derives DatabaseSettings, not a `DatabaseUrl` or `Option`",
        );
    }
    if let Some(p) = a.prefix.given() {
        if a.nested.key().is_none() {
            cx.error(
                p.key,
                "`prefix` on a field needs `nested`; for the struct's own names put `prefix` on the struct",
            );
        } else {
            check_name(cx, &p.value.value, p.value.span, "prefix");
        }
    }
    if let Some(span) = a.libpq.key()
        && !matches!(field.kind, Kind::Url)
    {
        cx.error(span, "`libpq` applies only to the `DatabaseUrl` field");
    }
    if matches!(field.kind, Kind::Nested) {
        let keys = [
            a.env.given_key(),
            a.aliases.first().map(|alias| ("alias", alias.key)),
            a.default.given_key(),
            a.fallback.given_key(),
            a.strict.given_key(),
        ];
        for (key, span) in keys.into_iter().flatten() {
            cx.error(
                span,
                format_args!(
                    "`{key}` does not apply to a nested field: its own fields name their variables"
                ),
            );
        }
        for (key, span) in a.pool.given_keys() {
            cx.error(
                span,
                format_args!(
                    "`{key}` does not apply to a nested field: set it on its `DatabaseUrl` field"
                ),
            );
        }
        return true;
    }
    false
}

/// Attributes that fit the field's kind.
fn check_kind(cx: &Ctxt, field: &Field<'_>) {
    let a = &field.attrs;
    if check_nested(cx, field) {
        return;
    }
    match field.kind {
        Kind::Url => {
            if let Some(default) = a.default.given()
                && !is_str_lit(&default.value)
            {
                cx.error(
                    default.key,
                    "the `default` of the `DatabaseUrl` field must be a string literal URL",
                );
            }
            if let Some(lit) = a.fallback.value() {
                check_fallback(cx, &lit.value, lit.span);
            }
            check_lifetime(cx, &a.pool);
            if let (Some(min), Some(&max)) = (
                a.pool.min_connections.given(),
                a.pool.max_connections.value(),
            ) && min.value > max
            {
                cx.error(
                    min.key,
                    format_args!(
                        "`min_connections` ({}) exceeds `max_connections` ({max})",
                        min.value
                    ),
                );
            }
        }
        Kind::Nested => {}
        Kind::Optional(_) | Kind::Plain => {
            if let Some(span) = a.fallback.key() {
                cx.error(span, "`fallback` applies only to the `DatabaseUrl` field");
            }
            if let Some(span) = a.strict.key() {
                cx.error(span, "`strict` applies only to the `DatabaseUrl` field");
            }
            for (key, span) in a.pool.given_keys() {
                cx.error(
                    span,
                    format_args!("`{key}` applies only to the `DatabaseUrl` field"),
                );
            }
        }
    }
    if let (Kind::Optional(_), Some(span)) = (&field.kind, a.default.key()) {
        cx.error(
            span,
            "an `Option` field has no `default`: absent is `None`; remove `default` or drop the `Option`",
        );
    }
}

/// The runtime's defaults (`PoolOptions::default()`), for the rules below
/// when only one side is given; `tests/tests/pool_watch.rs` checks that
/// they match.
const DEFAULT_CONNECT_TIMEOUT_MS: u64 = 5_000;
const DEFAULT_MAX_LIFETIME_MS: u64 = 30 * 60_000;

/// A lifetime no shorter than the connect timeout, and a jitter shorter
/// than the lifetime (`max_lifetime = 0` keeps connections: no rule).
fn check_lifetime(cx: &Ctxt, pool: &PoolAttrs) {
    let lifetime = pool.max_lifetime.value().copied();
    let connect = pool.connect_timeout.value().copied();
    let shown = |ms: u64, given: bool| {
        let d = format!("{:?}", core::time::Duration::from_millis(ms));
        if given { d } else { format!("{d} by default") }
    };
    if let Some(given) = pool.max_lifetime.given()
        && given.value > 0
        && given.value < connect.unwrap_or(DEFAULT_CONNECT_TIMEOUT_MS)
    {
        let c = connect.unwrap_or(DEFAULT_CONNECT_TIMEOUT_MS);
        cx.error(
            given.key,
            format_args!(
                "`max_lifetime` ({}) is shorter than `connect_timeout` ({}): connections would be retired as soon as they are made",
                shown(given.value, true),
                shown(c, connect.is_some()),
            ),
        );
    }
    let l = lifetime.unwrap_or(DEFAULT_MAX_LIFETIME_MS);
    if let Some(jitter) = pool.lifetime_jitter.given()
        && l > 0
        && jitter.value >= l
    {
        cx.error(
            jitter.key,
            format_args!(
                "`lifetime_jitter` ({}) is not shorter than `max_lifetime` ({}): a connection could be retired as soon as it is made",
                shown(jitter.value, true),
                shown(l, lifetime.is_some()),
            ),
        );
    }
}

fn is_str_lit(expr: &syn::Expr) -> bool {
    matches!(
        expr,
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(_),
            ..
        })
    )
}

/// An environment variable name, or the start of one for a `prefix`: not
/// empty, no `=`, NUL or white space.
fn check_name(cx: &Ctxt, name: &str, span: Span, key: &str) {
    let what = if key == "prefix" {
        "the start of a variable name"
    } else {
        "a variable name"
    };
    if name.is_empty() {
        cx.error(span, format_args!("`{key}` must not be empty"));
    } else if let Some(c) = name
        .chars()
        .find(|c| *c == '=' || *c == '\0' || c.is_whitespace())
    {
        let found = match c {
            '=' => "`=`",
            '\0' => "a NUL character",
            _ => "white space",
        };
        cx.error(
            span,
            format_args!("`{key}` must be {what}, which cannot contain {found}"),
        );
    }
}

/// The fallback is an SQLite URL: `sqlite::memory:` or `sqlite:` and a path.
fn check_fallback(cx: &Ctxt, url: &str, span: Span) {
    let ok = url
        .strip_prefix("sqlite:")
        .map(|rest| rest.trim_start_matches('/'))
        .is_some_and(|path| !path.is_empty() && !path.starts_with('?'));
    if !ok {
        cx.error(
            span,
            "`fallback` must be an SQLite URL, such as \"sqlite://data/app.db\" or \"sqlite::memory:\"",
        );
    } else if url.chars().any(char::is_whitespace) {
        cx.error(span, "`fallback` must not contain white space");
    }
}
