//! A typed view of the input struct: each field's kind, names and attributes,
//! each node keeping the syntax it came from for precise spans.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, GenericArgument, PathArguments, Type};

use crate::attr::{self, FieldAttrs, StructAttrs};
use crate::ctxt::Ctxt;

pub(crate) struct Input<'a> {
    pub(crate) original: &'a DeriveInput,
    pub(crate) attrs: StructAttrs,
    pub(crate) fields: Vec<Field<'a>>,
}

pub(crate) struct Field<'a> {
    pub(crate) original: &'a syn::Field,
    pub(crate) ident: &'a syn::Ident,
    pub(crate) kind: Kind<'a>,
    pub(crate) attrs: FieldAttrs,
}

pub(crate) enum Kind<'a> {
    /// The `DatabaseUrl` field.
    Url,
    /// `#[settings(nested)]`: another settings struct.
    Nested,
    /// `Option<T>`: absent is `None`.
    Optional(&'a Type),
    /// Any other `FromStr` type.
    Plain,
}

impl<'a> Input<'a> {
    /// Reads the struct, whose attributes `attrs` are already read, or
    /// explains why it cannot derive (not a struct with named fields).
    /// Attribute errors go to `cx`.
    pub(crate) fn from_syn(cx: &Ctxt, input: &'a DeriveInput, attrs: StructAttrs) -> Option<Self> {
        let fields = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(named) => &named.named,
                Fields::Unnamed(unnamed) => {
                    cx.error(
                        unnamed.paren_token.span.join(),
                        "DatabaseSettings needs named fields: each field names its variable; use `struct Settings { database_url: DatabaseUrl }`",
                    );
                    return None;
                }
                Fields::Unit => {
                    cx.error(
                        input.ident.span(),
                        "DatabaseSettings needs a struct with named fields, including one `DatabaseUrl`",
                    );
                    return None;
                }
            },
            Data::Enum(data) => {
                cx.error(
                    data.enum_token.span,
                    "DatabaseSettings can only be derived for a struct with named fields, not an enum",
                );
                return None;
            }
            Data::Union(data) => {
                cx.error(
                    data.union_token.span,
                    "DatabaseSettings can only be derived for a struct with named fields, not a union",
                );
                return None;
            }
        };
        let fields = fields
            .iter()
            .filter_map(|f| {
                let ident = f.ident.as_ref()?;
                let attrs = attr::field_attrs(cx, &f.attrs);
                let kind = match (attrs.nested.key(), kind_of(&f.ty)) {
                    (Some(_), Kind::Plain) => Kind::Nested,
                    (_, kind) => kind,
                };
                Some(Field {
                    original: f,
                    ident,
                    kind,
                    attrs,
                })
            })
            .collect();
        Some(Self {
            original: input,
            attrs,
            fields,
        })
    }
}

impl Field<'_> {
    /// The field's name without a raw `r#`.
    pub(crate) fn name(&self) -> String {
        let name = self.ident.to_string();
        name.strip_prefix("r#").map_or(name.clone(), str::to_owned)
    }

    pub(crate) fn ty_span(&self) -> Span {
        self.original.ty.span()
    }
}

/// The last path segment of a type, when it is a plain path.
fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        Type::Group(g) => last_segment(&g.elem),
        Type::Paren(p) => last_segment(&p.elem),
        _ => None,
    }
}

fn kind_of(ty: &Type) -> Kind<'_> {
    let Some(seg) = last_segment(ty) else {
        return Kind::Plain;
    };
    if seg.ident == "DatabaseUrl" && seg.arguments.is_none() {
        return Kind::Url;
    }
    if seg.ident == "Option"
        && let PathArguments::AngleBracketed(args) = &seg.arguments
        && let [GenericArgument::Type(inner)] = args.args.iter().collect::<Vec<_>>()[..]
    {
        return Kind::Optional(inner);
    }
    Kind::Plain
}
