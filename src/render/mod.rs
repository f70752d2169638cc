//! Renderers: a Report in, text out. Checks never print; main picks one renderer.

pub mod json;
pub mod table;
