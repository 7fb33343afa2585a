//! The derive behind [`dbsettings`](https://docs.rs/dbsettings):
//! `#[derive(DatabaseSettings)]`. Use it through the `dbsettings` crate,
//! which re-exports it and documents its attributes.
//!
//! The steps are separate so that each can be tested outside the compiler:
//! `attr` reads `#[settings(...)]` syntax, `ast` builds a typed view of the
//! struct, `valid` checks rules across fields, `expand` generates the impl
//! and `fallback` emits a stand-in impl when there are errors. `text`
//! prints a default's tokens as Rust for the `.env.example` template.

mod ast;
mod attr;
mod ctxt;
mod expand;
mod fallback;
mod text;
mod valid;

use proc_macro::TokenStream;

/// Derives `dbsettings::DatabaseSettings`; see that trait for the attributes.
#[proc_macro_derive(DatabaseSettings, attributes(settings))]
pub fn derive_database_settings(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    expand::derive(&input).into()
}
