//! The item catalog: import, the sample catalog, the SQLite + FTS5 index, search, statistics, category extraction
//! and the lexicon (head nouns and value forms).

pub mod card;
pub mod categories;
pub mod department;
pub mod fit;
pub mod import;
pub mod index;
pub mod labels;
pub mod lexicon;
pub mod memory;
pub mod money;
pub mod sample;
pub mod search;
pub mod sizes;
pub mod stats;

pub use categories::{CategoryCollector, CategoryCount, CategoryMap};
pub use index::{Index, IndexWriter};
pub use lexicon::{Count, FeatureForm, Lexicon, Noun, ValueForm, ValueKind};
pub use memory::MemoryCatalog;
pub use search::{Hit, Query};
