//! musegen: generate MUSE-style conversational-recommendation data — item catalogs, scenario-grounded profiles,
//! and (in later stages) dialogues, reviews and training files — deterministically and resumably.

pub mod agents;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod data;
pub mod dialogue;
pub mod error;
pub mod export;
pub mod generate;
pub mod io;
pub mod llm;
pub mod manager;
pub mod model;
pub mod pairs;
pub mod parallel;
pub mod pipeline;
pub mod plan;
pub mod profiles;
pub mod progress;
pub mod review;
pub mod rng;
pub mod secret;
pub mod stats;
pub mod template;
pub mod view;

pub use error::{Error, Result};

/// The allocator of every musegen program (the binary, its tests and benchmarks): a simulated dialogue is made of
/// many short-lived small strings, which mimalloc serves faster than the system allocator (figures in
/// BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
