//! The derive behind [`dbsettings`](https://docs.rs/dbsettings):
//! `#[derive(DatabaseSettings)]`. Use it through the `dbsettings` crate,
//! which re-exports it and documents its attributes.
//!
//! The derive's steps are separate so that each can be tested outside the
//! compiler: `attr` reads `#[settings(...)]` syntax, `ast` builds a typed view of the
//! struct, `valid` checks rules across fields, `migrations` reads the
//! migrations directory to embed, `expand` generates the impl and
//! `fallback` emits a stand-in impl when there are errors. `text` prints a
//! default's tokens as Rust for the `.env.example` template.

mod ast;
mod attr;
mod ctxt;
mod expand;
mod fallback;
mod migrations;
mod sql;
mod text;
mod valid;

use proc_macro::TokenStream;

/// Derives `dbsettings::DatabaseSettings`; see that trait for the attributes.
#[proc_macro_derive(DatabaseSettings, attributes(settings))]
pub fn derive_database_settings(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    expand::derive(&input).into()
}

/// Used by `dbsettings::sql!`, not public API: `statement!($crate, "...")`,
/// a statement with `$N` placeholders and its MySQL form.
#[doc(hidden)]
#[proc_macro]
pub fn statement(input: TokenStream) -> TokenStream {
    expand::statement(input.into()).into()
}
