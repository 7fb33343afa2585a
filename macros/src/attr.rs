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
/// Keys accepted on a field.
const FIELD_KEYS: &[&str] = &["env", "alias", "default", "fallback", "strict"];

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
}

/// Records `value` in `slot`, or a duplicate error pointing at both.
fn set_once<T>(
    cx: &mut Ctxt,
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
pub(crate) fn struct_attrs(cx: &mut Ctxt, attrs: &[Attribute]) -> StructAttrs {
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
                Err(unknown(&meta, STRUCT_KEYS, FIELD_KEYS, "struct"))
            }
        });
        if let Err(e) = result {
            cx.push(e);
        }
    }
    out
}

/// Parses a field's `#[settings(...)]` attributes.
pub(crate) fn field_attrs(cx: &mut Ctxt, attrs: &[Attribute]) -> FieldAttrs {
    let mut out = FieldAttrs::default();
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
            } else if meta.path.is_ident("strict") {
                // #[settings(strict)]
                let first = out.strict;
                set_once(cx, &mut out.strict, span, "strict", span, first);
            } else {
                return Err(unknown(&meta, FIELD_KEYS, STRUCT_KEYS, "field"));
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
