//! String literals in the IR text, escaped the way MLIR does; its own module because both the
//! attribute printer (`attr`) and the type printer (`types`, frame labels) write them.

use std::fmt;

/// Writes a string literal the way MLIR does: printable ASCII as is, `"` and `\` escaped, every
/// other byte as `\XX` (two hex digits).
pub fn write_escaped_str(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    for &b in s.as_bytes() {
        match b {
            b'"' => f.write_str("\\\"")?,
            b'\\' => f.write_str("\\\\")?,
            0x20..=0x7e => write!(f, "{}", b as char)?,
            _ => write!(f, "\\{b:02X}")?,
        }
    }
    f.write_str("\"")
}
