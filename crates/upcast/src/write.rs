//! Writing records in the envelope and inline layouts, with the version tag each type
//! declared.

use std::io::{self, Write};

use serde_json::Value;

use crate::{Error, Tag, Versioned};

/// Writes `{"kind":...,"version":...,"data":...}`, kind and version first so readers learn
/// the version before the data.
pub(crate) fn envelope<W: Write, T: Versioned>(writer: W, value: &T) -> Result<(), Error> {
    envelope_with(writer, &serde_json::Map::new(), value)
}

/// Writes an envelope with other fields (`metadata`) between the version and the data,
/// where readers skip them without losing the fast path.
pub(crate) fn envelope_with<W: Write, T: Versioned>(
    mut writer: W,
    metadata: &serde_json::Map<String, Value>,
    value: &T,
) -> Result<(), Error> {
    writer.write_all(b"{\"kind\":")?;
    serde_json::to_writer(&mut writer, T::KIND).map_err(ser_error)?;
    writer.write_all(b",\"version\":")?;
    serde_json::to_writer(&mut writer, &T::VERSION).map_err(ser_error)?;
    for (key, field) in metadata {
        writer.write_all(b",")?;
        serde_json::to_writer(&mut writer, key).map_err(ser_error)?;
        writer.write_all(b":")?;
        serde_json::to_writer(&mut writer, field).map_err(ser_error)?;
    }
    writer.write_all(b",\"data\":")?;
    serde_json::to_writer(&mut writer, value).map_err(ser_error)?;
    writer.write_all(b"}")?;
    Ok(())
}

pub(crate) fn envelope_value<T: Versioned>(value: &T) -> Result<Value, Error> {
    let mut fields = serde_json::Map::new();
    fields.insert("kind".to_owned(), Value::String(T::KIND.to_owned()));
    fields.insert("version".to_owned(), tag_value(T::VERSION));
    fields.insert(
        "data".to_owned(),
        serde_json::to_value(value).map_err(Error::Json)?,
    );
    Ok(Value::Object(fields))
}

/// Writes the record with `field` as its first member.
pub(crate) fn inline<W: Write, T: Versioned>(
    writer: W,
    field: &str,
    value: &T,
) -> Result<(), Error> {
    let mut tagged = TagFirst {
        inner: writer,
        field,
        tag: T::VERSION,
        state: State::Start,
    };
    match serde_json::to_writer(&mut tagged, value) {
        Ok(()) => Ok(()),
        Err(_) if matches!(tagged.state, State::NotAnObject) => Err(not_an_object::<T>()),
        Err(error) => Err(ser_error(error)),
    }
}

pub(crate) fn inline_value<T: Versioned>(field: &str, value: &T) -> Result<Value, Error> {
    match serde_json::to_value(value).map_err(Error::Json)? {
        Value::Object(mut fields) => {
            fields.insert(field.to_owned(), tag_value(T::VERSION));
            Ok(Value::Object(fields))
        }
        _ => Err(not_an_object::<T>()),
    }
}

fn tag_value(tag: Tag) -> Value {
    match tag {
        Tag::Number(major) => Value::from(major),
        Tag::Text(text) => Value::from(text),
    }
}

fn not_an_object<T: Versioned>() -> Error {
    Error::NotAnObject {
        kind: T::KIND.to_owned(),
        version: T::VERSION.to_string(),
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
