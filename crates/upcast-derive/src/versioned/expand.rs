//! The code `#[derive(Versioned)]` generates.

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use super::attr::{Attrs, Declared};

/// `p` is the path of upcast's `__private` module.
pub(crate) fn versioned(input: &DeriveInput, attrs: &Attrs, p: &TokenStream) -> TokenStream {
    let ident = &input.ident;
    let kind = &attrs.kind;
    let untagged = attrs.untagged;
    let id = attrs.id.map(|id| quote!(const KIND_ID: u32 = #id;));
    let formats = &attrs.formats;
    let formats = (!formats.is_empty())
        .then(|| quote!(const FORMATS: &'static [&'static str] = &[#(#formats),*];));
    let tag = match &attrs.version {
        Declared::Number(major) => quote!(#p::Tag::Number(#major)),
        Declared::Text(text) => quote!(#p::Tag::Text(#text)),
    };
    quote! {
        const _: () = {
            #[automatically_derived]
            impl #p::Versioned for #ident {
                const KIND: &'static str = #kind;
                const VERSION: #p::Tag = #tag;
                const UNTAGGED: bool = #untagged;
                #id
                #formats
            }

            #p::inventory::submit! {
                #p::VersionEntry::of::<#ident>()
            }
        };
    }
}

/// After an error: an impl with placeholder values and no registration, so uses of the
/// type elsewhere do not add errors of their own.
pub(crate) fn fallback(input: &DeriveInput, p: &TokenStream) -> TokenStream {
    if !input.generics.params.is_empty() {
        return TokenStream::new();
    }
    let ident = &input.ident;
    quote! {
        #[automatically_derived]
        impl #p::Versioned for #ident {
            const KIND: &'static str = "";
            const VERSION: #p::Tag = #p::Tag::Number(0);
        }
    }
}
