//! Writing records in each layout, with the version tag in the form its type declared.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::read::{Key, Member};
use crate::{Error, Layout, Tag};

/// A record's data, written as JSON: a value to serialize, or JSON text already written.
pub(crate) trait Data {
    fn write_to<W: Write>(&self, writer: W) -> Result<(), serde_json::Error>;
}

impl<T: Serialize + ?Sized> Data for T {
    fn write_to<W: Write>(&self, writer: W) -> Result<(), serde_json::Error> {
        serde_json::to_writer(writer, self)
    }
}

/// JSON text serde_json wrote, written as it is.
pub(crate) struct Raw<'a>(pub(crate) &'a [u8]);

impl Data for Raw<'_> {
    fn write_to<W: Write>(&self, mut writer: W) -> Result<(), serde_json::Error> {
        writer.write_all(self.0).map_err(serde_json::Error::io)
    }
}

/// What a record is written with besides its data.
pub(crate) struct Head<'a> {
    pub(crate) kind: &'a str,
    pub(crate) tag: Tag,
    /// The envelope's other fields, in their order (envelope layout only).
    pub(crate) members: &'a [Member<'a>],
    /// The values set aside by downcasts, as the JSON of the reserved member.
    pub(crate) set_aside: Option<&'a str>,
}

impl<'a> Head<'a> {
    /// A record of `kind` at `tag`, with nothing else.
    pub(crate) fn new(kind: &'a str, tag: Tag) -> Self {
        Head {
            kind,
            tag,
            members: &[],
            set_aside: None,
        }
    }
}

/// Writes `data` as a record in `layout`.
pub(crate) fn record<W: Write, D: Data + ?Sized>(
    layout: &Layout,
    writer: W,
    head: &Head<'_>,
    data: &D,
) -> Result<(), Error> {
    match layout {
        Layout::Envelope => envelope(writer, head, data),
        Layout::Inline { field, .. } => inline(writer, field, head, data),
        Layout::External { .. } if head.set_aside.is_some() => Err(Error::SetAside {
            kind: head.kind.to_owned(),
            name: Key::SET_ASIDE.to_owned(),
            reason: "the external layout has no place for values a downcast set aside; \
                     write it in the envelope or the inline layout",
        }),
        Layout::External { .. } => data.write_to(writer).map_err(ser_error),
    }
}

/// Writes `{"kind":...,"version":...,<members>,"data":...}`: kind and version first so
/// readers learn the version before the data, the other fields (`members`, raw JSON, in
/// their stored order, then the set-aside values) next, where readers skip them without
/// leaving the fast path.
fn envelope<W: Write, D: Data + ?Sized>(
    mut writer: W,
    head: &Head<'_>,
    data: &D,
) -> Result<(), Error> {
    member(&mut writer, b'{', Key::KIND)?;
    serde_json::to_writer(&mut writer, head.kind).map_err(ser_error)?;
    member(&mut writer, b',', Key::VERSION)?;
    serde_json::to_writer(&mut writer, &head.tag).map_err(ser_error)?;
    for Member { key, value } in head.members {
        writer.write_all(b",")?;
        serde_json::to_writer(&mut writer, key).map_err(ser_error)?;
        writer.write_all(b":")?;
        writer.write_all(value.as_bytes())?;
    }
    if let Some(set_aside) = head.set_aside {
        member(&mut writer, b',', Key::SET_ASIDE)?;
        writer.write_all(set_aside.as_bytes())?;
    }
    member(&mut writer, b',', Key::DATA)?;
    data.write_to(&mut writer).map_err(ser_error)?;
    writer.write_all(b"}")?;
    Ok(())
}

/// Writes `<open>"<key>":`.
fn member<W: Write>(writer: &mut W, open: u8, key: &str) -> io::Result<()> {
    writer.write_all(&[open, b'"'])?;
    writer.write_all(key.as_bytes())?;
    writer.write_all(b"\":")
}

/// Writes the record with `field` as its first member (and the set-aside values next).
fn inline<W: Write, D: Data + ?Sized>(
    writer: W,
    field: &str,
    head: &Head<'_>,
    data: &D,
) -> Result<(), Error> {
    let mut tagged = TagFirst {
        inner: writer,
        field,
        tag: head.tag,
        set_aside: head.set_aside,
        state: State::Start,
    };
    match data.write_to(&mut tagged) {
        Ok(()) => Ok(()),
        Err(_) if matches!(tagged.state, State::NotAnObject) => {
            Err(not_an_object(head.kind, head.tag))
        }
        Err(error) => Err(ser_error(error)),
    }
}

/// The record as a JSON value, the tag first (with serde_json's `preserve_order`, the
/// order `to_vec` writes).
pub(crate) fn record_value<D: Serialize + ?Sized>(
    layout: &Layout,
    kind: &str,
    tag: Tag,
    data: &D,
) -> Result<Value, Error> {
    let data = serde_json::to_value(data).map_err(Error::Json)?;
    let mut fields = Map::new();
    match layout {
        Layout::Envelope => {
            fields.insert(Key::KIND.to_owned(), Value::from(kind));
            fields.insert(Key::VERSION.to_owned(), tag_value(tag));
            fields.insert(Key::DATA.to_owned(), data);
        }
        Layout::Inline { field, .. } => {
            let Value::Object(members) = data else {
                return Err(not_an_object(kind, tag));
            };
            fields.insert(field.clone().into_owned(), tag_value(tag));
            fields.extend(members.into_iter().filter(|(key, _)| key != field));
        }
        Layout::External { .. } => return Ok(data),
    }
    Ok(Value::Object(fields))
}

fn tag_value(tag: Tag) -> Value {
    match tag {
        Tag::Number(major) => Value::from(major),
        Tag::Text(text) => Value::from(text),
    }
}

fn not_an_object(kind: &str, tag: Tag) -> Error {
    Error::NotAnObject {
        kind: kind.to_owned(),
        version: tag.to_string(),
    }
}

fn ser_error(error: serde_json::Error) -> Error {
    if error.is_io() {
        Error::Io(error.into())
    } else {
        Error::Json(error)
    }
}

/// A writer that turns the serialized object `{...}` into `{"<field>":<tag>,...}` as it
/// streams, so inline writes cost no extra buffer.
struct TagFirst<'a, W> {
    inner: W,
    field: &'a str,
    tag: Tag,
    set_aside: Option<&'a str>,
    state: State,
}

enum State {
    Start,
    AfterBrace,
    Body,
    NotAnObject,
}

impl<W: Write> Write for TagFirst<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let Some(&first) = buf.first() else {
            return Ok(0);
        };
        match self.state {
            State::Start if first == b'{' => {
                self.inner.write_all(b"{")?;
                serde_json::to_writer(&mut self.inner, self.field)?;
                self.inner.write_all(b":")?;
                serde_json::to_writer(&mut self.inner, &self.tag)?;
                if let Some(set_aside) = self.set_aside {
                    self.inner.write_all(b",")?;
                    serde_json::to_writer(&mut self.inner, Key::SET_ASIDE)?;
                    self.inner.write_all(b":")?;
                    self.inner.write_all(set_aside.as_bytes())?;
                }
                self.state = State::AfterBrace;
                Ok(1)
            }
            State::Start | State::NotAnObject => {
                self.state = State::NotAnObject;
                Err(io::Error::other("the record is not a JSON object"))
            }
            State::AfterBrace => {
                self.state = State::Body;
                if first != b'}' {
                    self.inner.write_all(b",")?;
                }
                self.inner.write(buf)
            }
            State::Body => self.inner.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
