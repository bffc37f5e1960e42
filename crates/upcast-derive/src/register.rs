//! `#[upcast::register]`: registers a step written as `From`, `TryFrom` or `Upcast`.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{GenericArgument, ItemImpl, Path, PathArguments, Type};

use crate::crate_path::CratePath;
use crate::errors::Errors;

const USAGE: &str = "#[upcast::register] goes on `impl From<Old> for New`, \
                     `impl TryFrom<Old> for New` or `impl upcast::Upcast for Old`";

/// The step an impl describes.
enum Step<'a> {
    From { old: &'a Type, new: &'a Type },
    TryFrom { old: &'a Type, new: &'a Type },
    Upcast { old: &'a Type },
}

pub(crate) fn expand(args: TokenStream, item: &ItemImpl) -> TokenStream {
    let mut errors = Errors::default();
    let krate = arguments(args, &mut errors);
    if !item.generics.params.is_empty() {
        errors.at(
            &item.generics,
            "#[upcast::register] cannot register a generic impl: write one impl per step \
             between two concrete versions",
        );
    }
    let step = classify(item, &mut errors);
    let registration = match step.filter(|_| errors.is_empty()) {
        Some(step) => registration(&step, &krate.private()),
        None => TokenStream::new(),
    };
    let errors = errors.into_compile_errors();
    quote! {
        #errors
        #item
        #registration
    }
}

/// The attribute's arguments: only `crate = "path"`.
fn arguments(args: TokenStream, errors: &mut Errors) -> CratePath {
    let mut krate = CratePath::default();
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("crate") {
            krate = CratePath::parse(&meta)?;
            Ok(())
        } else {
            let path = &meta.path;
            let name = quote!(#path).to_string().replace(' ', "");
            Err(meta.error(format_args!(
                "unknown argument `{name}` of #[upcast::register], expected `crate = \"...\"`"
            )))
        }
    });
    if let Err(error) = syn::parse::Parser::parse2(parser, args) {
        errors.push(error);
    }
    krate
}

/// Not an impl at all: keep the tokens, add the error.
pub(crate) fn not_an_impl(item: TokenStream) -> TokenStream {
    let error = syn::Error::new(Span::call_site(), USAGE).into_compile_error();
    quote! { #error #item }
}

fn classify<'a>(item: &'a ItemImpl, errors: &mut Errors) -> Option<Step<'a>> {
    let Some((path, _)) = &item.trait_ else {
        errors.at(&item.self_ty, format!("{USAGE}, not on an inherent impl"));
        return None;
    };
    if let Some(bang) = &item.modifiers.polarity {
        errors.at(bang, format!("{USAGE}, not on a negative impl"));
        return None;
    }
    let new = &*item.self_ty;
    let last = path.segments.last()?;
    match last.ident.to_string().as_str() {
        "From" => single_argument(path, errors).map(|old| Step::From { old, new }),
        "TryFrom" => single_argument(path, errors).map(|old| Step::TryFrom { old, new }),
        "Upcast" => Some(Step::Upcast { old: new }),
        other => {
            errors.at(path, format!("{USAGE}, not on an impl of `{other}`"));
            None
        }
    }
}

fn single_argument<'a>(path: &'a Path, errors: &mut Errors) -> Option<&'a Type> {
    let last = path.segments.last()?;
    if let PathArguments::AngleBracketed(args) = &last.arguments
        && let [GenericArgument::Type(old)] = args.args.iter().collect::<Vec<_>>().as_slice()
    {
        return Some(old);
    }
    errors.at(
        last,
        format!(
            "expected `{}<Old>` with the older version's type",
            last.ident
        ),
    );
    None
}

/// `p` is the path of upcast's `__private` module.
fn registration(step: &Step<'_>, p: &TokenStream) -> TokenStream {
    let (old, upcast_impl) = match step {
        Step::Upcast { old } => (*old, TokenStream::new()),
        Step::From { old, new } => (
            *old,
            upcast_impl(
                old,
                new,
                quote! {
                    #p::Result::Ok(<#new as ::core::convert::From<#old>>::from(self))
                },
                p,
            ),
        ),
        Step::TryFrom { old, new } => (
            *old,
            upcast_impl(
                old,
                new,
                quote! {
                    <#new as ::core::convert::TryFrom<#old>>::try_from(self).map_err(#p::UpcastError::from)
                },
                p,
            ),
        ),
    };
    quote! {
        const _: () = {
            #upcast_impl
            #p::inventory::submit! {
                #p::StepEntry::of::<#old>()
            }
        };
    }
}

/// A `From` or `TryFrom` step also implements `Upcast`, which makes a second step from the
/// same version a compile error (conflicting impls) rather than a runtime one.
fn upcast_impl(old: &Type, new: &Type, body: TokenStream, p: &TokenStream) -> TokenStream {
    quote! {
        #[automatically_derived]
        impl #p::Upcast for #old {
            type Next = #new;

            #[inline]
            fn upcast(self, _: &#p::Context<'_>) -> #p::Result<#new, #p::UpcastError> {
                #body
            }
        }
    }
}
