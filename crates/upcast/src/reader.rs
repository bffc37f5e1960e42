//! The read functions of one layout over one registry, with the caller's options.

use std::any::Any;
use std::fmt;
use std::io;

use serde_json::Value;

use crate::read::{Body, Env, External, Input};
use crate::registry::Registries;
use crate::{Decode, Error, Header, Layout, Registry, Version};

/// The read functions of one [`Layout`] over one [`Registry`], with the caller's options
/// that steps see through [`Context::options`](crate::Context::options).
///
/// [`Layout::reader`] reads through the global registry, [`Registry::reader`] through a
/// registry of one's own. A `Reader` is `Copy`, cheap to make per read, and shareable
/// across threads.
///
/// ```
/// # use schemars::JsonSchema;
/// # use serde::{Deserialize, Serialize};
/// use upcast::{Context, Layout, Upcast, UpcastError};
///
/// #[derive(Serialize, Deserialize, JsonSchema, upcast::Versioned)]
/// #[versioned(kind = "doc.reader.price", version = 1)]
/// struct PriceV1 { cents: u64 }
///
/// #[derive(Serialize, Deserialize, JsonSchema, upcast::Versioned)]
/// #[versioned(kind = "doc.reader.price", version = 2)]
/// struct Price { cents: u64, currency: String }
///
/// /// What version 1 never stored: the tenant's currency.
/// struct Tenant { currency: &'static str }
///
/// #[upcast::register]
/// impl Upcast for PriceV1 {
///     type Next = Price;
///     fn upcast(self, cx: &Context) -> Result<Price, UpcastError> {
///         let tenant = cx.options::<Tenant>().ok_or_else(|| UpcastError::new("no tenant given"))?;
///         Ok(Price { cents: self.cents, currency: tenant.currency.into() })
///     }
/// }
///
/// let rows = Layout::external();
/// let reader = rows.reader().with_options(&Tenant { currency: "EUR" });
/// let price: Price = reader.from_slice_at(&"1".parse()?, br#"{"cents":250}"#)?;
/// assert_eq!(price.currency, "EUR");
/// # Ok::<(), upcast::Error>(())
/// ```
#[derive(Clone, Copy)]
pub struct Reader<'a> {
    layout: &'a Layout,
    env: Env<'a>,
}

impl<'a> Reader<'a> {
    #[inline]
    pub(crate) fn global(layout: &'a Layout) -> Self {
        Reader {
            layout,
            env: Env {
                registry: Registries::GLOBAL,
                options: None,
            },
        }
    }

    #[inline]
    pub(crate) fn new(registry: &'a Registry, layout: &'a Layout) -> Self {
        Reader {
            layout,
            env: Env {
                registry: Registries::given(registry),
                options: None,
            },
        }
    }

    pub(crate) fn env(&self) -> Env<'a> {
        self.env
    }

    /// The layout this reader reads.
    ///
    /// ```
    /// let layout = upcast::Layout::inline("v");
    /// assert_eq!(layout.reader().layout(), &layout);
    /// ```
    pub fn layout(&self) -> &'a Layout {
        self.layout
    }

    /// The same reader, handing `options` to every step it runs, in every layout.
    ///
    /// See the example on [`Reader`].
    pub fn with_options<O: Any + Sync>(self, options: &'a O) -> Self {
        Reader {
            env: Env {
                options: Some(options),
                ..self.env
            },
            ..self
        }
    }

    #[inline]
    fn read<T: Decode>(&self, body: Body<'_>, at: Option<&Version>) -> Result<T, Error> {
        T::__decode(Input::new(
            self.layout,
            body,
            at.map(External::Known),
            self.env,
        )?)
    }

    /// Reads a record of any version as `T`.
    ///
    /// ```
    /// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
    /// # #[versioned(kind = "doc.reader.slice", version = 1)]
    /// # struct Note { text: String }
    /// let registry = upcast::Registry::builder().version::<Note>().build()?;
    /// let envelope = upcast::Layout::envelope();
    /// let note: Note = registry.reader(&envelope).from_slice(br#"{"kind":"doc.reader.slice","version":1,"data":{"text":"hi"}}"#)?;
    /// # Ok::<(), upcast::Error>(())
    /// ```
    pub fn from_slice<T: Decode>(&self, bytes: &[u8]) -> Result<T, Error> {
        self.read(Body::Bytes(bytes), None)
    }

    /// Reads a record of any version as `T`.
    ///
    /// ```
    /// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
    /// # #[versioned(kind = "doc.reader.str", version = 1)]
    /// # struct Note { text: String }
    /// let note: Note = upcast::Layout::inline("v").reader().from_str(r#"{"v":1,"text":"hi"}"#)?;
    /// # Ok::<(), upcast::Error>(())
    /// ```
    pub fn from_str<T: Decode>(&self, text: &str) -> Result<T, Error> {
        self.from_slice(text.as_bytes())
    }

    /// Reads a record of any version as `T` from a reader, which is read to its end first.
    ///
    /// ```
    /// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
    /// # #[versioned(kind = "doc.reader.reader", version = 1)]
    /// # struct Note { text: String }
    /// let file: &[u8] = br#"{"v":1,"text":"hi"}"#;
    /// let note: Note = upcast::Layout::inline("v").reader().from_reader(file)?;
    /// # Ok::<(), upcast::Error>(())
    /// ```
    pub fn from_reader<T: Decode, R: io::Read>(&self, reader: R) -> Result<T, Error> {
        self.from_slice(&read_to_end(reader)?)
    }

    /// Reads a record of any version as `T` from a parsed JSON value.
    ///
    /// ```
    /// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
    /// # #[versioned(kind = "doc.reader.value", version = 1)]
    /// # struct Note { text: String }
    /// let value = serde_json::json!({"v": 1, "text": "hi"});
    /// let note: Note = upcast::Layout::inline("v").reader().from_value(value)?;
    /// # Ok::<(), upcast::Error>(())
    /// ```
    pub fn from_value<T: Decode>(&self, value: Value) -> Result<T, Error> {
        self.read(Body::Value(value), None)
    }

    /// Reads the record `bytes`, stored at `version` in the external layout, as `T`.
    ///
    /// See the example on [`Reader`].
    pub fn from_slice_at<T: Decode>(&self, version: &Version, bytes: &[u8]) -> Result<T, Error> {
        self.read(Body::Bytes(bytes), Some(version))
    }

    /// Reads the record `text`, stored at `version` in the external layout, as `T`.
    ///
    /// ```
    /// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
    /// # #[versioned(kind = "doc.reader.str_at", version = 1)]
    /// # struct Note { text: String }
    /// let v1 = upcast::Version::new(1, 0, 0);
    /// let note: Note = upcast::Layout::external().reader().from_str_at(&v1, r#"{"text":"hi"}"#)?;
    /// # Ok::<(), upcast::Error>(())
    /// ```
    pub fn from_str_at<T: Decode>(&self, version: &Version, text: &str) -> Result<T, Error> {
        self.from_slice_at(version, text.as_bytes())
    }

    /// Reads the record from `reader` (read to its end first), stored at `version` in the
    /// external layout, as `T`.
    ///
    /// ```
    /// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
    /// # #[versioned(kind = "doc.reader.reader_at", version = 1)]
    /// # struct Note { text: String }
    /// let v1 = upcast::Version::new(1, 0, 0);
    /// let file: &[u8] = br#"{"text":"hi"}"#;
    /// let note: Note = upcast::Layout::external().reader().from_reader_at(&v1, file)?;
    /// # Ok::<(), upcast::Error>(())
    /// ```
    pub fn from_reader_at<T: Decode, R: io::Read>(
        &self,
        version: &Version,
        reader: R,
    ) -> Result<T, Error> {
        self.from_slice_at(version, &read_to_end(reader)?)
    }

    /// Reads the parsed record `value`, stored at `version` in the external layout, as `T`.
    ///
    /// ```
    /// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
    /// # #[versioned(kind = "doc.reader.value_at", version = 1)]
    /// # struct Note { text: String }
    /// let v1 = upcast::Version::new(1, 0, 0);
    /// let note: Note = upcast::Layout::external().reader().from_value_at(&v1, serde_json::json!({"text": "hi"}))?;
    /// # Ok::<(), upcast::Error>(())
    /// ```
    pub fn from_value_at<T: Decode>(&self, version: &Version, value: Value) -> Result<T, Error> {
        self.read(Body::Value(value), Some(version))
    }

    /// The kind and version tag of a stored record, without decoding its data.
    ///
    /// See [`Header`].
    pub fn header(&self, bytes: &[u8]) -> Result<Header, Error> {
        Input::new(self.layout, Body::Bytes(bytes), None, self.env)?.header()
    }
}

impl fmt::Debug for Reader<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reader")
            .field("layout", self.layout)
            .field("global", &self.env.registry.is_global())
            .field("options", &self.env.options.is_some())
            .finish()
    }
}

fn read_to_end<R: io::Read>(mut reader: R) -> Result<Vec<u8>, Error> {
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes)?;
    Ok(bytes)
}
