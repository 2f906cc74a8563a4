//! The persona and scenario tables under `profiles/`: their serde shapes, checks, and the weighted form the sampler draws from.

use std::collections::BTreeMap;
use std::path::Path;

pub mod fit;
mod rows;

pub use rows::{
    AudienceRule, Band, GenericNeed, LocationRow, NameGroup, OccasionRow, ProfessionRow, ReasonRow,
    Recipient, RecipientKind, RequirementAttribute,
};
use rows::{
    DemographicsFile, IncomeFile, LocationsFile, NamesFile, NarrativeFile, PersonaFile,
    ProfessionsFile, ReasonsFile, RequirementsFile, RulesFile,
};

use crate::config::{ProfilesConfig, is_language_mix};
use crate::data::{self, DataFile, PROFILE_TABLES};
use crate::model::{Formality, Gender, Verbosity};
use crate::rng::Weighted;
use crate::template::TemplateBank;
use crate::{Error, Result};

/// Every table, checked, with its sampling structures.
pub struct Tables {
    /// Below this age: no profession.
    pub min_working_age: u32,
    /// Genders and their table.
    pub genders: (Vec<Gender>, Weighted),
    /// Age buckets and their table.
    pub ages: (Vec<(u32, u32)>, Weighted),
    /// Name groups.
    pub names: Vec<NameGroup>,
    /// Locations, with the index of their name group and their language table.
    pub locations: Vec<(LocationRow, usize, Vec<String>, Weighted)>,
    /// Location weights.
    pub location_table: Weighted,
    /// Professions.
    pub professions: Vec<ProfessionRow>,
    /// Per age 0..=120: the eligible professions' table (None: none eligible).
    pub professions_by_age: Vec<Option<(Vec<usize>, Weighted)>>,
    /// Bands.
    pub bands: Vec<Band>,
    /// Per class: band indices and table.
    pub band_by_class: BTreeMap<String, (Vec<usize>, Weighted)>,
    /// Styles.
    pub styles: (Vec<String>, Weighted),
    /// Formality.
    pub formality: (Vec<Formality>, Weighted),
    /// The youngest age of each register (a drawn register a persona is too young for steps down: a child talks
    /// casually).
    pub formality_min_age: Vec<(Formality, u32)>,
    /// The oldest age of each register (a drawn register a persona is too old for steps up: an eighty-year-old
    /// does not write "Fair q").
    pub formality_max_age: Vec<(Formality, u32)>,
    /// Which targets suit which occasions.
    pub occasion_fit: fit::OccasionFit,
    /// Verbosity.
    pub verbosity: (Vec<Verbosity>, Weighted),
    /// Reasons.
    pub reasons: Vec<ReasonRow>,

    /// Generic need rules.
    pub generic_needs: Vec<GenericNeed>,
    /// Requirement attributes.
    pub requirement_attributes: Vec<RequirementAttribute>,
    /// Weight of the feature candidates together.
    pub feature_weight: f64,
    /// Longest usable feature.
    pub feature_max_chars: usize,
    /// Audience rules.
    pub audience_rules: Vec<AudienceRule>,
    /// Narrative, reason, recipient and requirement templates (strict).
    pub templates: TemplateBank,
    /// A persona younger than this is a child, whose narrative intro and details come from the child groups
    /// (`intro_child`, `detail_child`) when the narrative file has them.
    pub child_below: u32,
}

impl Tables {
    /// The register a persona of `age` speaks in when `drawn` was drawn: `drawn`, or the next less formal one its
    /// age allows (`formality_min_age`), or the next more formal one (`formality_max_age`).
    pub fn register_for(&self, drawn: Formality, age: u32) -> Formality {
        let bound = |table: &[(Formality, u32)], f: Formality| {
            table.iter().find(|(g, _)| *g == f).map(|(_, a)| *a)
        };
        let mut f = drawn;
        while f != Formality::Casual
            && bound(&self.formality_min_age, f).is_some_and(|min| age < min)
        {
            f = match f {
                Formality::Formal => Formality::Neutral,
                Formality::Neutral | Formality::Casual => Formality::Casual,
            };
        }
        while f != Formality::Formal
            && bound(&self.formality_max_age, f).is_some_and(|max| age > max)
        {
            f = match f {
                Formality::Casual => Formality::Neutral,
                Formality::Neutral | Formality::Formal => Formality::Formal,
            };
        }
        f
    }

    /// Purchase reason id → how a shopper says it (the `said` phrases, or the label alone).
    pub fn reason_said(&self) -> std::collections::HashMap<String, Vec<String>> {
        self.reasons
            .iter()
            .map(|r| {
                let said = if r.said.is_empty() {
                    vec![r.label.clone()]
                } else {
                    r.said.clone()
                };
                (r.id.clone(), said)
            })
            .collect()
    }
}

/// Oldest age with a precomputed profession table.
pub const MAX_AGE: u32 = 120;

impl Tables {
    /// Load the embedded tables, with files from `override_dir` replacing them by name.
    pub fn load(override_dir: Option<&Path>) -> Result<Self> {
        let files = data::load_set(PROFILE_TABLES, "profiles", override_dir, false)?;
        Self::from_files(&files)
    }

    /// The tables `cfg` names (`profiles.tables_dir` over the embedded ones), with each city's share of a code-mixed
    /// language mix that `profiles.language_mixes` leaves out given to plain English (`en`): one draw either way, so
    /// turning a mix off changes no other attribute of a persona.
    pub fn for_config(cfg: &ProfilesConfig) -> Result<Self> {
        let mut tables = Self::load(cfg.tables_dir.as_deref())?;
        tables.keep_language_mixes(&cfg.language_mixes)?;
        Ok(tables)
    }

    fn keep_language_mixes(&mut self, enabled: &[String]) -> Result<()> {
        for (row, _, langs, weights) in &mut self.locations {
            let mut kept: BTreeMap<String, f64> = BTreeMap::new();
            for (lang, w) in &row.languages {
                let off = is_language_mix(lang) && !enabled.contains(lang);
                let key = if off { "en" } else { lang.as_str() };
                *kept.entry(key.to_string()).or_insert(0.0) += w;
            }
            row.languages = kept;
            *langs = row.languages.keys().cloned().collect();
            *weights = table(row.languages.values().copied(), "locations.toml", &row.city)?;
        }
        Ok(())
    }

    fn from_files(files: &[DataFile]) -> Result<Self> {
        let get = |name: &str| data::find(files, name);
        let demo_file = get("demographics.toml")?;
        let demo: DemographicsFile = data::parse(demo_file)?;
        let names: NamesFile = data::parse(get("names.toml")?)?;
        let locs: LocationsFile = data::parse(get("locations.toml")?)?;
        let profs: ProfessionsFile = data::parse(get("professions.toml")?)?;
        let income_file = get("income.toml")?;
        let income: IncomeFile = data::parse(income_file)?;
        let persona_file = get("persona.toml")?;
        let persona: PersonaFile = data::parse(persona_file)?;
        let reasons_file = get("reasons.toml")?;
        let reasons: ReasonsFile = data::parse(reasons_file)?;
        let narrative_file = get("narrative.toml")?;
        let narrative: NarrativeFile = data::parse(narrative_file)?;
        let req_file = get("requirements.toml")?;
        let req: RequirementsFile = data::parse(req_file)?;
        let rules: RulesFile = data::parse(get("rules.toml")?)?;

        let genders = keyed(&demo.gender, &demo_file.origin, "gender", |k| {
            Gender::parse(k)
        })?;
        let age_weights = demo.age.iter().map(|b| b.weight);
        let ages = (
            demo.age
                .iter()
                .map(|b| (b.min, b.max.max(b.min).min(MAX_AGE)))
                .collect(),
            table(age_weights, &demo_file.origin, "age")?,
        );
        let mut locations = Vec::new();
        for loc in locs.locations {
            let group = names
                .groups
                .iter()
                .position(|g| g.region == loc.region)
                .ok_or_else(|| {
                    Error::data(
                        "locations.toml",
                        format!("{}: unknown region `{}`", loc.city, loc.region),
                    )
                })?;
            let langs: Vec<String> = loc.languages.keys().cloned().collect();
            let lang_table = table(loc.languages.values().copied(), "locations.toml", &loc.city)?;
            locations.push((loc, group, langs, lang_table));
        }
        for g in &names.groups {
            if [&g.female, &g.male, &g.neutral, &g.last]
                .iter()
                .any(|l| l.is_empty())
            {
                return Err(Error::data(
                    "names.toml",
                    format!("region {}: every name list needs names", g.region),
                ));
            }
        }
        let location_table = table(
            locations.iter().map(|l| l.0.weight),
            "locations.toml",
            "locations",
        )?;
        let professions_by_age = (0..=MAX_AGE)
            .map(|age| {
                let idx: Vec<usize> = profs
                    .professions
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| p.min_age <= age && age <= p.max_age)
                    .map(|(i, _)| i)
                    .collect();
                Weighted::new(idx.iter().map(|&i| profs.professions[i].weight)).map(|t| (idx, t))
            })
            .collect();
        let mut band_by_class = BTreeMap::new();
        for (class, weights) in &income.classes {
            let mut idx = Vec::new();
            for band in weights.keys() {
                idx.push(
                    income
                        .bands
                        .iter()
                        .position(|b| &b.name == band)
                        .ok_or_else(|| {
                            Error::data(
                                &income_file.origin,
                                format!("classes.{class}: unknown band `{band}`"),
                            )
                        })?,
                );
            }
            band_by_class.insert(
                class.clone(),
                (
                    idx,
                    table(weights.values().copied(), &income_file.origin, class)?,
                ),
            );
        }
        for p in &profs.professions {
            if !band_by_class.contains_key(&p.class) {
                return Err(Error::data(
                    &income_file.origin,
                    format!(
                        "no band weights for class `{}` (profession {})",
                        p.class, p.name
                    ),
                ));
            }
        }
        if !band_by_class.contains_key("child") {
            return Err(Error::data(
                &income_file.origin,
                "no band weights for class `child`",
            ));
        }
        let styles = (
            persona.style.keys().cloned().collect(),
            table(
                persona.style.values().copied(),
                &persona_file.origin,
                "style",
            )?,
        );
        let register = |k: &str| match k {
            "casual" => Some(Formality::Casual),
            "neutral" => Some(Formality::Neutral),
            "formal" => Some(Formality::Formal),
            _ => None,
        };
        let formality = keyed(
            &persona.formality,
            &persona_file.origin,
            "formality",
            register,
        )?;
        // Age bounds per register: `formality_min_age`, `formality_max_age`.
        let age_bounds = |table: &BTreeMap<String, u32>, key: &str| {
            table
                .iter()
                .map(|(k, age)| {
                    let f = register(k).ok_or_else(|| {
                        Error::Config(format!(
                            "{}: {key}: unknown register {k:?} (casual, neutral, formal)",
                            persona_file.origin
                        ))
                    })?;
                    Ok((f, *age))
                })
                .collect::<Result<Vec<_>>>()
        };
        let formality_min_age = age_bounds(&persona.formality_min_age, "formality_min_age")?;
        let formality_max_age = age_bounds(&persona.formality_max_age, "formality_max_age")?;
        let occasion_fit: fit::OccasionFit = data::parse(get("occasion_fit.toml")?)?;
        let verbosity = keyed(
            &persona.verbosity,
            &persona_file.origin,
            "verbosity",
            |k| match k {
                "terse" => Some(Verbosity::Terse),
                "normal" => Some(Verbosity::Normal),
                "chatty" => Some(Verbosity::Chatty),
                _ => None,
            },
        )?;
        table(
            reasons.reasons.iter().map(|r| r.weight),
            &reasons_file.origin,
            "reasons",
        )?;

        let mut templates = TemplateBank::new(true);
        templates.add_group("intro", &narrative.intros, &narrative_file.origin)?;
        templates.add_group("detail", &narrative.details, &narrative_file.origin)?;
        // A child's lists, when given (else a child's narrative uses the others).
        for (group, list) in [
            ("intro_child", &narrative.child_intros),
            ("detail_child", &narrative.child_details),
        ] {
            if !list.is_empty() {
                templates.add_group(group, list, &narrative_file.origin)?;
            }
        }
        templates.add_group("need", &narrative.needs, &narrative_file.origin)?;
        templates.add_group("closing", &narrative.closings, &narrative_file.origin)?;
        for group in ["intro", "detail", "need", "closing"] {
            if templates.len(group) == 0 {
                return Err(Error::data(
                    &narrative_file.origin,
                    format!("`{group}s` must not be empty"),
                ));
            }
        }
        for r in &reasons.reasons {
            if r.sentences.is_empty()
                || r.occasions.is_empty()
                || (r.gift && r.recipients.is_empty())
            {
                return Err(Error::data(
                    &reasons_file.origin,
                    format!(
                        "reason {}: needs sentences, occasions (and recipients for gifts)",
                        r.id
                    ),
                ));
            }
            templates.add_group(
                &format!("reason.{}", r.id),
                &r.sentences,
                &reasons_file.origin,
            )?;
            let texts: Vec<String> = r.recipients.iter().map(|x| x.text.clone()).collect();
            templates.add_group(&format!("recipient.{}", r.id), &texts, &reasons_file.origin)?;
        }
        for a in &req.attributes {
            templates.add_group(&format!("req.{}", a.key), &a.phrases, &req_file.origin)?;
        }
        templates.add_group("req.feature", &req.feature_phrases, &req_file.origin)?;
        Ok(Tables {
            min_working_age: demo.min_working_age,
            genders,
            ages,
            names: names.groups,
            locations,
            location_table,
            professions: profs.professions,
            professions_by_age,
            bands: income.bands,
            band_by_class,
            styles,
            formality,
            formality_min_age,
            formality_max_age,
            occasion_fit,
            verbosity,
            reasons: reasons.reasons,
            generic_needs: narrative.generic_needs,
            requirement_attributes: req.attributes,
            feature_weight: req.feature_weight,
            feature_max_chars: req.feature_max_chars,
            audience_rules: rules.audience,
            templates,
            child_below: narrative.child_below,
        })
    }
}

fn table(weights: impl IntoIterator<Item = f64>, origin: &str, what: &str) -> Result<Weighted> {
    Weighted::new(weights)
        .ok_or_else(|| Error::data(origin, format!("{what}: weights must be >= 0 with one > 0")))
}

fn keyed<T>(
    map: &BTreeMap<String, f64>,
    origin: &str,
    what: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<(Vec<T>, Weighted)> {
    let mut keys = Vec::new();
    for k in map.keys() {
        keys.push(
            parse(k).ok_or_else(|| Error::data(origin, format!("{what}: unknown key `{k}`")))?,
        );
    }
    Ok((keys, table(map.values().copied(), origin, what)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_register_steps_down_for_the_young_and_up_for_the_old() {
        let t = Tables::load(None).unwrap();
        assert_eq!(t.register_for(Formality::Formal, 10), Formality::Casual);
        assert_eq!(t.register_for(Formality::Formal, 15), Formality::Neutral);
        assert_eq!(t.register_for(Formality::Casual, 40), Formality::Casual);
        assert_eq!(t.register_for(Formality::Casual, 80), Formality::Neutral);
        assert_eq!(t.register_for(Formality::Formal, 80), Formality::Formal);
    }

    #[test]
    fn embedded_tables_load_and_cover_every_age() {
        let t = Tables::load(None).unwrap();
        for age in t.min_working_age..=80 {
            assert!(
                t.professions_by_age[age as usize].is_some(),
                "no profession fits age {age}"
            );
        }
        assert!(t.reasons.iter().any(|r| r.gift));
        assert!(t.reasons.iter().any(|r| r.id == "attend"));
        assert!(!t.audience_rules.is_empty());
    }

    #[test]
    fn an_override_file_replaces_the_embedded_one_and_errors_name_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("persona.toml"),
            "[style]\nclassic = 1.0\n[formality]\nsolemn = 1.0\n[verbosity]\nterse = 1.0\n",
        )
        .unwrap();
        let err = Tables::load(Some(dir.path())).err().unwrap().to_string();
        assert!(err.contains("persona.toml"), "{err}");
        assert!(err.contains("unknown key `solemn`"), "{err}");
        std::fs::write(
            dir.path().join("persona.toml"),
            "[style]\nclassic = \"lots\"\n[formality]\nformal = 1.0\n[verbosity]\nterse = 1.0\n",
        )
        .unwrap();
        let err = Tables::load(Some(dir.path())).err().unwrap().to_string();
        assert!(err.contains("persona.toml:2"), "{err}");
    }

    #[test]
    fn a_misspelt_field_of_an_occasion_is_named_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let embedded = PROFILE_TABLES
            .iter()
            .find(|(name, _)| *name == "reasons.toml")
            .map(|(_, text)| *text)
            .unwrap();
        // An occasion written as a table, with a misspelt bound (was silently dropped when read as an untagged enum).
        let at = embedded
            .find(", min_age = 16 }")
            .expect("an occasion with ages")
            + 2;
        let line = embedded[..at].lines().count();
        let broken = format!("{}min_agee{}", &embedded[..at], &embedded[at + 7..]);
        std::fs::write(dir.path().join("reasons.toml"), broken).unwrap();
        let err = Tables::load(Some(dir.path())).err().unwrap().to_string();
        assert!(err.contains(&format!("reasons.toml:{line}")), "{err}");
        assert!(err.contains("min_agee"), "{err}");
    }
}
