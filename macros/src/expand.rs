//! Code generation: the only file that writes Rust with `quote!`. Generated
//! code names everything by absolute path so user items cannot shadow it:
//! `::core::…`, `::std::…`, and the runtime crate as `__dbsettings`, bound
//! once to `::dbsettings` or to the struct's `#[settings(crate = "...")]`.

use proc_macro2::TokenStream;
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::DeriveInput;
use syn::spanned::Spanned;

use crate::ast::{Field, Input, Kind};
use crate::attr::{self, OnUnreachable, PoolAttrs};
use crate::ctxt::Ctxt;
use crate::migrations::{self, Embedded};
use crate::{fallback, valid};

pub(crate) fn derive(input: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let attrs = attr::struct_attrs(&cx, &input.attrs);
    let krate = attrs.crate_path();
    let parsed = Input::from_syn(&cx, input, attrs);
    let mut embedded = None;
    if let Some(parsed) = &parsed {
        valid::check(&cx, parsed);
        // The URL field's migrations, read now so a bad directory or file
        // is an error on the attribute; on another field the attribute is
        // an error already.
        let dir = parsed
            .fields
            .iter()
            .find(|f| matches!(f.kind, Kind::Url))
            .and_then(|f| f.attrs.pool.migrations.value());
        embedded = dir.and_then(|dir| migrations::read(&cx, dir));
    }
    match (cx.finish(), parsed, krate) {
        (Ok(()), Some(parsed), Some(krate)) => {
            in_scope_of(&krate, &generate(&parsed, embedded.as_ref()))
        }
        (errors, _, krate) => {
            let mut out = errors
                .err()
                .map_or_else(TokenStream::new, |e| e.to_compile_error());
            // Without a usable crate path there is nothing to name the
            // trait by, and the errors stand alone.
            if let Some(krate) = krate {
                out.extend(in_scope_of(&krate, &fallback::stand_in(input)));
            }
            out
        }
    }
}

/// Wraps `code` in an anonymous `const` that names the runtime crate
/// `__dbsettings`, as serde does: the path from `crate = "..."` is written
/// once, so a path that does not resolve is one error, and every use keeps
/// the span it is given.
fn in_scope_of(krate: &syn::Path, code: &TokenStream) -> TokenStream {
    quote! {
        const _: () = {
            use #krate as __dbsettings;
            #code
        };
    }
}

/// The variable names of a field: `env` (or the prefixed, upper-cased field
/// name), then its aliases.
fn names(input: &Input<'_>, field: &Field<'_>) -> Vec<String> {
    let primary = field.attrs.env.value().map_or_else(
        || {
            let prefix = input.attrs.prefix.value().map_or("", |p| p.value.as_str());
            format!("{prefix}{}", field.name().to_uppercase())
        },
        |e| e.value.clone(),
    );
    std::iter::once(primary)
        .chain(field.attrs.aliases.iter().map(|a| a.value.value.clone()))
        .collect()
}

/// A nested field's prefix: its own `prefix`, or the struct's prefix and
/// the field name upper-cased, then `_`.
fn nested_prefix(input: &Input<'_>, field: &Field<'_>) -> String {
    field.attrs.prefix.value().map_or_else(
        || {
            let outer = input.attrs.prefix.value().map_or("", |p| p.value.as_str());
            format!("{outer}{}_", field.name().to_uppercase())
        },
        |p| p.value.clone(),
    )
}

/// What `__template` writes for one field.
fn template_field(input: &Input<'_>, field: &Field<'_>) -> TokenStream {
    let private = quote!(__dbsettings::__private);
    let doc = &field.attrs.doc;
    let names = names(input, field);
    let kind = match field.kind {
        Kind::Nested => {
            let ty = &field.original.ty;
            let prefix = nested_prefix(input, field);
            let name = field.name();
            return quote! {
                #private::template_nested(__out, #name, &[#(#doc),*]);
                <#ty as __dbsettings::DatabaseSettings>::__template(
                    &::std::format!("{}{}", __prefix, #prefix),
                    __out,
                );
            };
        }
        Kind::Url => {
            let fallback = field.attrs.fallback.value().map_or_else(
                || quote!(::core::option::Option::None),
                |l| {
                    let v = &l.value;
                    quote!(::core::option::Option::Some(#v))
                },
            );
            let replica = field.attrs.pool.replica.value().map_or_else(
                || quote!(::core::option::Option::None),
                |v| quote!(::core::option::Option::Some(#v)),
            );
            quote!(#private::TemplateKind::Url { fallback: #fallback, replica: #replica })
        }
        Kind::Optional(_) => quote!(#private::TemplateKind::Optional),
        Kind::Plain => match field.attrs.default.value() {
            Some(expr) => match expr {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => {
                    let text = s.value();
                    quote!(#private::TemplateKind::Default(#text))
                }
                // A value as the variable would hold it: `7860`, `-1`, `true`.
                syn::Expr::Lit(_)
                | syn::Expr::Unary(syn::ExprUnary {
                    op: syn::UnOp::Neg(_),
                    ..
                }) => {
                    let text = crate::text::rust_text(expr.to_token_stream());
                    quote!(#private::TemplateKind::Default(#text))
                }
                // Rust, not a value to paste: `IpAddr::V4(Ipv4Addr::UNSPECIFIED)`.
                other => {
                    let text = crate::text::rust_text(other.to_token_stream());
                    quote!(#private::TemplateKind::DefaultExpr(#text))
                }
            },
            None => quote!(#private::TemplateKind::Required),
        },
    };
    quote! {
        #private::template_entry(__out, __prefix, &[#(#names),*], &[#(#doc),*], #kind);
    }
}

/// A type as a compact string for messages, e.g. `u16` or `std::net::IpAddr`.
fn type_name(ty: &syn::Type) -> String {
    ty.to_token_stream().to_string().replace(' ', "")
}

fn load_field(input: &Input<'_>, field: &Field<'_>, embedded: Option<&Embedded>) -> TokenStream {
    let names = names(input, field);
    let private = quote!(__dbsettings::__private);
    match field.kind {
        Kind::Url => {
            let a = &field.attrs;
            let opt = |v: Option<TokenStream>| {
                v.map_or_else(
                    || quote!(::core::option::Option::None),
                    |v| quote!(::core::option::Option::Some(#v)),
                )
            };
            let default = opt(a.default.value().map(ToTokens::to_token_stream));
            let fallback = opt(a.fallback.value().map(|l| {
                let v = &l.value;
                quote!(#v)
            }));
            let strict = a.strict.key().is_some();
            let libpq = a.libpq.value().is_none_or(|on| *on);
            let pool = pool_spec(&a.pool, embedded);
            quote! {
                #private::database_url(
                    __source,
                    &#private::UrlSpec {
                        names: &[#(#names),*],
                        default: #default,
                        fallback: #fallback,
                        strict: #strict,
                        pool: #pool,
                        libpq: #libpq,
                    },
                    &mut __collector,
                )
            }
        }
        Kind::Nested => {
            let ty = &field.original.ty;
            let prefix = nested_prefix(input, field);
            quote_spanned! {ty.span()=>
                match <#ty as __dbsettings::DatabaseSettings>::from_source(
                    &__dbsettings::source::Prefixed::new(__source, #prefix),
                ) {
                    ::core::result::Result::Ok(v) => ::core::option::Option::Some(v),
                    ::core::result::Result::Err(e) => {
                        __collector.absorb(e);
                        ::core::option::Option::None
                    }
                }
            }
        }
        Kind::Optional(inner) => {
            let tn = type_name(inner);
            quote_spanned! {inner.span()=>
                #private::optional::<#inner>(__source, &[#(#names),*], #tn, &mut __collector)
            }
        }
        Kind::Plain => {
            let ty = &field.original.ty;
            let tn = type_name(ty);
            match field.attrs.default.value() {
                None => quote_spanned! {ty.span()=>
                    #private::required::<#ty>(__source, &[#(#names),*], #tn, &mut __collector)
                },
                Some(expr) => {
                    // A string literal suits text fields (`TextDefault`); any
                    // other expression must have the field's type. Either way
                    // the compiler checks it, pointing at the literal.
                    let value = if let syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(_),
                        ..
                    }) = expr
                    {
                        quote_spanned! {expr.span()=>
                            __dbsettings::__private::text_default(#expr)
                        }
                    } else {
                        quote_spanned!(expr.span()=> #expr)
                    };
                    quote! {
                        #private::with_default::<#ty>(
                            __source,
                            &[#(#names),*],
                            #tn,
                            || -> #ty { #value },
                            &mut __collector,
                        )
                    }
                }
            }
        }
    }
}

/// The embedded migrations: a static, so that `PoolSpec` can hold a
/// `&'static` to it. Each file's text is `include_str!` of its absolute
/// path, which makes cargo rebuild the crate when the file changes.
fn embedded_migrations(embedded: &Embedded) -> TokenStream {
    let private = quote!(__dbsettings::__private);
    let dir = &embedded.dir;
    let backends = embedded.backends.iter().map(|files| match files {
        None => quote!(::core::option::Option::None),
        Some(files) => {
            let files = files.iter().map(|f| {
                let (name, version, description, path) =
                    (&f.name, f.version, &f.description, &f.path);
                quote! {
                    #private::EmbeddedMigration {
                        file: #name,
                        version: #version,
                        description: #description,
                        sql: ::core::include_str!(#path),
                    }
                }
            });
            quote!(::core::option::Option::Some(&[#(#files),*]))
        }
    });
    let fields = migrations::BACKENDS.map(|b| format_ident!("{}", b));
    quote! {{
        static __MIGRATIONS: #private::EmbeddedMigrations = #private::EmbeddedMigrations {
            dir: #dir,
            #(#fields: #backends,)*
        };
        &__MIGRATIONS
    }}
}

/// The `PoolSpec` literal of the URL field's pool attributes.
fn pool_spec(pool: &PoolAttrs, embedded: Option<&Embedded>) -> TokenStream {
    let opt = |v: Option<TokenStream>| {
        v.map_or_else(
            || quote!(::core::option::Option::None),
            |v| quote!(::core::option::Option::Some(#v)),
        )
    };
    let max = opt(pool.max_connections.value().map(|n| quote!(#n)));
    let min = opt(pool.min_connections.value().map(|n| quote!(#n)));
    let connect = opt(pool.connect_timeout.value().map(|ms| quote!(#ms)));
    let acquire = opt(pool.acquire_timeout.value().map(|ms| quote!(#ms)));
    let idle = opt(pool.idle_timeout.value().map(|ms| quote!(#ms)));
    let fallback = pool.on_unreachable.value() == Some(&OnUnreachable::Fallback);
    let migrations = opt(embedded.map(embedded_migrations));
    let pgbouncer = pool.pgbouncer.value().copied().unwrap_or(false);
    let wait = opt(pool.startup_wait.value().map(|ms| quote!(#ms)));
    let credentials = opt(pool.credentials_poll.value().map(|ms| quote!(#ms)));
    let replica = opt(pool.replica.value().map(|var| quote!(#var)));
    let direct = opt(pool.direct_url.value().map(|var| quote!(#var)));
    let ms = |a: &attr::Attr<u64>| opt(a.value().map(|ms| quote!(#ms)));
    let (lifetime, jitter) = (ms(&pool.max_lifetime), ms(&pool.lifetime_jitter));
    let (idle_check, leak) = (ms(&pool.idle_check), ms(&pool.leak_threshold));
    let lock_wait = ms(&pool.migration_lock_wait);
    quote! {
        __dbsettings::__private::PoolSpec {
            max_connections: #max,
            min_connections: #min,
            connect_timeout_ms: #connect,
            acquire_timeout_ms: #acquire,
            idle_timeout_ms: #idle,
            fallback_when_unreachable: #fallback,
            migrations: #migrations,
            pgbouncer: #pgbouncer,
            startup_wait_ms: #wait,
            credentials_poll_ms: #credentials,
            replica: #replica,
            direct: #direct,
            max_lifetime_ms: #lifetime,
            lifetime_jitter_ms: #jitter,
            idle_check_ms: #idle_check,
            leak_threshold_ms: #leak,
            migration_lock_wait_ms: #lock_wait,
        }
    }
}

fn generate(input: &Input<'_>, embedded: Option<&Embedded>) -> TokenStream {
    let ident = &input.original.ident;
    let (impl_generics, ty_generics, where_clause) = input.original.generics.split_for_impl();
    let vars: Vec<_> = (0..input.fields.len())
        .map(|i| format_ident!("__field{}", i))
        .collect();
    let loads = input.fields.iter().map(|f| load_field(input, f, embedded));
    let idents = input.fields.iter().map(|f| f.ident);
    let templates: Vec<_> = input
        .fields
        .iter()
        .map(|f| template_field(input, f))
        .collect();
    let url_ident = input
        .fields
        .iter()
        .find(|f| matches!(f.kind, Kind::Url))
        .map(|f| f.ident);

    // `unused_qualifications`: the absolute paths are longer than the user's
    // imports may need, and must not warn under `#![deny(warnings)]`.
    quote! {
        #[automatically_derived]
        #[allow(unused_qualifications)]
        impl #impl_generics __dbsettings::DatabaseSettings for #ident #ty_generics #where_clause {
            fn from_source(
                __source: &dyn __dbsettings::__private::Source,
            ) -> ::core::result::Result<Self, __dbsettings::Error> {
                let mut __collector = __dbsettings::__private::Collector::new();
                #( let #vars = #loads; )*
                match (#(#vars,)*) {
                    (#(::core::option::Option::Some(#vars),)*) => {
                        ::core::result::Result::Ok(Self { #(#idents: #vars),* })
                    }
                    _ => ::core::result::Result::Err(__collector.into_error()),
                }
            }

            fn database_url(&self) -> &__dbsettings::DatabaseUrl {
                &self.#url_ident
            }

            fn __template(__prefix: &str, __out: &mut ::std::string::String) {
                #( #templates )*
            }
        }
    }
}

/// `statement!(<crate path>, "...")`, which `dbsettings::sql!` writes with
/// `$crate` as the path: the `Sql` value, with the MySQL form (and, after a
/// trailing `RETURNING <column>`, the insert form) translated here. An
/// untranslatable statement is an error on its literal, with a stand-in
/// value so that no second error follows.
pub(crate) fn statement(input: TokenStream) -> TokenStream {
    let mut tokens = input.into_iter();
    let krate: TokenStream = tokens
        .by_ref()
        .take_while(|t| !matches!(t, proc_macro2::TokenTree::Punct(p) if p.as_char() == ','))
        .collect();
    let rest: TokenStream = tokens.collect();
    let private = quote!(#krate::__private);
    // The stand-in has the type the statement would have had.
    let fail = |e: syn::Error, returning: bool| {
        let e = e.to_compile_error();
        let stand_in = if returning {
            quote!(#private::sql_returning_id("", "", ""))
        } else {
            quote!(#private::sql("", ""))
        };
        quote!({ #e #stand_in })
    };
    let lit: syn::LitStr = match syn::parse2(rest.clone()) {
        Ok(lit) => lit,
        Err(_) => {
            let span = rest
                .into_iter()
                .next()
                .map_or_else(proc_macro2::Span::call_site, |t| t.span());
            return fail(
                syn::Error::new(
                    span,
                    "`sql!` takes one string literal, as in sql!(\"SELECT title FROM todos WHERE id = $1\")",
                ),
                false,
            );
        }
    };
    match crate::sql::translate(&lit.value()) {
        Err(message) => fail(
            syn::Error::new(lit.span(), message),
            crate::sql::seems_to_return_id(&lit.value()),
        ),
        Ok(forms) => {
            let (postgres, mysql) = (&forms.postgres, &forms.mysql);
            match &forms.mysql_insert {
                Some(insert) => {
                    quote!(#private::sql_returning_id(#postgres, #mysql, #insert))
                }
                None => quote!(#private::sql(#postgres, #mysql)),
            }
        }
    }
}
