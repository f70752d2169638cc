//! bedrock-doctor: finds out why Amazon Bedrock says no. See docs/architecture.md.

pub mod api_key;
pub mod apps;
pub mod aws;
pub mod calls;
pub mod catalog;
pub mod catalog_refresh;
pub mod causes;
pub mod checks;
pub mod cli;
pub mod config_file;
pub mod demo;
pub mod doctor;
pub mod explain;
pub mod facts;
pub mod input;
pub mod knowledge;
pub mod lint;
pub mod mantle;
pub mod models;
pub mod policy;
pub mod render;
pub mod report;
pub mod runner;
pub mod secrets;
pub mod sim;
pub mod sink;
