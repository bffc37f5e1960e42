//! The `#[versioned(kind = "...", version = N | "x.y.z", untagged, id = N,
//! formats = ["postcard"], crate = "...")]` attribute.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::{DeriveInput, Lit, LitStr};

use crate::crate_path::CratePath;
use crate::errors::Errors;

const KEYS: &str = "`kind`, `version`, `untagged`, `id`, `formats`, `crate`";
/// The formats `formats = [...]` may name: upcast's `format::NAMES`.
const FORMATS: &[&str] = &["json", "cbor", "msgpack", "postcard", "bincode"];

/// The parsed attribute; `None` from [`parse`] when `kind` or `version` is missing.
pub(crate) struct Attrs {
    pub(crate) kind: LitStr,
    pub(crate) version: Declared,
    pub(crate) untagged: bool,
    /// The kind's id for binary headers, when declared.
    pub(crate) id: Option<u32>,
    /// The binary formats the kind is stored in.
    pub(crate) formats: Vec<LitStr>,
}

/// The version as declared: the form decides how the tag is written.
pub(crate) enum Declared {
    Number(u64),
    Text(LitStr),
}

#[derive(Default)]
struct Found {
    kind: Option<LitStr>,
    version: Option<Declared>,
    untagged: Option<Span>,
    id: Option<u32>,
    formats: Vec<LitStr>,
    krate: CratePath,
    attribute: Option<Span>,
    /// Keys given, valid or not: an invalid value is reported once, not also as missing.
    seen: Vec<String>,
}

/// The attribute, and the crate path (kept even when the rest is wrong, for the fallback).
pub(crate) fn parse(input: &DeriveInput, errors: &mut Errors) -> (Option<Attrs>, CratePath) {
    let mut found = Found::default();
    for attr in input
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("versioned"))
    {
        found
            .attribute
            .get_or_insert(attr.path().segments[0].ident.span());
        let parsed = attr.parse_nested_meta(|meta| {
            one_entry(&meta, &mut found, errors);
            Ok(())
        });
        if let Err(error) = parsed {
            errors.push(error);
        }
    }
    let Some(attribute) = found.attribute else {
        errors.at(
            &input.ident,
            "missing #[versioned(...)] attribute: use #[versioned(kind = \"...\", version = 1)] \
             to name the stored kind and version",
        );
        return (None, found.krate);
    };
    let seen = |key: &str| found.seen.iter().any(|seen| seen == key);
    if !seen("kind") {
        errors.at(
            attribute,
            "missing `kind`: use #[versioned(kind = \"...\")] to name the stored kind",
        );
    }
    if !seen("version") {
        errors.at(
            attribute,
            "missing `version`: use #[versioned(version = 1)] or #[versioned(version = \"1.2.0\")]",
        );
    }
    let attrs = match (found.kind, found.version) {
        (Some(kind), Some(version)) => Some(Attrs {
            kind,
            version,
            untagged: found.untagged.is_some(),
            id: found.id,
            formats: found.formats,
        }),
        _ => None,
    };
    (attrs, found.krate)
}

fn one_entry(meta: &ParseNestedMeta<'_>, found: &mut Found, errors: &mut Errors) {
    let Some(name) = meta.path.get_ident().map(ToString::to_string) else {
        errors.at(&meta.path, format!("expected one of {KEYS}"));
        return;
    };
    let duplicate = match name.as_str() {
        "kind" | "version" | "untagged" | "id" | "formats" | "crate" => found.seen.contains(&name),
        _ => {
            errors.at(
                &meta.path,
                format!("unknown versioned attribute `{name}`, expected one of {KEYS}"),
            );
            skip_value(meta);
            return;
        }
    };
    if duplicate {
        errors.at(
            &meta.path,
            format!("duplicate versioned attribute `{name}`"),
        );
        skip_value(meta);
        return;
    }
    found.seen.push(name.clone());
    let result = match name.as_str() {
        "kind" => kind(meta).map(|kind| found.kind = Some(kind)),
        "version" => declared(meta).map(|version| found.version = Some(version)),
        "crate" => CratePath::parse(meta).map(|krate| found.krate = krate),
        "id" => id(meta).map(|id| found.id = Some(id)),
        "formats" => formats(meta).map(|formats| found.formats = formats),
        _ => untagged(meta).map(|span| found.untagged = Some(span)),
    };
    if let Err(error) = result {
        errors.push(error);
    }
}

fn kind(meta: &ParseNestedMeta<'_>) -> syn::Result<LitStr> {
    let lit: Lit = meta.value()?.parse()?;
    match lit {
        Lit::Str(kind) if kind.value().trim().is_empty() => Err(syn::Error::new(
            kind.span(),
            "`kind` cannot be empty: name the stored kind, like kind = \"user\"",
        )),
        Lit::Str(kind) => Ok(kind),
        other => Err(syn::Error::new(
            other.span(),
            "expected a string: kind = \"user\"",
        )),
    }
}

fn declared(meta: &ParseNestedMeta<'_>) -> syn::Result<Declared> {
    let lit: Lit = meta.value()?.parse()?;
    match lit {
        Lit::Int(int) => int.base10_parse::<u64>().map(Declared::Number),
        Lit::Str(text) => match upcast_version::parse(&text.value()) {
            Ok(_) => Ok(Declared::Text(text)),
            Err(reason) => Err(syn::Error::new(
                text.span(),
                format!(
                    "invalid version `{}`: {reason}; expected a version like `2`, `2.1` or `2.1.0`",
                    text.value()
                ),
            )),
        },
        Lit::Float(float) => Err(syn::Error::new(
            float.span(),
            format!("write a version with a minor part as a string: version = \"{float}\""),
        )),
        other => Err(syn::Error::new(
            other.span(),
            "expected an integer or a string: version = 2 or version = \"2.1.0\"",
        )),
    }
}

fn id(meta: &ParseNestedMeta<'_>) -> syn::Result<u32> {
    let lit: Lit = meta.value()?.parse()?;
    match lit {
        Lit::Int(int) => int.base10_parse::<u32>().map_err(|_| {
            syn::Error::new(
                int.span(),
                "the id must fit in 32 bits: id = 7 or id = 0x1a2b_3c4d",
            )
        }),
        other => Err(syn::Error::new(
            other.span(),
            "expected an integer: id = 7 (the kind's number in binary headers)",
        )),
    }
}

fn formats(meta: &ParseNestedMeta<'_>) -> syn::Result<Vec<LitStr>> {
    let list: syn::ExprArray = meta.value()?.parse()?;
    list.elems
        .iter()
        .map(|element| match element {
            syn::Expr::Lit(syn::ExprLit {
                lit: Lit::Str(name),
                ..
            }) if FORMATS.contains(&name.value().as_str()) => Ok(name.clone()),
            other => Err(syn::Error::new_spanned(
                other,
                format!(
                    "expected a format name, one of {}: formats = [\"postcard\"]",
                    FORMATS
                        .iter()
                        .map(|name| format!("\"{name}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        })
        .collect()
}

fn untagged(meta: &ParseNestedMeta<'_>) -> syn::Result<Span> {
    if meta.input.peek(syn::Token![=]) {
        let error = meta.error("`untagged` takes no value: write #[versioned(untagged)]");
        skip_value(meta);
        return Err(error);
    }
    Ok(meta.path.segments[0].ident.span())
}

/// Consumes `= value` after a rejected key, so parsing goes on to the next entry.
pub(crate) fn skip_value(meta: &ParseNestedMeta<'_>) {
    if meta.input.peek(syn::Token![=]) {
        let _ = meta.value().and_then(|value| value.parse::<syn::Expr>());
    }
}
