//! `#[settings(...)]` syntax only: which keys, which values, with their spans.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Attribute, LitStr};

use crate::ctxt::Ctxt;

/// A value with the span of the tokens it came from.
#[derive(Clone)]
pub(crate) struct Sp<T> {
    pub(crate) value: T,
    pub(crate) span: Span,
}

/// Keys accepted on the struct.
const STRUCT_KEYS: &[&str] = &["prefix"];
/// Keys accepted on any field.
const FIELD_KEYS: &[&str] = &[
    "env", "alias", "default", "fallback", "strict", "libpq", "nested", "prefix",
];

/// Pool keys, which apply to the `DatabaseUrl` field only.
pub(crate) const POOL_KEYS: &[&str] = &[
    "max_connections",
    "min_connections",
    "connect_timeout",
    "acquire_timeout",
    "idle_timeout",
    "on_unreachable",
    "migrations",
];

/// A pool attribute's value, checked as far as a literal allows.
#[derive(Clone)]
pub(crate) enum PoolValue {
    /// `max_connections = 10`
    Count(u32),
    /// `connect_timeout = "500ms"` or `= 5` (seconds), in milliseconds
    Millis(u64),
    /// `on_unreachable = "fallback"`: true for fallback
    Fallback(bool),
    /// `migrations = "migrations"`
    Text(String),
}

/// `#[settings(...)]` on the struct.
#[derive(Default)]
pub(crate) struct StructAttrs {
    pub(crate) prefix: Option<Sp<String>>,
}

/// `#[settings(...)]` on a field.
#[derive(Default)]
pub(crate) struct FieldAttrs {
    pub(crate) env: Option<Sp<String>>,
    pub(crate) aliases: Vec<Sp<String>>,
    /// The span of the `default` key, and its expression.
    pub(crate) default: Option<(Span, syn::Expr)>,
    pub(crate) fallback: Option<(Span, Sp<String>)>,
    pub(crate) strict: Option<Span>,
    /// Pool attributes by key, with the key's span.
    pub(crate) pool: Vec<(&'static str, Span, PoolValue)>,
    /// `libpq = false`
    pub(crate) libpq: Option<(Span, bool)>,
    /// `nested`
    pub(crate) nested: Option<Span>,
    /// `prefix = "REPLICA_"` with `nested`
    pub(crate) prefix: Option<Sp<String>>,
    /// The field's doc comment, line by line.
    pub(crate) doc: Vec<String>,
}

/// Records `value` in `slot`, or a duplicate error pointing at both.
fn set_once<T>(
    cx: &Ctxt,
    slot: &mut Option<T>,
    value: T,
    key: &str,
    span: Span,
    first: Option<Span>,
) {
    if slot.is_some() {
        let mut e = syn::Error::new(span, format_args!("duplicate `{key}` in #[settings(...)]"));
        if let Some(first) = first {
            e.combine(syn::Error::new(first, format_args!("first `{key}` here")));
        }
        cx.push(e);
    } else {
        *slot = Some(value);
    }
}

fn lit_str(meta: &ParseNestedMeta<'_>) -> syn::Result<Sp<String>> {
    let lit: LitStr = meta.value()?.parse()?;
    Ok(Sp {
        value: lit.value(),
        span: lit.span(),
    })
}

/// Parses `500ms`, `5s`, `2m`, `1h` or a bare number of seconds.
pub(crate) fn parse_millis(text: &str) -> Option<u64> {
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

fn pool_value(meta: &ParseNestedMeta<'_>, key: &str) -> syn::Result<PoolValue> {
    let lit: syn::Lit = meta.value()?.parse()?;
    let bad = |what: &str| {
        Err(syn::Error::new(
            lit.span(),
            format_args!("`{key}` expects {what}"),
        ))
    };
    match key {
        "max_connections" | "min_connections" => match &lit {
            syn::Lit::Int(i) => match i.base10_parse::<u32>() {
                Ok(0) if key == "max_connections" => bad("at least 1 connection"),
                Ok(n) => Ok(PoolValue::Count(n)),
                Err(_) => bad("a number of connections (u32)"),
            },
            _ => bad("a number of connections, such as 10"),
        },
        "connect_timeout" | "acquire_timeout" | "idle_timeout" => {
            let ms = match &lit {
                syn::Lit::Str(s) => parse_millis(s.value().trim()),
                syn::Lit::Int(i) => i
                    .base10_parse::<u64>()
                    .ok()
                    .and_then(|n| n.checked_mul(1000)),
                _ => None,
            };
            match ms {
                Some(ms) => Ok(PoolValue::Millis(ms)),
                None => bad("a duration such as \"500ms\", \"5s\" or \"2m\""),
            }
        }
        "on_unreachable" => match &lit {
            syn::Lit::Str(s) if s.value() == "fallback" => Ok(PoolValue::Fallback(true)),
            syn::Lit::Str(s) if s.value() == "error" => Ok(PoolValue::Fallback(false)),
            _ => bad("\"error\" (the default) or \"fallback\""),
        },
        _ => match &lit {
            syn::Lit::Str(s) if !s.value().trim().is_empty() => Ok(PoolValue::Text(s.value())),
            _ => bad("a directory such as \"migrations\""),
        },
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
        return meta.error(format_args!(
            "`{key}` is not allowed on a {place}; it belongs on the {}",
            if place == "field" { "struct" } else { "field" }
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
    let mut out = StructAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("settings")) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("prefix") {
                // #[settings(prefix = "APP_")]
                let span = meta.path.span();
                let v = lit_str(&meta)?;
                let first = out.prefix.as_ref().map(|p| p.span);
                set_once(cx, &mut out.prefix, v, "prefix", span, first);
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
    let mut out = FieldAttrs::default();
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
            let span = meta.path.span();
            if meta.path.is_ident("env") {
                // #[settings(env = "DATABASE_URL")]
                let v = lit_str(&meta)?;
                let first = out.env.as_ref().map(|e| e.span);
                set_once(cx, &mut out.env, v, "env", span, first);
            } else if meta.path.is_ident("alias") {
                // #[settings(alias = "POSTGRES_URL")], repeatable, tried in order
                out.aliases.push(lit_str(&meta)?);
            } else if meta.path.is_ident("default") {
                // #[settings(default = 7860)] or #[settings(default = "info")]
                let expr: syn::Expr = meta.value()?.parse()?;
                let first = out.default.as_ref().map(|d| d.0);
                set_once(cx, &mut out.default, (span, expr), "default", span, first);
            } else if meta.path.is_ident("fallback") {
                // #[settings(fallback = "sqlite://data/app.db")]
                let v = lit_str(&meta)?;
                let first = out.fallback.as_ref().map(|f| f.0);
                set_once(cx, &mut out.fallback, (span, v), "fallback", span, first);
            } else if let Some(key) = POOL_KEYS.iter().copied().find(|k| meta.path.is_ident(k)) {
                // #[settings(max_connections = 10, connect_timeout = "500ms",
                //            on_unreachable = "fallback", migrations = "migrations")]
                // A bad value is reported and parsing goes on, so every
                // mistake in the attribute shows at once.
                let value = match pool_value(&meta, key) {
                    Ok(v) => v,
                    Err(e) => {
                        cx.push(e);
                        return Ok(());
                    }
                };
                if let Some((_, first, _)) = out.pool.iter().find(|(k, ..)| *k == key) {
                    let mut e = syn::Error::new(
                        span,
                        format_args!("duplicate `{key}` in #[settings(...)]"),
                    );
                    e.combine(syn::Error::new(*first, format_args!("first `{key}` here")));
                    cx.push(e);
                } else {
                    out.pool.push((key, span, value));
                }
            } else if meta.path.is_ident("libpq") {
                // #[settings(libpq = false)]
                let lit: syn::LitBool = meta.value()?.parse()?;
                let first = out.libpq.map(|l| l.0);
                set_once(cx, &mut out.libpq, (span, lit.value), "libpq", span, first);
            } else if meta.path.is_ident("nested") {
                // #[settings(nested)]
                let first = out.nested;
                set_once(cx, &mut out.nested, span, "nested", span, first);
            } else if meta.path.is_ident("prefix") {
                // #[settings(nested, prefix = "REPLICA_")]
                let v = lit_str(&meta)?;
                let first = out.prefix.as_ref().map(|p| p.span);
                set_once(cx, &mut out.prefix, v, "prefix", span, first);
            } else if meta.path.is_ident("strict") {
                // #[settings(strict)]
                let first = out.strict;
                set_once(cx, &mut out.strict, span, "strict", span, first);
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
    use super::distance;

    #[test]
    fn distances() {
        assert_eq!(distance("fallbak", "fallback"), 1);
        assert_eq!(distance("enb", "env"), 1);
        assert_eq!(distance("", "env"), 3);
        assert_eq!(distance("strict", "strict"), 0);
    }
}
