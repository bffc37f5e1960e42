//! The macros of [upcast](https://docs.rs/upcast): `#[derive(Versioned)]`,
//! `#[derive(AnyVersion)]` and `#[upcast::register]`. Depend on `upcast`, which re-exports
//! them; the code they generate names only `::upcast::__private`, or `<path>::__private`
//! with `crate = "path"` for crates that re-export upcast.

#![warn(missing_docs)]

mod any_version;
mod crate_path;
mod errors;
mod register;
mod versioned;

use proc_macro::TokenStream;
use syn::{DeriveInput, ItemImpl, parse_macro_input};

/// Implements `upcast::Versioned` and registers the version. See the `upcast` crate.
#[proc_macro_derive(Versioned, attributes(versioned))]
pub fn derive_versioned(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    versioned::expand(&input).into()
}

/// Implements `upcast::AnyVersion` on an enum with one variant per version. See the
/// `upcast` crate.
#[proc_macro_derive(AnyVersion, attributes(any_version))]
pub fn derive_any_version(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    any_version::expand(&input).into()
}

/// Registers an upcast step: `impl From<Old> for New`, `impl TryFrom<Old> for New` or
/// `impl upcast::Upcast for Old`. See the `upcast` crate.
#[proc_macro_attribute]
pub fn register(args: TokenStream, input: TokenStream) -> TokenStream {
    let args = proc_macro2::TokenStream::from(args);
    let item = proc_macro2::TokenStream::from(input);
    match syn::parse2::<ItemImpl>(item.clone()) {
        Ok(step) => register::expand(args, &step).into(),
        Err(_) => register::not_an_impl(item).into(),
    }
}
