//! Realism measures on hand-built dialogues with known answers.
