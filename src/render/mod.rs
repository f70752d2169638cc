//! Renderers: a Report in, text out. Checks never print; main picks one renderer.

pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod table;
