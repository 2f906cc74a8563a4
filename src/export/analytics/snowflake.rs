//! The snowflake's own dimensions: `dim_category` as a parent chain (`category_key, name, parent_key, level, path`:
//! one row per prefix of every category path, the root at level 1 with no parent), and the persona's attributes in
//! their own tables (`dim_age_band`, `dim_location`, `dim_profession`, `dim_income_band`, `dim_style`,
//! `dim_language`) that `dim_user` refers to.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::rows::{AGE_BANDS, age_band};
use super::schema::{SqlType, TableSpec, col, fk, req};
use super::warehouse::{Dimensions, Keys, Table, keyed, name_of};
use crate::model::Persona;

/// `dim_category`: every prefix of every path, each pointing at its parent.
pub fn dim_category(k: &Keys) -> Table {
    let spec = TableSpec {
        name: "dim_category",
        columns: vec![
            req("category_key", SqlType::Integer),
            req("name", SqlType::Text),
            fk("parent_key", "dim_category", "category_key"),
            req("level", SqlType::Integer),
            req("path", SqlType::Text),
        ],
    };
    let rows = k
        .category
        .iter()
        .map(|(path, key)| {
            let parent = (path.len() > 1)
                .then(|| k.category.get(&path[..path.len() - 1]))
                .flatten();
            vec![
                json!(key),
                json!(path.last()),
                parent.map_or(Value::Null, |p| json!(p)),
                json!(path.len()),
                json!(path.join(" > ")),
            ]
        })
        .collect();
    (spec, rows)
}

/// A one-attribute dimension (`dim_profession (profession_key, profession)`) over the values `of` gives.
fn attribute(
    d: &Dimensions,
    table: &'static str,
    key: &'static str,
    column: &'static str,
    of: impl Fn(&Persona) -> Option<String>,
) -> (BTreeMap<String, i64>, Table) {
    let keys = keyed(d.users.values().flatten().filter_map(&of));
    let spec = TableSpec {
        name: table,
        columns: vec![req(key, SqlType::Integer), req(column, SqlType::Text)],
    };
    let rows = keys.iter().map(|(v, k)| vec![json!(k), json!(v)]).collect();
    (keys, (spec, rows))
}

fn nonempty(s: Option<&str>) -> Option<String> {
    s.filter(|s| !s.is_empty()).map(str::to_string)
}

/// The persona dimensions and `dim_user`, in creation order.
pub fn user_tables(d: &Dimensions, k: &Keys) -> Vec<Table> {
    let bands = keyed(AGE_BANDS.iter().map(|(_, lo, _)| *lo));
    let band_spec = TableSpec {
        name: "dim_age_band",
        columns: vec![
            req("age_band_key", SqlType::Integer),
            req("age_band", SqlType::Text),
            req("min_age", SqlType::Integer),
            col("max_age", SqlType::Integer),
        ],
    };
    let band_rows = AGE_BANDS
        .iter()
        .map(|(name, lo, hi)| {
            vec![
                json!(bands.get(lo)),
                json!(name),
                json!(lo),
                if *hi == u32::MAX {
                    Value::Null
                } else {
                    json!(hi)
                },
            ]
        })
        .collect();
    let band_key = |age: u32| {
        AGE_BANDS
            .iter()
            .find(|(name, _, _)| *name == age_band(age))
            .and_then(|(_, lo, _)| bands.get(lo))
    };
    let location = |p: &Persona| {
        p.location
            .as_ref()
            .map(|l| format!("{}\u{1f}{}", l.city, l.country))
    };
    let locations = keyed(d.users.values().flatten().filter_map(location));
    let location_spec = TableSpec {
        name: "dim_location",
        columns: vec![
            req("location_key", SqlType::Integer),
            req("city", SqlType::Text),
            req("country", SqlType::Text),
        ],
    };
    let location_rows = locations
        .iter()
        .map(|(v, key)| {
            let (city, country) = v.split_once('\u{1f}').unwrap_or((v, ""));
            vec![json!(key), json!(city), json!(country)]
        })
        .collect();
    let (professions, professions_t) =
        attribute(d, "dim_profession", "profession_key", "profession", |p| {
            nonempty(p.profession.as_deref())
        });
    let (incomes, incomes_t) = attribute(
        d,
        "dim_income_band",
        "income_band_key",
        "income_band",
        |p| nonempty(p.income_band.as_deref()),
    );
    let (styles, styles_t) = attribute(d, "dim_style", "style_key", "style", |p| {
        nonempty(p.style.as_deref())
    });
    let (languages, languages_t) = attribute(d, "dim_language", "language_key", "language", |p| {
        nonempty(Some(p.language_mix.as_str()))
    });
    let key_in = |map: &BTreeMap<String, i64>, v: Option<String>| {
        v.and_then(|v| map.get(&v).copied())
            .map_or(Value::Null, |x| json!(x))
    };
    let user_spec = TableSpec {
        name: "dim_user",
        columns: vec![
            req("user_key", SqlType::Integer),
            req("user_id", SqlType::Text),
            col("user_name", SqlType::Text),
            col("gender", SqlType::Text),
            col("age", SqlType::Integer),
            fk("age_band_key", "dim_age_band", "age_band_key"),
            fk("profession_key", "dim_profession", "profession_key"),
            fk("location_key", "dim_location", "location_key"),
            fk("income_band_key", "dim_income_band", "income_band_key"),
            fk("style_key", "dim_style", "style_key"),
            fk("language_key", "dim_language", "language_key"),
            col("formality", SqlType::Text),
            col("verbosity", SqlType::Text),
        ],
    };
    let user_rows = d
        .users
        .iter()
        .map(|(id, persona)| match persona {
            None => {
                let mut row = vec![Keys::get(&k.user, id), json!(id)];
                row.resize(user_spec.columns.len(), Value::Null);
                row
            }
            Some(p) => vec![
                Keys::get(&k.user, id),
                json!(id),
                json!(p.name),
                json!(p.gender.as_str()),
                json!(p.age),
                band_key(p.age).map_or(Value::Null, |b| json!(b)),
                key_in(&professions, nonempty(p.profession.as_deref())),
                key_in(&locations, location(p)),
                key_in(&incomes, nonempty(p.income_band.as_deref())),
                key_in(&styles, nonempty(p.style.as_deref())),
                key_in(&languages, nonempty(Some(p.language_mix.as_str()))),
                json!(name_of(p.formality)),
                json!(name_of(p.verbosity)),
            ],
        })
        .collect();
    vec![
        (band_spec, band_rows),
        (location_spec, location_rows),
        professions_t,
        incomes_t,
        styles_t,
        languages_t,
        (user_spec, user_rows),
    ]
}
