//! 64-bit FNV-1a: a checksum of files and a stable hash of keys, the same on every machine
//! and in every version of this crate (the standard library's hasher promises neither).

/// Where a hash starts.
pub(crate) const BASIS: u64 = 0xcbf2_9ce4_8422_2325;

/// The hash of `bytes`, continued from `hash` ([`BASIS`] to start).
pub(crate) fn fnv(mut hash: u64, bytes: &[u8]) -> u64 {
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}
