//! One profile draw: target, persona, purchase reason, plausibility checks, budget, requirements and narrative, all from one seeded RNG.

use serde::Serialize;

use super::tables::RecipientKind;
use super::tables::{Band, Tables};
use super::targets::{Targets, allows, audience_allows, buyer_allows, is_for_the_young};
use crate::catalog::Index;
use crate::catalog::money::{Currencies, nice_ceiling};
use crate::catalog::sizes::Sizes;
use crate::config::ProfilesConfig;
use crate::model::{Budget, Gender, Item, Location, Persona, Profile, Requirement, Scenario};
use crate::rng::{Rng, Weighted};
use crate::{Error, Result};

/// Why a draw was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rejection {
    /// The target's category is meant for another gender or age.
    Audience,
    /// The target costs more than the persona's income band allows.
    Budget,
    /// The target has no attribute to turn into a requirement.
    NoRequirements,
    /// The narrative nearly repeats an earlier one.
    NearDuplicate,
    /// No purchase reason suits the persona's age.
    NoReason,
    /// No category of the catalog suits the persona and the reason.
    NoTarget,
    /// The scenario writer (a language model) judged the draw implausible.
    Implausible,
    /// No occasion of the reason suits both the persona's age and the target.
    Occasion,
}

impl Rejection {
    /// Name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Rejection::Audience => "audience",
            Rejection::Budget => "budget",
            Rejection::NoRequirements => "no_requirements",
            Rejection::NearDuplicate => "near_duplicate",
            Rejection::NoReason => "no_reason",
            Rejection::NoTarget => "no_target",
            Rejection::Implausible => "implausible",
            Rejection::Occasion => "occasion",
        }
    }
}

/// Draws profiles from the tables and the catalog: persona first, then a purchase reason from its weighted
/// table, then a target among the categories that suit both (weighted by category size), so the persona and
/// reason mixes follow the tables and only the category mix bends to plausibility.
pub struct Drawer<'a> {
    tables: &'a Tables,
    targets: &'a Targets,
    cfg: &'a ProfilesConfig,
    seed: u64,
    /// The currencies personas state budgets in.
    currencies: &'a Currencies,
    /// The size systems personas state sizes in.
    sizes: &'a Sizes,
    /// `suits[reason][path]`: the reason fits targets under that path.
    suits: Vec<Vec<bool>>,
}

impl<'a> Drawer<'a> {
    /// A drawer over `tables` and `targets` with the run's settings and seed.
    pub fn new(
        tables: &'a Tables,
        targets: &'a Targets,
        cfg: &'a ProfilesConfig,
        seed: u64,
        currencies: &'a Currencies,
        sizes: &'a Sizes,
    ) -> Self {
        let suits = tables
            .reasons
            .iter()
            .map(|r| targets.paths.iter().map(|p| r.suits_path(p)).collect())
            .collect();
        Drawer {
            tables,
            targets,
            cfg,
            seed,
            currencies,
            sizes,
            suits,
        }
    }
}

/// The id of the `n`-th generated profile.
pub fn profile_id(n: usize) -> String {
    format!("p{n:07}")
}

#[derive(Serialize)]
struct NarrativeContext<'a> {
    name: &'a str,
    first_name: &'a str,
    age: u32,
    profession: &'a str,
    profession_or_role: String,
    city: &'a str,
    country: &'a str,
    style: &'a str,
    occasion: &'a str,
    recipient: String,
    need: &'a str,
    reason: &'a str,
    they: &'static str,
    #[serde(rename = "They")]
    they_cap: &'static str,
    them: &'static str,
    their: &'static str,
    #[serde(rename = "Their")]
    their_cap: &'static str,
    are: &'static str,
    have: &'static str,
    were: &'static str,
}

impl Drawer<'_> {
    /// Draw attempt `attempt` of profile `n`; `index` fetches the full target item.
    pub fn draw(
        &self,
        index: &Index,
        n: usize,
        attempt: u32,
    ) -> Result<std::result::Result<Profile, Rejection>> {
        let id = profile_id(n);
        let mut rng = Rng::for_record(self.seed, "profiles", &format!("{id}/{attempt}"));
        let t = self.tables;
        let persona = self.persona(&mut rng);
        let by_age: Vec<usize> = (0..t.reasons.len())
            .filter(|&i| t.reasons[i].min_age <= persona.age)
            .collect();
        let Some(reason_table) = Weighted::new(by_age.iter().map(|&i| t.reasons[i].weight)) else {
            return Ok(Err(Rejection::NoReason));
        };
        let reason_idx = by_age[reason_table.sample(&mut rng)];
        let reason = &t.reasons[reason_idx];
        let rules = &t.audience_rules;
        // Who the target is for: the persona, or for a gift a recipient it suits (kids get kids' things),
        // and the persona too when gifts are not exempt.
        // A recipient the shopper's age allows (no wife for a child), of the age group it has for them (a child's
        // best friend is a child).
        let for_recipient = |mask: u32, r: &super::tables::Recipient| {
            let kind = r.kind_for(persona.age);
            persona.age >= r.min_buyer_age
                && allows(rules, mask, r.gender, kind.age())
                && (kind == RecipientKind::Adult || is_for_the_young(rules, mask))
        };
        let persona_ok = |mask: u32| {
            buyer_allows(rules, mask, persona.age)
                && ((reason.gift && self.cfg.gift_exempts_audience)
                    || audience_allows(rules, mask, &persona))
        };
        let fits = |mask: u32| {
            persona_ok(mask)
                && (!reason.gift || reason.recipients.iter().any(|r| for_recipient(mask, r)))
        };
        let picked = self.targets.pick_where(&mut rng, |p| {
            self.suits[reason_idx][p] && fits(self.targets.path_masks[p])
        });
        let Some((path_idx, candidate)) = picked else {
            return Ok(Err(Rejection::NoTarget));
        };
        let path = &self.targets.paths[path_idx];
        // The title can narrow the audience further ("Men's" in a unisex category).
        if !fits(candidate.audience) {
            return Ok(Err(Rejection::Audience));
        }
        let recipient = if reason.gift {
            let suited: Vec<usize> = (0..reason.recipients.len())
                .filter(|&i| for_recipient(candidate.audience, &reason.recipients[i]))
                .collect();
            rng.choose(&suited).copied()
        } else {
            None
        };
        let band = persona
            .income_band
            .as_deref()
            .and_then(|b| t.bands.iter().find(|x| x.name == b))
            .ok_or_else(|| Error::Run("persona without an income band".into()))?;
        let Some(budget) = budget(band, candidate.price, &mut rng) else {
            return Ok(Err(Rejection::Budget));
        };
        let item = index.get(&candidate.id)?.ok_or_else(|| {
            Error::Run(format!("target {} vanished from the catalog", candidate.id))
        })?;
        let requirements = self.requirements(&item, &persona, &mut rng)?;
        if requirements.is_empty() {
            return Ok(Err(Rejection::NoRequirements));
        }
        // An occasion the persona's age allows and the target suits (no T-shirt for a gala).
        let leaf = path.last().map(String::as_str).unwrap_or_default();
        let fitting: Vec<&str> = reason
            .occasions
            .iter()
            .filter(|o| o.suits_age(persona.age) && !t.occasion_fit.misfit(o.text(), leaf))
            .map(|o| o.text())
            .collect();
        let Some(occasion) = rng.choose(&fitting).map(|o| o.to_string()) else {
            return Ok(Err(Rejection::Occasion));
        };
        let need = self.generic_need(path, &mut rng);
        let mut ctx = self.context(&persona, &occasion, &need, &reason.label);
        if let Some(i) = recipient {
            let group = format!("recipient.{}", reason.id);
            ctx.recipient = t.templates.render(
                &group,
                i,
                &minijinja::Value::from(minijinja::value::Serde(&ctx)),
            )?;
        }
        let child = persona.age < t.child_below;
        let narrative = self.narrative(&ctx, &reason.id, child, &mut rng)?;
        let recipient = (!ctx.recipient.is_empty()).then(|| ctx.recipient.clone());
        let budget = self.local_budget(&persona, budget);
        Ok(Ok(Profile {
            id,
            persona,
            scenario: Scenario {
                purchase_reason: Some(reason.id.clone()),
                occasion: Some(occasion),
                recipient,
                need: Some(need.clone()),
                narrative,
                requirements,
                budget: Some(budget),
                category: path.clone(),
                written_by: None,
            },
            target_item_id: candidate.id.clone(),
        }))
    }

    /// `max` (in the catalog's currency) as the persona states it: in their country's currency, a round figure
    /// there (never below `max`), converted back exactly for comparisons.
    fn local_budget(&self, persona: &Persona, max: f64) -> Budget {
        let country = persona.location.as_ref().map(|l| l.country.as_str());
        let money = self.currencies.for_country(country);
        if money.code == self.currencies.catalog().code {
            return Budget::catalog(max);
        }
        let amount = money.round_budget(max);
        Budget {
            max: money.to_catalog(amount),
            currency: Some(money.code),
            amount: Some(amount),
        }
    }

    fn persona(&self, rng: &mut Rng) -> Persona {
        let t = self.tables;
        let gender = t.genders.0[t.genders.1.sample(rng)];
        let (lo, hi) = t.ages.0[t.ages.1.sample(rng)];
        let age = rng.between(lo, hi);
        let (loc, group, langs, lang_table) = &t.locations[t.location_table.sample(rng)];
        let names = &t.names[*group];
        let firsts = match gender {
            Gender::Female => &names.female,
            Gender::Male => &names.male,
            Gender::Unknown => &names.neutral,
        };
        let first = rng.choose(firsts).cloned().unwrap_or_default();
        let last = rng.choose(&names.last).cloned().unwrap_or_default();
        let profession = if age < t.min_working_age {
            None
        } else {
            t.professions_by_age
                .get(age as usize)
                .and_then(Option::as_ref)
                .map(|(idx, table)| &t.professions[idx[table.sample(rng)]])
        };
        let class = profession.map(|p| p.class.as_str()).unwrap_or("child");
        let income_band = t
            .band_by_class
            .get(class)
            .map(|(idx, table)| t.bands[idx[table.sample(rng)]].name.clone());
        Persona {
            name: format!("{first} {last}"),
            gender,
            age,
            profession: profession.map(|p| p.name.clone()),
            location: Some(Location {
                city: loc.city.clone(),
                country: loc.country.clone(),
            }),
            income_band,
            style: Some(t.styles.0[t.styles.1.sample(rng)].clone()),
            language_mix: langs[lang_table.sample(rng)].clone(),
            formality: t.register_for(t.formality.0[t.formality.1.sample(rng)], age),
            verbosity: t.verbosity.0[t.verbosity.1.sample(rng)],
        }
    }

    /// The attributes of `item` a requirement can come from: (attribute key, value, weight), details first, then
    /// features short enough to say in a chat.
    pub fn requirement_pool(&self, item: &Item) -> Vec<(String, String, f64)> {
        let t = self.tables;
        let mut pool: Vec<(String, String, f64)> = Vec::new();
        for attr in &t.requirement_attributes {
            if let Some(value) = attr.labels.iter().find_map(|l| item.detail(l)) {
                pool.push((attr.key.clone(), value.to_string(), attr.weight));
            }
        }
        let features: Vec<&String> = item
            .features
            .iter()
            .filter(|f| f.chars().count() <= t.feature_max_chars && f.len() > 2)
            .collect();
        for f in &features {
            pool.push((
                "feature".into(),
                (*f).clone(),
                t.feature_weight / features.len() as f64,
            ));
        }
        pool
    }

    /// The requirements of a target `item`: each an attribute value of it, its text (as the persona says it: a
    /// size in their country's system, "in size UK 8" for the catalog's "US 9") from the tables' templates.
    fn requirements(
        &self,
        item: &Item,
        persona: &Persona,
        rng: &mut Rng,
    ) -> Result<Vec<Requirement>> {
        let t = self.tables;
        let sizes = self
            .sizes
            .for_country(persona.location.as_ref().map(|l| l.country.as_str()));
        let mut pool = self.requirement_pool(item);
        let mut out = Vec::new();
        while out.len() < self.cfg.requirements.get() && !pool.is_empty() {
            let Some(table) = Weighted::new(pool.iter().map(|p| p.2)) else {
                break;
            };
            let (key, value, _) = pool.swap_remove(table.sample(rng));
            let group = format!("req.{key}");
            let i = rng.below(t.templates.len(&group));
            let said = sizes
                .for_path(item.categories.iter().map(String::as_str), &value)
                .unwrap_or(&value);
            let text = t
                .templates
                .render(&group, i, &minijinja::context! { value => said })?;
            out.push(Requirement {
                attribute: key,
                value,
                text,
            });
        }
        Ok(out)
    }

    fn generic_need(&self, path: &[String], rng: &mut Rng) -> String {
        let rule = self.tables.generic_needs.iter().find(|r| {
            r.keywords.is_empty()
                || r.keywords
                    .iter()
                    .any(|k| path.iter().any(|p| p.eq_ignore_ascii_case(k)))
        });
        rule.and_then(|r| rng.choose(&r.phrases).cloned())
            .unwrap_or_else(|| "something new".to_string())
    }

    fn context<'b>(
        &self,
        p: &'b Persona,
        occasion: &'b str,
        need: &'b str,
        reason: &'b str,
    ) -> NarrativeContext<'b> {
        let first_name = p.name.split_whitespace().next().unwrap_or(&p.name);
        let (they, they_cap, them, their, their_cap, are, have, were) = match p.gender {
            Gender::Female => ("she", "She", "her", "her", "Her", "is", "has", "was"),
            Gender::Male => ("he", "He", "him", "his", "His", "is", "has", "was"),
            Gender::Unknown => (
                "they", "They", "them", "their", "Their", "are", "have", "were",
            ),
        };
        let profession_or_role = match &p.profession {
            Some(prof) => prof.to_lowercase(),
            None if p.age < 13 => "schoolkid".to_string(),
            None => "high-school student".to_string(),
        };
        let loc = p.location.as_ref();
        NarrativeContext {
            name: &p.name,
            first_name,
            age: p.age,
            profession: p.profession.as_deref().unwrap_or(""),
            profession_or_role,
            city: loc.map(|l| l.city.as_str()).unwrap_or(""),
            country: loc.map(|l| l.country.as_str()).unwrap_or(""),
            style: p.style.as_deref().unwrap_or("everyday"),
            occasion,
            recipient: String::new(),
            need,
            reason,
            they,
            they_cap,
            them,
            their,
            their_cap,
            are,
            have,
            were,
        }
    }

    /// The narrative of a draw: intro, reason sentence, one or two details, need and closing; a `child`'s intro and
    /// details from the child groups when the tables have them.
    fn narrative(
        &self,
        ctx: &NarrativeContext,
        reason_id: &str,
        child: bool,
        rng: &mut Rng,
    ) -> Result<String> {
        let t = &self.tables.templates;
        let value = minijinja::Value::from(minijinja::value::Serde(ctx));
        let reason_group = format!("reason.{reason_id}");
        let details = 1 + rng.below(2);
        let (intro, detail) = if child && t.len("intro_child") > 0 && t.len("detail_child") > 0 {
            ("intro_child", "detail_child")
        } else {
            ("intro", "detail")
        };
        let mut groups: Vec<&str> = vec![intro, &reason_group];
        groups.extend(std::iter::repeat_n(detail, details));
        groups.extend(["need", "closing"]);
        let mut used_details = Vec::new();
        let mut sentences = Vec::with_capacity(groups.len());
        for group in groups {
            let n = t.len(group);
            let mut i = rng.below(n);
            if group == detail {
                while used_details.contains(&i) && used_details.len() < n {
                    i = rng.below(n);
                }
                used_details.push(i);
            }
            sentences.push(t.render(group, i, &value)?);
        }
        Ok(sentences.join(" "))
    }
}

/// The budget for a target at `price` in `band`, or `None` when the band cannot afford it.
fn budget(band: &Band, price: Option<f64>, rng: &mut Rng) -> Option<f64> {
    match price {
        Some(p) if p > band.max_item_price => None,
        Some(p) => {
            let [lo, hi] = band.budget_slack;
            Some(nice_ceiling(p * rng.uniform(lo.max(1.0), hi.max(lo.max(1.0)))).max(p))
        }
        None => Some(band.typical_budget),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_round_up_and_never_fall_below_price() {
        assert_eq!(nice_ceiling(12.3), 13.0);
        assert_eq!(nice_ceiling(47.99), 50.0);
        assert_eq!(nice_ceiling(101.0), 110.0);
        assert_eq!(nice_ceiling(1234.0), 1250.0);
        let band = Band {
            name: "low".into(),
            max_item_price: 90.0,
            budget_slack: [1.0, 1.2],
            typical_budget: 40.0,
        };
        let mut rng = Rng::from_u64(1);
        assert_eq!(budget(&band, Some(120.0), &mut rng), None);
        assert_eq!(budget(&band, None, &mut rng), Some(40.0));
        for _ in 0..100 {
            let b = budget(&band, Some(47.99), &mut rng).unwrap();
            assert!((47.99..=60.0).contains(&b), "{b}");
        }
    }
}
