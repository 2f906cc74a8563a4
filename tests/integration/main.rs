//! Integration tests: the `musegen` binary run in temporary folders, and the library's importers on arbitrary input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod analytics;
mod bad_input;
mod catalog;
mod closing;
mod codemix;
mod config;
mod currency;
mod decisions;
mod dialogue;
mod dpo;
mod export;
mod importers;
mod imports;
mod layers;
mod llm;
mod llm_run;
mod llm_several;
mod llm_sizes;
mod lock;
mod pairs;
mod pairs_model;
mod profiles;
mod reading;
mod recommender_voice;
mod review;
mod run;
mod scenario_writer;
mod secrets;
mod several;
mod sizes;
mod stats;
mod util;
mod view;
mod watch;
mod wire;
