//! The simulator serves the catalog snapshot built into the binary (src/catalog), never a
//! user's refreshed cache, so that a scenario answers the same on every machine.

pub use crate::catalog::{CatalogModel, CatalogProfile};

pub fn catalog() -> &'static crate::catalog::Catalog {
    crate::catalog::snapshot()
}
