//! `#[derive(Versioned)]`.

mod attr;
mod expand;
mod version;

use proc_macro2::TokenStream;
use syn::DeriveInput;

use crate::errors::Errors;

pub(crate) fn expand(input: &DeriveInput) -> TokenStream {
    let mut errors = Errors::default();
    let attrs = attr::parse(input, &mut errors);
    if !input.generics.params.is_empty() {
        errors.at(
            &input.generics,
            "cannot derive Versioned for a generic type: a stored version has one concrete \
             type; derive it on a type without parameters",
        );
    }
    match attrs.filter(|_| errors.is_empty()) {
        Some(attrs) => expand::versioned(input, &attrs),
        None => {
            let stub = expand::fallback(input);
            let errors = errors.into_compile_errors();
            quote::quote! { #errors #stub }
        }
    }
}
