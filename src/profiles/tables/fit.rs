//! Which targets suit which occasions (`occasion_fit.toml`), as data: the profiles draw an occasion that fits the
//! target's category, and the review counts the profiles whose occasion and target do not fit (the same table, so
//! the two agree).
//!
//! An occasion belongs to the first class one of whose words it contains (lowercase substrings); a target to the
//! first category class one of whose words is a whole-word part of its leaf category (lowercase, words split at
//! anything but letters, digits and hyphens).

use serde::Deserialize;

/// An occasion class of the fit table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OccasionClass {
    /// Name (`formal`, `sport`).
    pub class: String,
    /// Lowercase substrings of the occasion.
    pub words: Vec<String>,
    /// Category classes that do not fit.
    #[serde(default)]
    pub misfits: Vec<String>,
}

/// A category class of the fit table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryClass {
    /// Name (`casual`, `formal`).
    pub class: String,
    /// Lowercase words, whole-word parts of a leaf category.
    pub words: Vec<String>,
}

/// The occasion–category fit table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OccasionFit {
    /// Occasion classes, first match wins.
    pub occasions: Vec<OccasionClass>,
    /// Category classes, first match wins.
    pub categories: Vec<CategoryClass>,
}

impl OccasionFit {
    /// The class of `occasion` (any case), if one holds it.
    pub fn occasion_class(&self, occasion: &str) -> Option<&OccasionClass> {
        let occasion = occasion.to_lowercase();
        self.occasions
            .iter()
            .find(|o| o.words.iter().any(|w| occasion.contains(w.as_str())))
    }

    /// The class of the leaf category `leaf` (any case), if one holds it.
    pub fn category_class(&self, leaf: &str) -> Option<&CategoryClass> {
        let lower = leaf.to_lowercase();
        let leaf = words(&lower);
        self.categories.iter().find(|k| {
            k.words.iter().any(|w| {
                let w = words(w);
                !w.is_empty() && leaf.windows(w.len()).any(|part| part == w.as_slice())
            })
        })
    }

    /// Whether a target under the leaf category `leaf` does not suit `occasion` (a T-shirt for a gala).
    pub fn misfit(&self, occasion: &str, leaf: &str) -> bool {
        match (self.occasion_class(occasion), self.category_class(leaf)) {
            (Some(o), Some(k)) => o.misfits.contains(&k.class),
            _ => false,
        }
    }
}

/// The words of `text`: runs of letters, digits and hyphens.
fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .filter(|w| !w.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_table_finds_casual_targets_for_formal_occasions_and_only_those() {
        let fit: OccasionFit =
            toml::from_str(include_str!("../../../profiles/occasion_fit.toml")).unwrap();
        assert!(fit.misfit("a charity gala", "Graphic T-Shirts"));
        assert!(fit.misfit("a job interview next week", "Road Running"));
        assert!(fit.misfit("A friend's wedding", "Daypacks"));
        assert!(!fit.misfit("a charity gala", "Pumps"));
        assert!(!fit.misfit("a music festival", "Graphic T-Shirts"));
        // Smart casual is no dress for a gala, though fine for a family party.
        assert!(fit.misfit("a charity gala", "Jeans"));
        assert!(fit.misfit("a formal dinner", "Pullovers"));
        assert!(!fit.misfit("a big family get-together", "Jeans"));
        assert!(!fit.misfit("a friend's wedding", "Cardigans"));
        assert!(fit.misfit("a hiking trip in the mountains", "Oxfords"));
        // A look people are seen wearing is no reason to buy a candle or a charger; a trend's colours can be.
        assert!(fit.misfit("a style friends have started wearing", "Jar Candles"));
        assert!(fit.misfit("a viral styling video", "Wall Chargers"));
        assert!(!fit.misfit("a style friends have started wearing", "Jeans"));
        assert!(!fit.misfit("this season's trending colors", "Jar Candles"));
        // Whole words only: "ties" is formal, "utilities" is not a tie.
        assert_eq!(
            fit.category_class("Neckties & Bow Ties").unwrap().class,
            "formal"
        );
        assert!(fit.category_class("Utilities").is_none());
    }

    /// An occasion the item cannot serve is a misfit: pillow covers for trips, earrings against the rain, a down
    /// coat for a hot summer; what does serve it is not.
    #[test]
    fn errands_trips_and_weather_take_only_what_serves_them() {
        let fit: OccasionFit =
            toml::from_str(include_str!("../../../profiles/occasion_fit.toml")).unwrap();
        assert!(fit.misfit("regular trips out of town", "Throw Pillow Covers"));
        assert!(fit.misfit("the daily commute", "Table Lamps"));
        assert!(fit.misfit("everyday wear", "Throws"));
        assert!(fit.misfit("the start of the rainy season", "Earrings"));
        assert!(fit.misfit("a sudden chilly spell", "Pendants"));
        assert!(fit.misfit("a long hot summer", "Down & Down Alternative"));
        assert!(fit.misfit("a long hot summer", "Duvets & Down Comforters"));
        assert!(!fit.misfit("regular trips out of town", "Portable Power Banks"));
        assert!(!fit.misfit("the start of the rainy season", "Rain Jackets"));
        assert!(!fit.misfit("a harsh winter", "Throws"));
        assert!(!fit.misfit("everyday use at home", "Throw Pillow Covers"));
        // Swimwear is for swimming, not for a hike, a cold snap or a commute.
        assert!(fit.misfit("a hiking trip in the mountains", "One-Pieces"));
        assert!(fit.misfit("a sudden chilly spell", "One-Pieces"));
        assert!(fit.misfit("the daily commute", "One-Pieces"));
        assert!(!fit.misfit("swimming lessons", "One-Pieces"));
        assert!(fit.misfit("swimming lessons", "Oxfords"));
        // Earrings are not rings.
        assert_eq!(fit.category_class("Earrings").unwrap().class, "jewelry");
    }
}
