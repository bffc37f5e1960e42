//! `#[derive(AnyVersion)]`: an enum with one variant per version of a kind.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields, Ident, Type};

use crate::crate_path::CratePath;
use crate::errors::Errors;

const SHAPE: &str = "#[derive(AnyVersion)] needs an enum with one variant per version, oldest \
                     first, like `enum AnyUser { V1(UserV1), V2(User) }`";

/// One variant: its name and the version type it holds.
struct Variant<'a> {
    ident: &'a Ident,
    ty: &'a Type,
}

pub(crate) fn expand(input: &DeriveInput) -> TokenStream {
    let mut errors = Errors::default();
    let krate = crate_path(input, &mut errors);
    let variants = variants(input, &mut errors);
    if !input.generics.params.is_empty() {
        errors.at(
            &input.generics,
            "cannot derive AnyVersion for a generic enum",
        );
    }
    if !errors.is_empty() || variants.is_empty() {
        return errors.into_compile_errors();
    }
    let p = krate.private();
    let decode = decode_impl(&input.ident, &variants, &p);
    let any = any_version_impl(&input.ident, &variants, &p);
    quote! {
        const _: () = {
            #decode
            #any
        };
    }
}

/// `#[any_version(crate = "path")]`, the only attribute of the derive.
fn crate_path(input: &DeriveInput, errors: &mut Errors) -> CratePath {
    let mut krate = CratePath::default();
    for attr in input
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("any_version"))
    {
        let parsed = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("crate") {
                krate = CratePath::parse(&meta)?;
                Ok(())
            } else {
                Err(meta.error("unknown any_version attribute, expected `crate = \"...\"`"))
            }
        });
        if let Err(error) = parsed {
            errors.push(error);
        }
    }
    krate
}

fn variants<'a>(input: &'a DeriveInput, errors: &mut Errors) -> Vec<Variant<'a>> {
    let Data::Enum(data) = &input.data else {
        errors.at(&input.ident, SHAPE);
        return Vec::new();
    };
    if data.variants.is_empty() {
        errors.at(&input.ident, SHAPE);
    }
    let mut found = Vec::new();
    for variant in &data.variants {
        match &variant.fields {
            Fields::Unnamed(fields) if fields.unnamed.len() == 1 => {
                let ty = &fields.unnamed[0].ty;
                found.push(Variant {
                    ident: &variant.ident,
                    ty,
                });
            }
            _ => errors.at(
                variant,
                format!(
                    "variant `{0}` must hold exactly one version's type, like `{0}(UserV1)`",
                    variant.ident
                ),
            ),
        }
    }
    found
}

fn decode_impl(name: &Ident, variants: &[Variant<'_>], p: &TokenStream) -> TokenStream {
    let types: Vec<&Type> = variants.iter().map(|v| v.ty).collect();
    let first = types[0];
    let kind_message = format!(
        "the variants of `{name}` must all have the same `kind`: list the versions of one kind"
    );
    let arms = variants.iter().enumerate().map(|(index, Variant { ident, ty })| {
        quote!(#p::Result::Ok(::core::option::Option::Some(#index)) => record.decode::<#ty>().map(#name::#ident),)
    });
    quote! {
        const CANDIDATES: &[#p::Candidate] = &[#(#p::Candidate::of::<#types>()),*];
        #(
            const _: () = ::core::assert!(
                #p::same_kind(<#first as #p::Versioned>::KIND, <#types as #p::Versioned>::KIND),
                #kind_message
            );
        )*

        #[automatically_derived]
        impl #p::Decode for #name {
            fn __decode(input: #p::Input<'_>) -> #p::Result<Self, #p::Error> {
                let record = input.open(::core::option::Option::Some(<#first as #p::Versioned>::KIND))?;
                match record.select(CANDIDATES) {
                    #(#arms)*
                    #p::Result::Ok(_) => #p::Result::Err(record.unknown_version(CANDIDATES)),
                    #p::Result::Err(error) => #p::Result::Err(error),
                }
            }
        }
    }
}

fn any_version_impl(name: &Ident, variants: &[Variant<'_>], p: &TokenStream) -> TokenStream {
    let types: Vec<&Type> = variants.iter().map(|v| v.ty).collect();
    let idents: Vec<&Ident> = variants.iter().map(|v| v.ident).collect();
    let current = types[types.len() - 1];
    let arms = (0..variants.len()).map(|index| {
        let (ident, ty) = (idents[index], types[index]);
        let steps = types[index..].windows(2).map(|pair| {
            let (from, to) = (pair[0], pair[1]);
            quote!(let value = #p::step::<#from, #to>(value, &cx)?;)
        });
        if index + 1 == variants.len() {
            return quote!(#name::#ident(value) => #p::Result::Ok(value),);
        }
        quote! {
            #name::#ident(value) => {
                let stored = #p::declared::<#ty>()?;
                let cx = #p::Context::new(<#ty as #p::Versioned>::KIND, &stored);
                #(#steps)*
                #p::Result::Ok(value)
            }
        }
    });
    quote! {
        #[automatically_derived]
        impl #p::AnyVersion for #name {
            type Current = #current;

            fn version(&self) -> #p::Tag {
                match self {
                    #(#name::#idents(_) => <#types as #p::Versioned>::VERSION,)*
                }
            }

            fn into_current(self) -> #p::Result<#current, #p::Error> {
                match self {
                    #(#arms)*
                }
            }
        }

        #[automatically_derived]
        impl #name {
            /// The declared version of the variant held.
            pub fn version(&self) -> #p::Tag {
                <Self as #p::AnyVersion>::version(self)
            }

            /// Runs the remaining steps to the current version (the last variant). A failing
            /// step names the held variant's declared version, not the stored one: see
            /// `upcast::AnyVersion::into_current`.
            pub fn into_current(self) -> #p::Result<#current, #p::Error> {
                <Self as #p::AnyVersion>::into_current(self)
            }
        }
    }
}
