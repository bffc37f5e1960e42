//! The compact header of a binary record: the magic byte, the kind's 32-bit id (little
//! endian), the version's major, minor and patch as LEB128 varints, then the pre-release
//! as a varint length and its bytes (none: a single zero). Nine bytes for `customer` 5.

use crate::{Error, Version};

/// The first byte of every binary record: never the first byte of UTF-8 text, so a JSON
/// record is never taken for one.
pub const MAGIC: u8 = 0xF5;

/// What a binary record's header says.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BinaryHeader {
    /// The kind's id ([`Versioned::KIND_ID`](crate::Versioned::KIND_ID)).
    pub kind_id: u32,
    /// The version the record was written at.
    pub version: Version,
    /// Where the payload starts.
    pub payload_at: usize,
}

impl BinaryHeader {
    /// The payload of `bytes`, the record this header was read from.
    ///
    /// See [`header`] for an example.
    pub fn payload<'a>(&self, bytes: &'a [u8]) -> &'a [u8] {
        bytes.get(self.payload_at..).unwrap_or_default()
    }
}

/// Reads a binary record's header, not its payload.
///
/// ```
/// # #[derive(Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
/// # #[versioned(kind = "doc.header", version = "1.2.0")]
/// # struct Note { text: String }
/// let blob = upcast::format::to_vec::<upcast::format::Json, _>(&Note { text: "hi".into() })?;
/// let header = upcast::format::header(&blob)?;
/// assert_eq!(header.kind_id, upcast::kind_id("doc.header"));
/// assert_eq!(header.version, upcast::Version::new(1, 2, 0));
/// assert_eq!(header.payload(&blob), br#"{"text":"hi"}"#);
/// let error = upcast::format::header(br#"{"kind":"doc.header"}"#).unwrap_err();
/// assert!(error.to_string().starts_with("invalid binary record: expected the byte 0xf5 first"));
/// # Ok::<(), upcast::Error>(())
/// ```
pub fn header(bytes: &[u8]) -> Result<BinaryHeader, Error> {
    let mut cursor = Cursor { bytes, at: 0 };
    match cursor.byte("its first byte")? {
        MAGIC => {}
        other => {
            return Err(invalid(format!(
                "expected the byte {MAGIC:#04x} first, found {other:#04x}{}",
                if other == b'{' {
                    " (a JSON record? read it with upcast::from_slice)"
                } else {
                    ""
                }
            )));
        }
    }
    let id = cursor.take(4, "the kind id")?;
    let kind_id = u32::from_le_bytes([id[0], id[1], id[2], id[3]]);
    let [major, minor, patch] = [
        cursor.varint("major")?,
        cursor.varint("minor")?,
        cursor.varint("patch")?,
    ];
    let length = cursor.varint("pre-release length")?;
    let length = usize::try_from(length).map_err(|_| invalid("a pre-release too long".into()))?;
    let pre = cursor.take(length, "the pre-release")?;
    let version = match pre {
        [] => Version::new(major, minor, patch),
        pre => {
            let pre = std::str::from_utf8(pre)
                .map_err(|_| invalid("a pre-release that is not UTF-8".into()))?;
            Version::parse(&format!("{major}.{minor}.{patch}-{pre}"))?
        }
    };
    Ok(BinaryHeader {
        kind_id,
        version,
        payload_at: cursor.at,
    })
}

/// Writes the header of a record of the kind `kind_id` at `version` to `out`.
pub(crate) fn write(out: &mut Vec<u8>, kind_id: u32, version: &Version) {
    out.push(MAGIC);
    out.extend_from_slice(&kind_id.to_le_bytes());
    let semver = version.as_semver();
    for part in [semver.major, semver.minor, semver.patch] {
        varint(out, part);
    }
    let pre = semver.pre.as_str().as_bytes();
    varint(out, pre.len() as u64);
    out.extend_from_slice(pre);
}

fn varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn byte(&mut self, what: &str) -> Result<u8, Error> {
        Ok(self.take(1, what)?[0])
    }

    fn take(&mut self, count: usize, what: &str) -> Result<&'a [u8], Error> {
        let end = self
            .at
            .checked_add(count)
            .filter(|end| *end <= self.bytes.len());
        match end.and_then(|end| self.bytes.get(self.at..end)) {
            Some(taken) if taken.len() == count => {
                self.at += count;
                Ok(taken)
            }
            _ => Err(self.truncated(what)),
        }
    }

    /// A LEB128 varint; `what` names it in errors ("major"), only built on the error path.
    fn varint(&mut self, what: &'static str) -> Result<u64, Error> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let Some(&byte) = self.bytes.get(self.at) else {
                return Err(self.truncated(&format!("the version's {what}")));
            };
            self.at += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(invalid(format!(
            "the version's {what} does not end within ten bytes"
        )))
    }

    fn truncated(&self, what: &str) -> Error {
        invalid(format!(
            "truncated after {} bytes, in {what} of its header",
            self.bytes.len()
        ))
    }
}

fn invalid(reason: String) -> Error {
    Error::Blob { reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(kind_id: u32, version: &str) -> Vec<u8> {
        let mut out = Vec::new();
        write(&mut out, kind_id, &Version::parse(version).unwrap());
        out
    }

    #[test]
    fn reads_what_it_writes() {
        for version in ["5", "1.2.3", "300.1000000.0", "2.0.0-rc.1"] {
            let bytes = written(0xdead_beef, version);
            let found = header(&bytes).unwrap();
            assert_eq!(found.kind_id, 0xdead_beef);
            assert_eq!(found.version, Version::parse(version).unwrap());
            assert_eq!(found.payload_at, bytes.len());
        }
        assert_eq!(written(1, "5").len(), 9, "nine bytes for a major version");
    }

    #[test]
    fn every_truncation_is_an_error_that_says_where() {
        let bytes = written(7, "1.200.3-beta");
        for end in 0..bytes.len() {
            let error = header(&bytes[..end]).unwrap_err().to_string();
            assert!(
                error.contains("truncated") || error.contains("first"),
                "{end}: {error}"
            );
        }
        let endless = [
            MAGIC, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ];
        assert!(
            header(&endless)
                .unwrap_err()
                .to_string()
                .contains("ten bytes")
        );
    }
}
