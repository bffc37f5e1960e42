//! The code `#[derive(Versioned)]` generates.

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use super::attr::{Attrs, Declared};

pub(crate) fn versioned(input: &DeriveInput, attrs: &Attrs) -> TokenStream {
    let ident = &input.ident;
    let kind = &attrs.kind;
    let untagged = attrs.untagged;
    let tag = match &attrs.version {
        Declared::Number(major) => quote!(::upcast::__private::Tag::Number(#major)),
        Declared::Text(text) => quote!(::upcast::__private::Tag::Text(#text)),
    };
    quote! {
        const _: () = {
            #[automatically_derived]
            impl ::upcast::__private::Versioned for #ident {
                const KIND: &'static str = #kind;
                const VERSION: ::upcast::__private::Tag = #tag;
                const UNTAGGED: bool = #untagged;
            }

            ::upcast::__private::inventory::submit! {
                ::upcast::__private::VersionEntry::of::<#ident>()
            }
        };
    }
}

/// After an error: an impl with placeholder values and no registration, so uses of the
/// type elsewhere do not add errors of their own.
pub(crate) fn fallback(input: &DeriveInput) -> TokenStream {
    if !input.generics.params.is_empty() {
        return TokenStream::new();
    }
    let ident = &input.ident;
    quote! {
        #[automatically_derived]
        impl ::upcast::__private::Versioned for #ident {
            const KIND: &'static str = "";
            const VERSION: ::upcast::__private::Tag = ::upcast::__private::Tag::Number(0);
        }
    }
}
