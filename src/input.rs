//! Reading what the user hands `explain` and `lint`: a file, stdin or an argument, bounded in
//! size, with a one-line error naming the bad input instead of a panic.

use std::fmt;
use std::io::Read;
use std::path::Path;

/// Larger inputs are refused: no error message or request body is this big, and reading
/// more would only make a mistaken `explain < huge.log` slow.
pub const MAX_BYTES: u64 = 10 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError(pub String);

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

fn err(msg: String) -> InputError {
    InputError(msg)
}

/// Reads at most MAX_BYTES + 1 bytes, so an oversized input is detected without reading it all.
fn read_limited(reader: impl Read, what: &str) -> Result<Vec<u8>, InputError> {
    let mut buf = Vec::new();
    reader
        .take(MAX_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(|e| err(format!("cannot read {what}: {e}")))?;
    if buf.len() as u64 > MAX_BYTES {
        return Err(err(format!(
            "{what} is larger than the {} MB limit",
            MAX_BYTES / (1024 * 1024)
        )));
    }
    Ok(buf)
}

/// A NUL byte does not occur in text; a file with one is an image, an archive, a binary.
fn is_binary(bytes: &[u8]) -> bool {
    bytes.iter().take(64 * 1024).any(|b| *b == 0)
}

/// Reads a file that must be UTF-8 text (a request body).
pub fn read_text_file(path: &Path) -> Result<String, InputError> {
    let shown = format!("`{}`", path.display());
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => err(format!("{shown} does not exist")),
        std::io::ErrorKind::PermissionDenied => {
            err(format!("{shown} cannot be read (permission denied)"))
        }
        _ => err(format!("cannot read {shown}: {e}")),
    })?;
    if meta.is_dir() {
        return Err(err(format!("{shown} is a directory, not a file")));
    }
    if meta.is_file() && meta.len() > MAX_BYTES {
        return Err(err(format!(
            "{shown} is {} MB, larger than the {} MB limit",
            meta.len() / (1024 * 1024),
            MAX_BYTES / (1024 * 1024)
        )));
    }
    let file = std::fs::File::open(path).map_err(|e| err(format!("cannot read {shown}: {e}")))?;
    let bytes = read_limited(file, &shown)?;
    decode_strict(bytes, &shown)
}

/// Reads stdin; `strict` refuses invalid UTF-8 (request bodies), otherwise it is replaced
/// (a pasted log may carry a stray byte and still be worth explaining).
pub fn read_stdin(strict: bool) -> Result<String, InputError> {
    let bytes = read_limited(std::io::stdin().lock(), "stdin")?;
    if strict {
        decode_strict(bytes, "stdin")
    } else {
        decode_lenient(bytes, "stdin")
    }
}

pub fn decode_strict(bytes: Vec<u8>, what: &str) -> Result<String, InputError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(err(format!("{what} is empty")));
    }
    if is_binary(&bytes) {
        return Err(err(format!("{what} is binary, not text")));
    }
    String::from_utf8(bytes).map_err(|e| {
        err(format!(
            "{what} is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

pub fn decode_lenient(bytes: Vec<u8>, what: &str) -> Result<String, InputError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(err(format!("{what} is empty")));
    }
    if is_binary(&bytes) {
        return Err(err(format!("{what} is binary, not text")));
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding() {
        assert_eq!(
            decode_strict(b"  \n".to_vec(), "x").unwrap_err().0,
            "x is empty"
        );
        assert!(decode_strict(b"a\0b".to_vec(), "x")
            .unwrap_err()
            .0
            .contains("binary"));
        assert!(decode_strict(b"ab\xffc".to_vec(), "x")
            .unwrap_err()
            .0
            .contains("offset 2"));
        assert_eq!(
            decode_lenient(b"ab\xffc".to_vec(), "x").unwrap(),
            "ab\u{fffd}c"
        );
    }

    #[test]
    fn limited_read_stops_early() {
        let big = std::io::repeat(b'a').take(MAX_BYTES + 10);
        assert!(read_limited(big, "stdin")
            .unwrap_err()
            .0
            .contains("10 MB limit"));
    }

    #[test]
    fn missing_and_directory() {
        let e = read_text_file(Path::new("/definitely/not/here.json")).unwrap_err();
        assert_eq!(e.0, "`/definitely/not/here.json` does not exist");
        let e = read_text_file(Path::new("/")).unwrap_err();
        assert!(e.0.contains("is a directory"));
    }
}
