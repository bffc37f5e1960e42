//! Writing records in each layout, with the version tag in the form its type declared.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::read::{Key, Member};
use crate::{Error, Layout, Tag};

/// Writes `data` as a record of `kind` at `tag` in `layout`.
pub(crate) fn record<W: Write, D: Serialize + ?Sized>(
    layout: &Layout,
    writer: W,
    kind: &str,
    tag: Tag,
    data: &D,
) -> Result<(), Error> {
    match layout {
        Layout::Envelope => envelope(writer, kind, tag, &[], data),
        Layout::Inline { field, .. } => inline(writer, field, kind, tag, data),
        Layout::External { .. } => serde_json::to_writer(writer, data).map_err(ser_error),
    }
}

/// Writes `{"kind":...,"version":...,<members>,"data":...}`: kind and version first so
/// readers learn the version before the data, the other fields (`members`, raw JSON, in
/// their stored order) next, where readers skip them without leaving the fast path.
pub(crate) fn envelope<W: Write, D: Serialize + ?Sized>(
    mut writer: W,
    kind: &str,
    tag: Tag,
    members: &[Member<'_>],
    data: &D,
) -> Result<(), Error> {
    member(&mut writer, b'{', Key::KIND)?;
    serde_json::to_writer(&mut writer, kind).map_err(ser_error)?;
    member(&mut writer, b',', Key::VERSION)?;
    serde_json::to_writer(&mut writer, &tag).map_err(ser_error)?;
    for Member { key, value } in members {
        writer.write_all(b",")?;
        serde_json::to_writer(&mut writer, key).map_err(ser_error)?;
        writer.write_all(b":")?;
        writer.write_all(value.as_bytes())?;
    }
    member(&mut writer, b',', Key::DATA)?;
    serde_json::to_writer(&mut writer, data).map_err(ser_error)?;
    writer.write_all(b"}")?;
    Ok(())
}

/// Writes `<open>"<key>":`.
fn member<W: Write>(writer: &mut W, open: u8, key: &str) -> io::Result<()> {
    writer.write_all(&[open, b'"'])?;
    writer.write_all(key.as_bytes())?;
    writer.write_all(b"\":")
}

/// Writes the record with `field` as its first member.
pub(crate) fn inline<W: Write, D: Serialize + ?Sized>(
    writer: W,
    field: &str,
    kind: &str,
    tag: Tag,
    data: &D,
) -> Result<(), Error> {
    let mut tagged = TagFirst {
        inner: writer,
        field,
        tag,
        state: State::Start,
    };
    match serde_json::to_writer(&mut tagged, data) {
        Ok(()) => Ok(()),
        Err(_) if matches!(tagged.state, State::NotAnObject) => Err(not_an_object(kind, tag)),
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
