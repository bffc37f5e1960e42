//! `#[upcast::register]`: registers a step written as `From`, `TryFrom` or `Upcast`, or a
//! downcast written as `Downcast`, or as `From`/`TryFrom` with `#[upcast::register(downcast)]`.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::spanned::Spanned;
use syn::{GenericArgument, ItemImpl, Path, PathArguments, Type};

use crate::crate_path::CratePath;
use crate::errors::Errors;

const USAGE: &str = "#[upcast::register] goes on `impl From<Old> for New`, \
                     `impl TryFrom<Old> for New`, `impl upcast::Upcast for Old` or \
                     `impl upcast::Downcast for New`";

/// What an impl registers.
struct Step<'a> {
    /// The version the step starts from: `Old` of a step, `New` of a downcast.
    source: &'a Type,
    target: &'a Type,
    kind: Kind,
    back: bool,
}

/// How the impl converts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    From,
    TryFrom,
    /// `impl Upcast` or `impl Downcast`: the trait is implemented already.
    Trait,
}

/// The attribute's arguments.
#[derive(Default)]
struct Args {
    krate: CratePath,
    /// `downcast`, where it was written.
    downcast: Option<Span>,
}

pub(crate) fn expand(args: TokenStream, item: &ItemImpl) -> TokenStream {
    let mut errors = Errors::default();
    let args = arguments(args, &mut errors);
    if !item.generics.params.is_empty() {
        errors.at(
            &item.generics,
            "#[upcast::register] cannot register a generic impl: write one impl per step \
             between two concrete versions",
        );
    }
    let step = classify(item, args.downcast, &mut errors);
    let registration = match step.filter(|_| errors.is_empty()) {
        Some(step) => registration(&step, &args.krate.private()),
        None => TokenStream::new(),
    };
    let errors = errors.into_compile_errors();
    quote! {
        #errors
        #item
        #registration
    }
}

/// The attribute's arguments: `downcast` and `crate = "path"`.
fn arguments(args: TokenStream, errors: &mut Errors) -> Args {
    let mut found = Args::default();
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("crate") {
            found.krate = CratePath::parse(&meta)?;
            Ok(())
        } else if meta.path.is_ident("downcast") {
            if meta.input.peek(syn::Token![=]) {
                return Err(
                    meta.error("`downcast` takes no value: write #[upcast::register(downcast)]")
                );
            }
            if found.downcast.replace(meta.path.span()).is_some() {
                return Err(meta.error("duplicate argument `downcast`"));
            }
            Ok(())
        } else {
            let path = &meta.path;
            let name = quote!(#path).to_string().replace(' ', "");
            Err(meta.error(format_args!(
                "unknown argument `{name}` of #[upcast::register], expected `downcast` or \
                 `crate = \"...\"`"
            )))
        }
    });
    if let Err(error) = syn::parse::Parser::parse2(parser, args) {
        errors.push(error);
    }
    found
}

/// Not an impl at all: keep the tokens, add the error.
pub(crate) fn not_an_impl(item: TokenStream) -> TokenStream {
    let error = syn::Error::new(Span::call_site(), USAGE).into_compile_error();
    quote! { #error #item }
}

fn classify<'a>(
    item: &'a ItemImpl,
    downcast: Option<Span>,
    errors: &mut Errors,
) -> Option<Step<'a>> {
    let Some((path, _)) = &item.trait_ else {
        errors.at(&item.self_ty, format!("{USAGE}, not on an inherent impl"));
        return None;
    };
    if let Some(bang) = &item.modifiers.polarity {
        errors.at(bang, format!("{USAGE}, not on a negative impl"));
        return None;
    }
    let this = &*item.self_ty;
    let last = path.segments.last()?;
    match last.ident.to_string().as_str() {
        "From" => conversion(path, this, Kind::From, downcast.is_some(), errors),
        "TryFrom" => conversion(path, this, Kind::TryFrom, downcast.is_some(), errors),
        name @ ("Upcast" | "Downcast") => {
            if let Some(span) = downcast {
                let fix = if name == "Upcast" {
                    "an `impl Upcast` is a step: remove `downcast`, or write the downcast as \
                     `impl Downcast for New`"
                } else {
                    "an `impl Downcast` is a downcast already: remove `downcast`"
                };
                errors.push(syn::Error::new(
                    span,
                    format!("`downcast` registers a From or TryFrom impl as a downcast; {fix}"),
                ));
                return None;
            }
            Some(Step {
                source: this,
                target: this,
                kind: Kind::Trait,
                back: name == "Downcast",
            })
        }
        other => {
            errors.at(path, format!("{USAGE}, not on an impl of `{other}`"));
            None
        }
    }
}

/// `impl From<A> for B` (or `TryFrom`): a step from `A` to `B`, or, as a downcast, from `A`
/// back to `B`.
fn conversion<'a>(
    path: &'a Path,
    this: &'a Type,
    kind: Kind,
    back: bool,
    errors: &mut Errors,
) -> Option<Step<'a>> {
    let source = single_argument(path, errors)?;
    Some(Step {
        source,
        target: this,
        kind,
        back,
    })
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
    let (source, target) = (step.source, step.target);
    let convert = match step.kind {
        Kind::Trait => None,
        Kind::From => Some(quote! {
            #p::Result::Ok(<#target as ::core::convert::From<#source>>::from(self))
        }),
        Kind::TryFrom => Some(quote! {
            <#target as ::core::convert::TryFrom<#source>>::try_from(self).map_err(#p::UpcastError::from)
        }),
    };
    let trait_impl = convert.map(|body| trait_impl(step, body, p));
    let entry = if step.back {
        quote!(#p::StepEntry::downcast::<#source>())
    } else {
        quote!(#p::StepEntry::of::<#source>())
    };
    quote! {
        const _: () = {
            #trait_impl
            #p::inventory::submit! { #entry }
        };
    }
}

/// A `From` or `TryFrom` step also implements `Upcast` (a downcast, `Downcast`) for its
/// source, which makes a second step from the same version a compile error (conflicting
/// impls) rather than a runtime one.
fn trait_impl(step: &Step<'_>, body: TokenStream, p: &TokenStream) -> TokenStream {
    let (source, target) = (step.source, step.target);
    let (name, assoc, method) = if step.back {
        (quote!(Downcast), quote!(Prev), quote!(downcast))
    } else {
        (quote!(Upcast), quote!(Next), quote!(upcast))
    };
    quote! {
        #[automatically_derived]
        impl #p::#name for #source {
            type #assoc = #target;

            #[inline]
            fn #method(self, _: &#p::Context<'_>) -> #p::Result<#target, #p::UpcastError> {
                #body
            }
        }
    }
}
