//! What to emit when the input has errors: the trait impl with bodies that
//! never run, so the user sees the real error and not a cascade of "trait
//! not implemented" errors where the struct is used.

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

/// The stand-in impl; like the real one, it names the runtime crate
/// `__dbsettings` and goes inside `expand::in_scope_of`.
pub(crate) fn stand_in(input: &DeriveInput) -> TokenStream {
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    quote! {
        #[automatically_derived]
        #[allow(unused_qualifications)]
        impl #impl_generics __dbsettings::DatabaseSettings for #ident #ty_generics #where_clause {
            fn from_source(
                _: &dyn __dbsettings::__private::Source,
            ) -> ::core::result::Result<Self, __dbsettings::Error> {
                ::core::unreachable!()
            }

            fn database_url(&self) -> &__dbsettings::DatabaseUrl {
                ::core::unreachable!()
            }
        }
    }
}
