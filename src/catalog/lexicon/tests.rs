//! Tests of the lexicon's rules, on the sample catalog's categories and values and on an imported MUSE-shaped catalog.

use super::*;

fn rules() -> Rules {
    Rules::embedded().unwrap()
}

fn path(p: &[&str]) -> Vec<String> {
    p.iter().map(|s| s.to_string()).collect()
}

#[test]
fn head_nouns_of_the_sample_categories() {
    let r = rules();
    let cases: [(&[&str], &str, &str, &str); 14] = [
        (
            &["Women", "Accessories", "Scarves & Wraps"],
            "a scarf",
            "scarves",
            "the scarf",
        ),
        (
            &["Men", "Shoes", "Fashion Sneakers"],
            "a pair of fashion sneakers",
            "fashion sneakers",
            "the fashion sneakers",
        ),
        (
            &["Men", "Shoes", "Athletic", "Running", "Road Running"],
            "a pair of road running shoes",
            "road running shoes",
            "the road running shoes",
        ),
        (
            &["Self-Help"],
            "a self-help book",
            "self-help books",
            "the self-help book",
        ),
        (
            &["Women", "Clothing", "Dresses", "Casual"],
            "a casual dress",
            "casual dresses",
            "the casual dress",
        ),
        (
            &["Women", "Shoes", "Boots", "Ankle & Bootie"],
            "a pair of ankle boots",
            "ankle boots",
            "the ankle boots",
        ),
        (
            &["Women", "Clothing", "Jeans"],
            "a pair of jeans",
            "jeans",
            "the jeans",
        ),
        (
            &[
                "Computers & Accessories",
                "Computer Accessories & Peripherals",
                "Keyboards, Mice & Accessories",
                "Mice",
            ],
            "a mouse",
            "mice",
            "the mouse",
        ),
        (
            &["Wearable Technology", "Activity & Fitness Trackers"],
            "an activity tracker",
            "activity trackers",
            "the activity tracker",
        ),
        (
            &["Bedding", "Sheets & Pillowcases", "Sheet & Pillowcase Sets"],
            "a sheet set",
            "sheet sets",
            "the sheet set",
        ),
        (
            &[
                "Computers & Accessories",
                "Computer Accessories & Peripherals",
                "Cables & Interconnects",
                "USB Cables",
            ],
            "a USB cable",
            "USB cables",
            "the USB cable",
        ),
        (
            &["Women", "Clothing", "Tops, Tees & Blouses", "T-Shirts"],
            "a T-shirt",
            "T-shirts",
            "the T-shirt",
        ),
        (
            &[
                "Kitchen & Dining",
                "Cutlery & Knife Accessories",
                "Chef's Knives",
            ],
            "a chef's knife",
            "chef's knives",
            "the chef's knife",
        ),
        (
            &[
                "Women",
                "Clothing",
                "Coats, Jackets & Vests",
                "Down & Down Alternative",
            ],
            "a down coat",
            "down coats",
            "the down coat",
        ),
    ];
    for (p, indefinite, plural, definite) in cases {
        let n = r.noun(&path(p));
        assert_eq!(n.indefinite(), indefinite, "{p:?}");
        assert_eq!(n.plural, plural, "{p:?}");
        assert_eq!(n.definite(), definite, "{p:?}");
    }
    assert!(r.noun(&path(&["Men", "Shoes", "Oxfords"])).is_plural());
    assert!(
        !r.noun(&path(&["Women", "Jewelry", "Necklaces", "Pendants"]))
            .is_plural()
    );
}

#[test]
fn articles_follow_the_sound() {
    for (word, a) in [
        ("urban fantasy", "an"),
        ("XL", "an"),
        ("US 9", "a"),
        ("USB cable", "a"),
        ("LED lamp", "an"),
        ("8-hour battery", "an"),
        ("18 inch chain", "an"),
        ("3XL", "a"),
        ("one-piece swimsuit", "a"),
        ("hour", "an"),
        ("ebook reader", "an"),
        ("useful case", "a"),
        ("medium", "a"),
    ] {
        assert_eq!(article(word), a, "{word}");
    }
}

#[test]
fn values_take_their_grammatical_form() {
    let r = rules();
    let v = r.value("color", "Black/White");
    assert_eq!(
        (v.kind, v.word.as_str()),
        (ValueKind::Colour, "black and white")
    );
    let v = r.value("size", "US 9");
    assert_eq!((v.word.as_str(), v.np.as_deref()), ("US 9", Some("a US 9")));
    assert_eq!(r.value("size", "M").np.as_deref(), Some("a medium"));
    assert_eq!(r.value("size", "XL").np.as_deref(), Some("an XL"));
    assert_eq!(r.value("size", "3XL").np.as_deref(), Some("a 3XL"));
    assert_eq!(r.value("size", "6").np.as_deref(), Some("size 6"));
    assert_eq!(
        r.value("size", "34W x 30L").np.as_deref(),
        Some("a 34W x 30L")
    );
    assert_eq!(r.value("size", "Queen").np.as_deref(), Some("queen size"));
    // Read in the quickstart: "they have a Bluetooth 5.2 connectivity".
    assert_eq!(
        r.value("connectivity", "Bluetooth 5.2").np.as_deref(),
        Some("Bluetooth 5.2 connectivity")
    );
    // Read in the quickstart: "you must have california king size".
    assert_eq!(
        r.value("size", "California King").np.as_deref(),
        Some("California king size")
    );
    let v = r.value("brand", "Norra Basics");
    assert_eq!(
        (v.kind, v.word.as_str()),
        (ValueKind::Brand, "Norra Basics")
    );
    let v = r.value("material", "Full-Grain Leather");
    assert_eq!(
        (v.kind, v.word.as_str()),
        (ValueKind::Material, "full-grain leather")
    );
    assert_eq!(
        r.value("genre", "Urban Fantasy").np.as_deref(),
        Some("an urban fantasy")
    );
    // Read in the quickstart: "it's a sword and sorcery".
    assert_eq!(
        r.value("genre", "Sword and Sorcery").np.as_deref(),
        Some("sword and sorcery")
    );
    assert_eq!(
        r.value("closure", "Lace-Up").np.as_deref(),
        Some("a lace-up closure")
    );
    assert_eq!(r.value("fit", "Slim").np.as_deref(), Some("a slim fit"));
    assert_eq!(
        r.value("toe style", "Cap Toe").np.as_deref(),
        Some("a cap toe")
    );
    assert_eq!(
        r.value("closure", "Elastic Laces").np.as_deref(),
        Some("elastic laces")
    );
    assert_eq!(
        r.value("connectivity", "Bluetooth 5.3").word,
        "Bluetooth 5.3"
    );
    assert_eq!(
        r.value("connector type", "USB-C to USB-C").word,
        "USB-C to USB-C"
    );
    assert_eq!(r.value("sleeve length", "Sleeveless").np, None);
    assert_eq!(r.value("style", "Bohemian").np, None);
    assert_eq!(
        r.value("sleeve length", "Long Sleeve").np.as_deref(),
        Some("a long sleeve")
    );
    let v = r.value("heel height", "3 Inch");
    assert_eq!((v.kind, v.word.as_str()), (ValueKind::Measure, "3 inches"));
    assert_eq!(r.value("care", "Machine Wash Cold").kind, ValueKind::Care);
}

#[test]
fn litres_keep_their_capital_and_a_language_is_not_a_noun_phrase() {
    let r = rules();
    // "20 l" reads as "20 1"; the unit keeps its capital, other units their words.
    let v = r.value("capacity", "20 L");
    assert_eq!((v.kind, v.word.as_str()), (ValueKind::Measure, "20 L"));
    assert_eq!(r.value("capacity", "1.5 l").word, "1.5 L");
    assert_eq!(r.value("cable length", "10 ft").word, "10 ft");
    assert_eq!(r.value("power", "20 W").word, "20 W");
    // A language is a name, said "in Spanish": no "a Spanish language".
    let v = r.value("language", "spanish");
    assert_eq!(
        (v.kind, v.word.as_str(), v.np),
        (ValueKind::Language, "Spanish", None)
    );
}

#[test]
fn features_are_noun_phrases_or_clauses() {
    let r = rules();
    let f = r.feature("Padded collar and tongue");
    assert_eq!(f.noun_phrase(), Some("a padded collar and tongue"));
    assert_eq!(f.relative(), "with a padded collar and tongue");
    assert_eq!(f.clause(true), "they have a padded collar and tongue");
    let f = r.feature("Includes a protective case and cleaning cloth");
    assert_eq!(f.noun_phrase(), None);
    assert_eq!(
        f.clause(false),
        "it includes a protective case and cleaning cloth"
    );
    assert_eq!(
        f.clause(true),
        "they include a protective case and cleaning cloth"
    );
    assert_eq!(
        f.relative(),
        "that includes a protective case and cleaning cloth"
    );
    // Read in the quickstart: "it has a tested for harmful substances".
    let f = r.feature("Tested for harmful substances");
    assert_eq!(f.noun_phrase(), None);
    assert_eq!(f.clause(false), "it is tested for harmful substances");
    assert_eq!(f.relative(), "that is tested for harmful substances");
    assert_eq!(
        r.feature("Drawn from hundreds of interviews").clause(true),
        "they are drawn from hundreds of interviews"
    );
    // Read over 20,000 dialogues: "a fine-gauge knit layers under a jacket" in a noun slot.
    let f = r.feature("Fine-gauge knit layers under a jacket");
    assert_eq!(f.noun_phrase(), None);
    assert_eq!(f.relative(), "whose fine-gauge knit layers under a jacket");
    // "layers" before "of" is the plural noun.
    assert_eq!(
        r.feature("Three layers of insulation").noun_phrase(),
        Some("three layers of insulation")
    );
    // Read in the quickstart: "it has a soft enough for movie nights on the couch".
    let f = r.feature("Soft enough for movie nights on the couch");
    assert_eq!(f.noun_phrase(), None);
    assert_eq!(
        f.clause(true),
        "they are soft enough for movie nights on the couch"
    );
    // Read in the quickstart: "you need a side-seam pockets deep enough for a phone".
    assert_eq!(
        r.feature("Side-seam pockets deep enough for a phone")
            .noun_phrase(),
        Some("side-seam pockets deep enough for a phone")
    );
    assert_eq!(
        r.feature("Pocket deep enough for a phone").noun_phrase(),
        Some("a pocket deep enough for a phone")
    );
    // A participle before its noun is no predicate: "a cushioned footbed".
    assert_eq!(
        r.feature("Cushioned footbed for all-day wear")
            .noun_phrase(),
        Some("a cushioned footbed for all-day wear")
    );
    // Read in the quickstart: "they hold its shape".
    let f = r.feature("Holds its shape wash after wash");
    assert_eq!(f.clause(false), "it holds its shape wash after wash");
    assert_eq!(f.clause(true), "they hold their shape wash after wash");
    // Read in the quickstart: "one with a stacks easily with other bracelets" until "stacks" was a verb.
    let f = r.feature("Stacks easily with other bracelets");
    assert_eq!(f.noun_phrase(), None);
    assert_eq!(f.relative(), "that stacks easily with other bracelets");
    let f = r.feature("Responsive foam midsole returns energy with every stride");
    assert_eq!(
        f.clause(false),
        "its responsive foam midsole returns energy with every stride"
    );
    assert_eq!(
        f.relative(),
        "whose responsive foam midsole returns energy with every stride"
    );
    // A plural subject's verb ("spring hinges flex"), not a noun phrase ("a spring hinges flex for …").
    assert_eq!(
        r.feature("Spring hinges flex for a comfortable fit")
            .clause(false),
        "its spring hinges flex for a comfortable fit"
    );
    // Read in a fresh run: "a water-friendly materials dry quickly is a must" until "dry" was a verb.
    let f = r.feature("Water-friendly materials dry quickly");
    assert_eq!(f.noun_phrase(), None);
    assert_eq!(f.relative(), "whose water-friendly materials dry quickly");
    // Read in a 20,000 run: "a deep multi-directional lugs grip loose terrain is a must". A base-form verb that is
    // a noun too is a verb after a plural only: "a textured rubber grip" stays a noun phrase.
    let f = r.feature("Deep multi-directional lugs grip loose terrain");
    assert_eq!(f.noun_phrase(), None);
    assert_eq!(
        f.relative(),
        "whose deep multi-directional lugs grip loose terrain"
    );
    assert_eq!(
        r.feature("Air-cushioned corners absorb impact")
            .clause(false),
        "its air-cushioned corners absorb impact"
    );
    assert_eq!(
        r.feature("Textured rubber grip").noun_phrase(),
        Some("textured rubber grip")
    );
    // Units and acronyms keep their capitals.
    assert_eq!(
        r.value("connectivity", "Bluetooth + 2.4 GHz").word,
        "Bluetooth + 2.4 GHz"
    );
    assert_eq!(
        r.feature("Arch-support insole is removable").clause(false),
        "its arch-support insole is removable"
    );
    assert_eq!(
        r.feature("Flexible grooves in the outsole for natural movement")
            .noun_phrase(),
        Some("flexible grooves in the outsole for natural movement")
    );
    assert_eq!(
        r.feature("Lightweight construction for all-day comfort")
            .noun_phrase(),
        Some("lightweight construction for all-day comfort")
    );
    assert_eq!(
        r.feature("Machine washable").clause(false),
        "it is machine washable"
    );
    assert_eq!(
        r.feature("USB-C fast charging").noun_phrase(),
        Some("USB-C fast charging")
    );
    assert_eq!(
        r.feature("Built-in microphone").noun_phrase(),
        Some("a built-in microphone")
    );
}

/// Every category of the sample catalog gets a noun that is not the bare category name when that name is not a
/// noun ("road running", "casual", "self-help"), and the lexicon survives its round trip through JSON.
#[test]
fn the_sample_catalog_lexicon() {
    let vocab = crate::catalog::sample::load_vocabulary(None).unwrap();
    let mut b = LexiconBuilder::new().unwrap();
    crate::catalog::sample::generate(&vocab, 7, 3000, 1, |item| {
        b.add(&item);
        Ok(())
    })
    .unwrap();
    let lex = b.finish();
    assert!(lex.nouns.len() > 50, "{}", lex.nouns.len());
    for noun in lex.nouns.values() {
        assert!(
            ![
                "road running",
                "casual",
                "self-help",
                "travel",
                "history",
                "ankle"
            ]
            .contains(&noun.singular.as_str()),
            "{noun:?}"
        );
        assert!(!noun.singular.contains('&'), "{noun:?}");
    }
    assert!(!lex.features.is_empty() && !lex.values.is_empty());
    assert_eq!(Lexicon::from_json(&lex.to_json().unwrap()).unwrap(), lex);
}

/// The category names of MUSE's `category2items.json` (the real file when `MUSEGEN_FIXTURES` or
/// `../shared/fixtures/muse/` has it, else the project's MUSE-shaped copy), imported as leaves: each gets a head
/// noun with no conjunction in it and a plural that differs from its singular unless the noun is plural-only or
/// mass.
#[test]
fn imported_muse_categories_get_nouns() {
    let dir = std::env::var("MUSEGEN_FIXTURES")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::path::PathBuf::from("../shared/fixtures"));
    let real = dir.join("muse/category2items.json");
    let path = if real.is_file() {
        real
    } else {
        std::path::PathBuf::from("tests/fixtures/muse/category2items.json")
    };
    let text = std::fs::read_to_string(&path).unwrap();
    let map: BTreeMap<String, serde_json::Value> = serde_json::from_str(&text).unwrap();
    let r = rules();
    let mut b = LexiconBuilder::new().unwrap();
    for (i, name) in map.keys().enumerate() {
        let item: Item = serde_json::from_value(serde_json::json!({
            "id": format!("m{i}"),
            "title": name,
            "categories": ["Clothing, Shoes & Jewelry", name],
            "features": ["Includes a gift box", "Soft brushed lining"],
            "details": {"Color": "Navy", "Size": "XL"},
        }))
        .unwrap();
        b.add(&item);
        let n = r.noun(&item.categories);
        assert!(
            !n.singular.contains('&') && !n.singular.contains(','),
            "{name}: {n:?}"
        );
        if n.count == Count::Countable {
            assert_ne!(n.singular, n.plural, "{name}: {n:?}");
        }
    }
    let lex = b.finish();
    assert_eq!(lex.nouns.len(), map.len());
    assert_eq!(Lexicon::from_json(&lex.to_json().unwrap()).unwrap(), lex);
}

/// A style value that names a thing is a noun with a noun phrase, never an adjective ("something stud", "too
/// hoop"); one that describes ("Bohemian", "Zip-Around") stays an adjective with no noun phrase.
#[test]
fn style_values_that_name_things_are_nouns() {
    let r = rules();
    for (label, value, np) in [
        ("style", "Ear Cuff", "an ear cuff style"),
        ("style", "Stud", "a stud style"),
        ("style", "Huggie", "a huggie style"),
        ("style", "Money Clip", "a money clip style"),
        ("style", "Cami & Shorts", "a cami & shorts style"),
        ("style", "Henley & Joggers", "a henley & joggers style"),
        ("style", "Scoop Neck", "a scoop neck style"),
        ("style", "Slingback", "a slingback style"),
        ("strap type", "Wide Guitar Strap", "a wide guitar strap"),
        ("leg style", "Mom", "a mom leg style"),
    ] {
        let v = r.value(label, value);
        assert!(v.noun && !v.is_adjective(), "{value}: {v:?}");
        assert_eq!(v.np.as_deref(), Some(np), "{value}");
    }
    for (label, value) in [
        ("style", "Bohemian"),
        ("style", "Zip-Around"),
        ("leg style", "Bootcut"),
    ] {
        let v = r.value(label, value);
        assert!(v.is_adjective() && v.np.is_none(), "{value}: {v:?}");
    }
    assert!(r.value("color", "Black").is_adjective());
    assert!(!r.value("genre", "Urban Fantasy").is_adjective());
}

/// Over the sample catalog, no value of a style-like attribute that ends in a word naming a thing is left an
/// adjective: each such value has a noun phrase to be said with.
#[test]
fn the_sample_catalogs_noun_styles_have_noun_phrases() {
    let vocab = crate::catalog::sample::load_vocabulary(None).unwrap();
    let mut b = LexiconBuilder::new().unwrap();
    crate::catalog::sample::generate(&vocab, 7, 4000, 1, |item| {
        b.add(&item);
        Ok(())
    })
    .unwrap();
    let lex = b.finish();
    let mut nouns = 0;
    for values in lex.values.values() {
        for (value, form) in values {
            if form.noun {
                nouns += 1;
                assert!(form.np.is_some(), "{value}: {form:?}");
            }
        }
    }
    for (label, value) in [
        ("style", "ear cuff"),
        ("style", "stud"),
        ("style", "money clip"),
        ("style", "cami & shorts"),
        ("style", "slide"),
    ] {
        let form = lex.value(label, value).unwrap();
        assert!(!form.is_adjective(), "{value}: {form:?}");
    }
    assert!(nouns >= 20, "{nouns}");
}

/// A feature that lists noun phrases, a later one with its own article, takes no article before the list.
#[test]
fn a_list_of_features_takes_no_article_of_its_own() {
    let r = rules();
    assert_eq!(
        r.feature("Political intrigue, found family and a slow-burn romance")
            .noun_phrase(),
        Some("political intrigue, found family and a slow-burn romance")
    );
    // A list of adjectives before one noun keeps its article.
    assert_eq!(
        r.feature("Padded, breathable back panel").noun_phrase(),
        Some("a padded, breathable back panel")
    );
    assert_eq!(
        r.feature("Soft, non-itchy hand feel").noun_phrase(),
        Some("a soft, non-itchy hand feel")
    );
}

/// A book format keeps its brand's capital ("Kindle edition", never "kindle edition").
#[test]
fn a_kindle_edition_keeps_its_capital() {
    let r = rules();
    assert_eq!(r.value("format", "Kindle Edition").word, "Kindle edition");
    assert_eq!(
        r.value("format", "Kindle Edition").np.as_deref(),
        Some("a Kindle edition format")
    );
}

/// A size given as a length ("7.5 Inch" of a bracelet) is said "a 7.5-inch size", never "size 7.5 inch".
#[test]
fn a_size_given_as_a_length_reads_as_one() {
    let r = rules();
    let v = r.value("size", "7.5 Inch");
    assert_eq!(v.np.as_deref(), Some("a 7.5-inch size"));
    assert_eq!(v.word, "7.5 inches");
    assert!(v.of_item);
    assert_eq!(
        r.value("size", "8 Inch").np.as_deref(),
        Some("an 8-inch size")
    );
    assert_eq!(r.value("size", "6").np.as_deref(), Some("size 6"));
}
