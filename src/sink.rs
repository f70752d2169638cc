//! Where every command's output goes: the terminal's width is decided here once, and every
//! byte written to stdout or to an output file is scrubbed of secrets first. The commands
//! render text; they never write it themselves.

use std::io::{IsTerminal, Write};

/// The width to lay text out for: the terminal's when stdout is one, else `COLUMNS` (how a
/// pipe into a pager or a CI log says its width); None when neither says.
pub fn width() -> Option<u16> {
    std::io::stdout()
        .is_terminal()
        .then(|| comfy_table::Table::new().width())
        .flatten()
        .or_else(|| std::env::var("COLUMNS").ok()?.parse().ok())
}

/// Write `text` to stdout, scrubbed.
pub fn print(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(crate::secrets::scrub(text).as_bytes());
    let _ = stdout.flush();
}

/// Write `text` to a file, scrubbed.
pub fn write_file(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, crate::secrets::scrub(text))
}
