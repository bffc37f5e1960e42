//! Reading stored records: find the kind and version tag, then decode the data in one pass.

mod decode;
mod header;
mod input;
mod keys;
mod scan;
mod seed;
mod sniff;
mod source;
mod tag;

pub use decode::Decode;
pub use header::Header;
pub use input::{Candidate, Input, Opened};
pub(crate) use input::{Opening, Stamp, decode_error, unknown_version};
pub(crate) use scan::metadata as envelope_metadata;
pub use source::Source;
pub(crate) use source::{DecodeError, decode};
