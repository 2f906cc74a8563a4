//! The offline recommender's wording over a few hundred generated dialogues: no phrase (four words outside item
//! names and values, as the review masks them) said twice by the recommender within one dialogue, and the opening
//! question about the purchase answered by the shopper's next turn.

use std::collections::{HashMap, HashSet};

use musegen::catalog::MemoryCatalog;
use musegen::catalog::labels::attribute_labels;
use musegen::model::{Action, Conversation, Profile, Role};
use musegen::review::realism::text::{MASK, NUMBER, mask_phrases, masked_tokens};

use crate::util::{jsonl, ok};

#[test]
fn the_recommender_repeats_no_phrase_of_its_own_within_a_dialogue() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["catalog", "sample", "--items", "1500"]);
    ok(d, &["profiles", "--count", "300"]);
    ok(d, &["generate", "--sessions", "300"]);
    let index = musegen::catalog::Index::open(&d.join("catalog.db")).unwrap();
    let cat = MemoryCatalog::load(&index, &attribute_labels(None).unwrap()).unwrap();
    let profiles: HashMap<String, Profile> = jsonl(&d.join("profiles.jsonl"))
        .into_iter()
        .map(|p| serde_json::from_value::<Profile>(p).unwrap())
        .map(|p| (p.id.clone(), p))
        .collect();
    let conversations: Vec<Conversation> = jsonl(&d.join("conversations.jsonl"))
        .into_iter()
        .map(|c| serde_json::from_value(c).unwrap())
        .collect();
    assert_eq!(conversations.len(), 300);
    let mut repeats = Vec::new();
    let mut opening_questions = 0;
    for c in &conversations {
        let phrases = mask_phrases(c, profiles.get(&c.profile_id), Some(&cat));
        let mut seen: HashSet<String> = HashSet::new();
        for t in c.turns.iter().filter(|t| t.role == Role::System) {
            let tokens = masked_tokens(&t.text, &phrases);
            let mut mine: HashSet<String> = HashSet::new();
            for gram in tokens.windows(4) {
                if gram.iter().any(|x| x == MASK || x == NUMBER) {
                    continue;
                }
                let joined = gram.join(" ");
                if mine.insert(joined.clone()) && seen.contains(&joined) {
                    repeats.push(format!("{}: {joined} ({})", c.id, t.text));
                }
            }
            seen.extend(mine);
        }
        // Small talk that asks about the purchase before any item is answered with its context.
        for w in c.turns.windows(2) {
            if w[0].role == Role::System
                && w[0].action == Action::ChitChat
                && w[0].text.contains('?')
            {
                opening_questions += 1;
                assert!(
                    w[1].action == Action::Inform,
                    "{}: {:?} answered by {:?}",
                    c.id,
                    w[0].text,
                    w[1].text
                );
            }
        }
    }
    assert!(
        repeats.is_empty(),
        "{} repeats: {:#?}",
        repeats.len(),
        &repeats[..repeats.len().min(10)]
    );
    assert!(opening_questions > 20, "{opening_questions}");
}
