//! What a recommendation misses: an item shown that misses a wish the shopper stated is never shown as if the wish
//! had not been said. When no item left meets every wish, the recommender says which of them it could not meet ("I
//! know you'd prefer polyester, but I couldn't find one that does that as well as the rest"); when one would (the
//! recommender overlooked it for this search), it offers the item as a trade-off ("it isn't what you asked for
//! there, but it's worth a look for the rest"), and the shopper's answer brings it back.

use super::SimSystem;
use crate::agents::sim::compose::Part;
use crate::agents::sim::realise::{self, Fact};

impl SimSystem<'_> {
    /// The stated wishes item `i` misses, as facts: values in the order stated, then features.
    pub(super) fn missed(&self, i: u32) -> Vec<Fact> {
        let mut facts = Vec::new();
        for (k, v) in &self.needs.wanted {
            if self.cat.value(i, k) != Some(v.as_str())
                && let Some(f) = self.value_fact(k, v)
            {
                facts.push(f);
            }
        }
        for f in &self.needs.features {
            if !self.cat.has_feature(i, f) {
                facts.push(Fact::Feature(self.cat.feature_form(f)));
            }
        }
        facts
    }

    /// Whether an item of the shopper's category and department, within the budget and not shown before, other than
    /// `pick`, meets every stated wish.
    fn another_meets_all(&self, pick: u32) -> bool {
        let Some(leaf) = self.needs.category.as_deref() else {
            return false;
        };
        let budget = self.needs.budget;
        self.cat.in_leaf(leaf).iter().any(|&i| {
            i != pick
                && !self.shown.contains(&i)
                && self.in_department(i)
                && budget.is_none_or(|b| self.cat.item(i).price.is_none_or(|p| p <= b))
                && self
                    .needs
                    .wanted
                    .iter()
                    .all(|(k, v)| self.cat.value(i, k) == Some(v.as_str()))
                && self
                    .needs
                    .features
                    .iter()
                    .all(|f| self.cat.has_feature(i, f))
        })
    }

    /// The wishes `pick` (the item shown, or the best of several) misses, said back ("you'd prefer polyester"), with
    /// the part that says them: [`Part::AgainShortfall`] when no other item meets them all, else
    /// [`Part::AgainTradeoff`]; none when it misses none, or they cannot be said without repeating an earlier turn.
    pub(super) fn shortfall(&mut self, pick: u32) -> Option<(Part, String)> {
        let missed = self.missed(pick);
        if missed.is_empty() {
            return None;
        }
        let part = if self.another_meets_all(pick) {
            Part::AgainTradeoff
        } else {
            Part::AgainShortfall
        };
        let clauses = self.fresh(realise::wishes(&missed), realise::list);
        (!clauses.is_empty()).then(|| (part, realise::list(&clauses)))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use super::*;
    use crate::agents::sim::compose::Var;
    use crate::agents::sim::{PhraseBank, SimWorld};
    use crate::catalog::{Index, IndexWriter, MemoryCatalog};
    use crate::model::Item;
    use crate::rng::Rng;

    fn item(id: &str, title: &str, colour: &str, material: &str) -> Item {
        Item {
            id: id.into(),
            title: title.into(),
            description: vec![],
            features: vec![],
            categories: ["Footwear", "Women", "Shoes", "Fashion Sneakers"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            price: Some(50.0),
            rating: Some(4.0),
            details: [("Color", colour), ("Material", material)]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
            images: vec![],
            new_description: None,
        }
    }

    /// A catalog of sneakers: black leather, navy canvas and (when `both`) black canvas.
    fn catalog(both: bool) -> MemoryCatalog {
        let dir = std::env::temp_dir().join(format!(
            "musegen-shortfall-{}-{both}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("catalog.db");
        let mut w = IndexWriter::create(&path).unwrap();
        w.add(&item("a", "Arcwave Women's Sneaker", "Black", "Leather"))
            .unwrap();
        w.add(&item("b", "Kinlow Women's Sneaker", "Navy", "Canvas"))
            .unwrap();
        if both {
            w.add(&item("c", "Tandem Women's Sneaker", "Black", "Canvas"))
                .unwrap();
        }
        w.commit().unwrap();
        let index = Index::open(&path).unwrap();
        let labels = vec![
            ("color".to_string(), vec!["Color".to_string()]),
            ("material".to_string(), vec!["Material".to_string()]),
        ];
        let cat = MemoryCatalog::load(&index, &labels).unwrap();
        std::fs::remove_dir_all(&dir).ok();
        cat
    }

    /// The part and the wishes said of showing item `id` to a shopper who asked for black canvas sneakers.
    fn said(both: bool, id: &str) -> Option<(Part, String)> {
        let cat = catalog(both);
        let phrases = PhraseBank::load(None, &[]).unwrap();
        let config = crate::config::DialogueConfig::default();
        let currencies =
            crate::catalog::money::Currencies::load(None, &Default::default()).unwrap();
        let sizes = crate::catalog::sizes::Sizes::load(None, &Default::default()).unwrap();
        let reason_said = HashMap::new();
        let world = SimWorld {
            catalog: &cat,
            phrases: &phrases,
            config: &config,
            reason_said: &reason_said,
            user_voice: None,
            system_voice: None,
            system_chain: None,
            config_deadline: None,
            currencies: &currencies,
            sizes: &sizes,
        };
        let mut system = SimSystem::new(
            &world,
            "c1",
            currencies.for_country(None),
            sizes.for_country(None),
            Rng::from_u64(1),
        );
        system.needs.category = Some("fashion sneakers".into());
        system.needs.wanted = vec![
            ("color".into(), "black".into()),
            ("material".into(), "canvas".into()),
        ];
        system.shortfall(cat.position(id).unwrap())
    }

    /// An item missing a stated wish is never shown as if it had not been said: "none found" when no item meets every
    /// wish, a trade-off when one does; an item meeting them all gets neither.
    #[test]
    fn a_missed_wish_is_said_and_only_claimed_unmeetable_when_it_is() {
        let (part, text) = said(false, "b").expect("navy canvas misses black");
        assert_eq!(part, Part::AgainShortfall);
        assert!(text.contains("black") && !text.contains("canvas"), "{text}");
        let (part, text) = said(true, "b").expect("navy canvas misses black");
        assert_eq!(part, Part::AgainTradeoff, "black canvas exists: {text}");
        let (_, text) = said(false, "a").expect("black leather misses canvas");
        assert!(text.contains("canvas"), "{text}");
        assert_eq!(said(true, "c"), None);
        // The recommender's bank words both parts with the wishes.
        let bank = PhraseBank::load(None, &[]).unwrap();
        let mut fill = crate::agents::sim::compose::Fill::default();
        fill.set(Var::Unmet, "you'd prefer black");
        for part in [Part::AgainShortfall, Part::AgainTradeoff] {
            let mut memory = crate::agents::sim::variety::Memory::default();
            let line = bank
                .system_bank()
                .compose(&[part], &fill, &mut memory, &mut Rng::from_u64(2))
                .unwrap();
            assert!(line.contains("you'd prefer black"), "{line}");
        }
    }
}
