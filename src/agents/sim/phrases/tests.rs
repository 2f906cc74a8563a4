//! The phrase bank: embedded banks load, and language mixes speak as configured.

use super::*;

#[test]
fn embedded_banks_load_and_render_every_act() {
    let bank = PhraseBank::load(None, &[]).unwrap();
    let mut rng = Rng::from_u64(1);
    for key in REASON_KEYS {
        assert!(
            !bank
                .reason(
                    key,
                    ReasonKind::New,
                    Shopper::default(),
                    Wording::word("navy"),
                    Wording::word("black"),
                    &mut rng
                )
                .unwrap()
                .is_empty()
        );
    }
    for _ in 0..20 {
        let vague = bank.vague_reason(&mut rng).unwrap();
        assert!(!vague.is_empty() && !vague.contains("navy"), "{vague}");
    }
}

fn persona(mix: &str, formality: Formality) -> Persona {
    Persona {
        name: "Priya Sharma".into(),
        gender: crate::model::Gender::Female,
        age: 29,
        profession: None,
        location: None,
        income_band: None,
        style: Some("minimalist".into()),
        language_mix: mix.into(),
        formality,
        verbosity: Verbosity::Normal,
    }
}

/// The mixed lines of 200 turns of every act (`None` for an English turn), and a draw after them.
fn turns(bank: &PhraseBank, persona: &Persona, rate: f64) -> (Vec<Option<String>>, usize) {
    let ctx = UserContext {
        need: "a new dress".into(),
        occasion: "a wedding".into(),
        category: "dresses".into(),
        budget: "$80".into(),
        requirement: "in red".into(),
        reasons: "I'd prefer red over blue".into(),
        item: "the dress".into(),
        liked: "it's red".into(),
        ..Default::default()
    };
    let mut rng = Rng::from_u64(3);
    let lines = (0..200)
        .flat_map(|_| UserAct::ALL)
        .map(|act| {
            bank.mixed_group(act, persona, rate, &mut rng)
                .map(|group| bank.mixed_line(&group, &ctx, &mut rng).unwrap().1)
        })
        .collect();
    (lines, rng.below(1_000_000))
}

#[test]
fn a_mix_that_is_off_speaks_plain_english_and_one_that_is_on_speaks_its_own_lines() {
    let on = vec!["en-hi".to_string()];
    let bank = PhraseBank::load(None, &on).unwrap();
    let english = turns(&bank, &persona("en", Formality::Casual), 1.0);
    assert!(english.0.iter().all(Option::is_none));
    // Spanglish is off here: no turn mixed and no draw made, as for a plain-English speaker.
    assert_eq!(
        turns(&bank, &persona("en-es", Formality::Casual), 1.0),
        english
    );
    // Hinglish at rate 1: every turn is one of the mixed lines.
    let (mixed, _) = turns(&bank, &persona("en-hi", Formality::Casual), 1.0);
    assert!(mixed.iter().all(Option::is_some));
    assert!(
        mixed
            .iter()
            .flatten()
            .filter(|t| t.contains("hai") || t.contains("yaar"))
            .count()
            > 500
    );
    // At rate 0 nobody mixes.
    assert_eq!(
        turns(&bank, &persona("en-hi", Formality::Casual), 0.0),
        english
    );
    // A mix named in the config needs lines.
    let err = PhraseBank::load(None, &["en-xx".to_string()])
        .err()
        .unwrap();
    assert!(err.to_string().contains("en-xx"), "{err}");
}

/// Every line a casual shopper of `age` can say with one of `parts`, composed with a fixed fill from fresh memories.
fn casual_lines(
    bank: &PhraseBank,
    age: u32,
    parts: &[crate::agents::sim::compose::user::UserPart],
) -> std::collections::BTreeSet<String> {
    use crate::agents::sim::compose::{Fill, Var};
    let mut fill = Fill::default();
    for (var, text) in [
        (Var::Need, "a new dress"),
        (Var::Occasion, "a wedding"),
        (Var::Category, "dresses"),
        (Var::Budget, "$40"),
        (Var::Requirement, "in red"),
        (Var::Reasons, "I'd prefer red"),
        (Var::Item, "the dress"),
        (Var::Is, "is"),
        (Var::Liked, "it's red"),
        (Var::Reason, "a gift"),
        (Var::Recipient, "my sister"),
        (Var::City, "Leeds"),
        (Var::Style, "classic"),
    ] {
        fill.set(var, text);
    }
    let user = bank.user_parts(Formality::Casual, age);
    let mut rng = Rng::from_u64(5);
    let mut lines = std::collections::BTreeSet::new();
    for &part in parts {
        for _ in 0..400 {
            let mut memory = crate::agents::sim::variety::Memory::default();
            lines.insert(user.compose(&[part], &fill, &mut memory, &mut rng).unwrap());
        }
    }
    lines
}

/// Casual shoppers past the ages of "gonna" and "ngl" never say them (the young do), and a child talks of money as
/// what a parent allows, never in a grown-up's words ("My wallet says $40").
#[test]
fn casual_lines_suit_the_shoppers_age() {
    use crate::agents::sim::compose::Parts;
    use crate::agents::sim::compose::user::UserPart;
    let bank = PhraseBank::load(None, &[]).unwrap();
    let young = casual_lines(&bank, 20, UserPart::ALL);
    let older = casual_lines(&bank, 65, UserPart::ALL);
    let says = |lines: &std::collections::BTreeSet<String>, word: &str| {
        lines.iter().any(|l| super::super::ages::holds(l, word))
    };
    for word in ["gonna", "wanna", "bye bye", "ngl", "tbh", "yo", "kinda"] {
        assert!(says(&young, word), "a 20-year-old may say {word}");
        assert!(!says(&older, word), "a 65-year-old never says {word}");
    }
    assert!(says(&casual_lines(&bank, 40, UserPart::ALL), "gonna"));
    assert!(!says(&casual_lines(&bank, 40, UserPart::ALL), "ngl"));
    let money = [
        UserPart::BudgetCore,
        UserPart::BudgetTail,
        UserPart::NoPreferenceBudget,
        UserPart::AbandonBudget,
    ];
    let child = casual_lines(&bank, 8, &money);
    let adult = casual_lines(&bank, 30, &money);
    assert!(
        child.is_disjoint(&adult),
        "{:?}",
        child.intersection(&adult).collect::<Vec<_>>()
    );
    assert!(child.contains("My parents said up to $40."));
    assert!(!says(&child, "my wallet"));
    assert!(bank.is_child(8) && !bank.is_child(12));
    // A child turning an item down for its price speaks of what it is allowed, never of "my budget".
    let mut rng = Rng::from_u64(4);
    for child in [true, false] {
        let clauses: Vec<String> = (0..60)
            .map(|_| {
                let (wanted, got) = (Wording::word("$40"), Wording::word("$60"));
                bank.reason(
                    "price_high",
                    ReasonKind::New,
                    Shopper { child, gift: false },
                    wanted,
                    got,
                    &mut rng,
                )
                .unwrap()
            })
            .collect();
        let grown_up = clauses
            .iter()
            .filter(|c| c.contains("budget") || c.contains("I'd rather not spend"))
            .count();
        assert_eq!(grown_up == 0, child, "{clauses:?}");
    }
}

#[test]
fn a_gift_buyer_says_nothing_of_its_own_taste_or_size() {
    // Read in the quickstart: "red isn't a colour I go for much; heather gray is more me" about a dress for a wife.
    let bank = PhraseBank::load(None, &[]).unwrap();
    let mut rng = Rng::from_u64(7);
    let own = |text: &str| bank.gift_unsaid.iter().any(|w| holds(text, w));
    let (mut mine, mut gifts) = (0, 0);
    for key in ["color", "material", "size", "style", "fit"] {
        for kind in [ReasonKind::New, ReasonKind::Said, ReasonKind::Dislike] {
            for _ in 0..60 {
                let say = |gift: bool, rng: &mut Rng| {
                    let who = Shopper { child: false, gift };
                    bank.reason(
                        key,
                        kind,
                        who,
                        Wording::word("navy"),
                        Wording::word("black"),
                        rng,
                    )
                    .unwrap()
                };
                let text = say(true, &mut rng);
                assert!(!own(&text), "a gift buyer's {key} reason: {text}");
                gifts += 1;
                mine += usize::from(own(&say(false, &mut rng)));
            }
        }
    }
    // The same draws for oneself do speak of oneself: the filter is what keeps gifts apart.
    assert!(gifts == 900 && mine > 50, "{mine} of {gifts}");
}
