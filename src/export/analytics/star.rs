//! The star schema (`star/`) and the writer both schemas share: dimension CSVs, the fact CSVs streamed in a second
//! pass, `schema.sql`, `load_sqlite.sql` and `load_postgres.sql`. In the star, `dim_category` holds one row per full
//! category path and `dim_user` carries the persona's attributes itself; the snowflake ([`super::snowflake`])
//! normalises both.

use std::io::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::flat::CsvFile;
use super::rows::age_band;
use super::schema::{self, SqlType, TableSpec, col, req};
use super::timeline::rfc3339;
use super::warehouse::{self, Dimensions, Keys, Table, keyed};
use super::{AnalyticsReport, Inputs};
use crate::Result;
use crate::export::layout;
use crate::io::AtomicFile;

/// Which schema to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flavor {
    /// `star/`: denormalised dimensions.
    Star,
    /// `snowflake/`: the category chain and the persona attributes in their own dimensions.
    Snowflake,
}

fn text(s: Option<&str>) -> Value {
    s.filter(|s| !s.is_empty())
        .map_or(Value::Null, |s| json!(s))
}

/// The star's `dim_category`: one row per full path.
fn dim_category(k: &Keys) -> Table {
    let spec = TableSpec {
        name: "dim_category",
        columns: vec![
            req("category_key", SqlType::Integer),
            req("path", SqlType::Text),
            req("name", SqlType::Text),
            req("depth", SqlType::Integer),
            req("root", SqlType::Text),
        ],
    };
    let rows = k
        .category
        .iter()
        .map(|(path, key)| {
            vec![
                json!(key),
                json!(path.join(" > ")),
                json!(path.last()),
                json!(path.len()),
                json!(path.first()),
            ]
        })
        .collect();
    (spec, rows)
}

/// The star's `dim_user`: the persona's attributes inline (empty but the id when the profile is not known).
fn dim_user(d: &Dimensions, k: &Keys) -> Table {
    use SqlType::*;
    let spec = TableSpec {
        name: "dim_user",
        columns: vec![
            req("user_key", Integer),
            req("user_id", Text),
            col("user_name", Text),
            col("gender", Text),
            col("age", Integer),
            col("age_band", Text),
            col("profession", Text),
            col("city", Text),
            col("country", Text),
            col("income_band", Text),
            col("style", Text),
            col("language", Text),
            col("formality", Text),
            col("verbosity", Text),
        ],
    };
    let rows = d
        .users
        .iter()
        .map(|(id, persona)| {
            let p = persona.as_ref();
            let loc = p.and_then(|p| p.location.as_ref());
            vec![
                Keys::get(&k.user, id),
                json!(id),
                text(p.map(|p| p.name.as_str())),
                p.map_or(Value::Null, |p| json!(p.gender.as_str())),
                p.map_or(Value::Null, |p| json!(p.age)),
                p.map_or(Value::Null, |p| json!(age_band(p.age))),
                text(p.and_then(|p| p.profession.as_deref())),
                text(loc.map(|l| l.city.as_str())),
                text(loc.map(|l| l.country.as_str())),
                text(p.and_then(|p| p.income_band.as_deref())),
                text(p.and_then(|p| p.style.as_deref())),
                text(p.map(|p| p.language_mix.as_str())),
                p.map_or(Value::Null, |p| json!(warehouse::name_of(p.formality))),
                p.map_or(Value::Null, |p| json!(warehouse::name_of(p.verbosity))),
            ]
        })
        .collect();
    (spec, rows)
}

/// The dimension tables of `flavor`, in creation order (a referenced table before the tables referring to it),
/// and the keys.
fn dimensions(d: &Dimensions, flavor: Flavor) -> (Keys, Vec<Table>) {
    let categories = match flavor {
        Flavor::Star => keyed(d.categories.iter().cloned()),
        Flavor::Snowflake => keyed(
            d.categories
                .iter()
                .flat_map(|p| (1..=p.len()).map(|n| p[..n].to_vec())),
        ),
    };
    let keys = Keys::new(d, categories);
    let mut tables = vec![
        warehouse::dim_date(d),
        warehouse::dim_action(&keys),
        warehouse::dim_model(&keys),
    ];
    match flavor {
        Flavor::Star => {
            tables.push(dim_category(&keys));
            tables.push(warehouse::dim_item(d, &keys));
            tables.push(dim_user(d, &keys));
        }
        Flavor::Snowflake => {
            tables.push(super::snowflake::dim_category(&keys));
            tables.push(warehouse::dim_item(d, &keys));
            tables.extend(super::snowflake::user_tables(d, &keys));
        }
    }
    (keys, tables)
}

fn write_text(path: &Path, text: &str) -> Result<AtomicFile> {
    let mut f = AtomicFile::create(path)?;
    f.write_all(text.as_bytes())
        .map_err(|e| crate::Error::write(path, e))?;
    Ok(f)
}

/// Write the `flavor` schema of `inputs` under `dir` (`star/` or `snowflake/`): a CSV per table with a header row,
/// `schema.sql` and the two load scripts. Nothing is renamed into place before every file is complete.
pub fn export_schema(inputs: &Inputs, dir: &Path, flavor: Flavor) -> Result<AnalyticsReport> {
    let folder = dir.join(match flavor {
        Flavor::Star => layout::STAR,
        Flavor::Snowflake => layout::SNOWFLAKE,
    });
    let dims = warehouse::collect(inputs)?;
    let (keys, tables) = dimensions(&dims, flavor);
    let facts = super::facts::fact_specs();
    let mut csvs = Vec::new();
    for (spec, rows) in &tables {
        let mut f = CsvFile::create(&folder.join(format!("{}.csv", spec.name)), &spec.header())?;
        for row in rows {
            f.write(spec.cells(row))?;
        }
        csvs.push(f);
    }
    let mut fact_files = facts
        .iter()
        .map(|s| CsvFile::create(&folder.join(format!("{}.csv", s.name)), &s.header()))
        .collect::<Result<Vec<_>>>()?;
    let mut report = AnalyticsReport::default();
    inputs.for_each_chat(|chat| {
        report.add_conversation(chat.conversation.turns.len(), &rfc3339(chat.start_ms));
        let (conversation, turns, bridge) = super::facts::fact_rows(chat, &keys);
        fact_files[0].write(facts[0].cells(&conversation))?;
        for t in &turns {
            fact_files[1].write(facts[1].cells(t))?;
        }
        for b in &bridge {
            fact_files[2].write(facts[2].cells(b))?;
        }
        Ok(())
    })?;
    csvs.extend(fact_files);
    let specs: Vec<TableSpec> = tables.into_iter().map(|(s, _)| s).chain(facts).collect();
    let title = match flavor {
        Flavor::Star => "musegen star schema",
        Flavor::Snowflake => "musegen snowflake schema",
    };
    let scripts = [
        ("schema.sql", schema::ddl(title, &specs)),
        ("load_sqlite.sql", schema::load_sqlite(&specs)),
        ("load_postgres.sql", schema::load_postgres(&specs)),
    ];
    let texts = scripts
        .iter()
        .map(|(name, text)| write_text(&folder.join(name), text).map(|f| (folder.join(name), f)))
        .collect::<Result<Vec<_>>>()?;
    for f in csvs {
        let (path, rows) = f.commit()?;
        report.add_file(dir, &path, rows);
    }
    for (path, f) in texts {
        f.commit()?;
        report.files.push(path);
    }
    Ok(report)
}
