//! `#[derive(Versioned)]`.

mod attr;
mod expand;

use proc_macro2::TokenStream;
use syn::DeriveInput;

use crate::errors::Errors;

pub(crate) fn expand(input: &DeriveInput) -> TokenStream {
    let mut errors = Errors::default();
    let (attrs, krate) = attr::parse(input, &mut errors);
    if !input.generics.params.is_empty() {
        errors.at(
            &input.generics,
            "cannot derive Versioned for a generic type: a stored version has one concrete \
             type; derive it on a type without parameters",
        );
    }
    let p = krate.private();
    match attrs.filter(|_| errors.is_empty()) {
        Some(attrs) => expand::versioned(input, &attrs, &p),
        None => {
            let stub = expand::fallback(input, &p);
            let errors = errors.into_compile_errors();
            quote::quote! { #errors #stub }
        }
    }
}
