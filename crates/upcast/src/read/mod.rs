//! Reading stored records: find the kind and version tag, then decode the data in one pass.

mod decode;
mod header;
mod input;
mod keys;
mod opened;
mod scan;
mod seed;
mod skim;
mod sniff;
mod source;
mod tag;
mod tail;

pub use decode::Decode;
pub use header::Header;
pub use input::Input;
pub(crate) use input::{Body, Env, External, Opening};
pub(crate) use keys::Key;
pub use opened::{Candidate, Opened};
pub(crate) use opened::{Stamp, decode_error, unknown_version};
pub(crate) use scan::{
    Member, member as object_member, members as envelope_members, metadata as envelope_metadata,
};
pub use source::Source;
pub(crate) use source::{DecodeError, decode};
