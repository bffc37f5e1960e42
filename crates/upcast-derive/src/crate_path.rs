//! `crate = "path"`: where the generated code finds upcast, for crates that re-export it.

use proc_macro2::TokenStream;
use quote::quote;
use syn::LitStr;
use syn::meta::ParseNestedMeta;

/// The path to the upcast crate; `::upcast` unless `crate = "..."` says otherwise.
#[derive(Default)]
pub(crate) struct CratePath(Option<syn::Path>);

impl CratePath {
    /// Parses the value of `crate = "path"`.
    pub(crate) fn parse(meta: &ParseNestedMeta<'_>) -> syn::Result<Self> {
        let text: LitStr = meta.value()?.parse()?;
        text.parse::<syn::Path>().map(|path| CratePath(Some(path))).map_err(|_| {
            syn::Error::new(
                text.span(),
                format!(
                    "expected a path to the upcast crate, like crate = \"my_api::upcast\", found `{}`",
                    text.value()
                ),
            )
        })
    }

    /// The module generated code names: `<path>::__private`.
    pub(crate) fn private(&self) -> TokenStream {
        match &self.0 {
            Some(path) => quote!(#path::__private),
            None => quote!(::upcast::__private),
        }
    }
}
