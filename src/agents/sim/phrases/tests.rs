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
