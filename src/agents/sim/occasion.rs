//! Which frames a shopper's occasion may be said in (`[occasion_frames]` in `prompts/sim/user.toml`): "I'd use it
//! for the daily commute" and "I'm getting ready for a friend's wedding" fit some purchase reasons' occasions, not a
//! celebration's cause ("a first paycheck") or a trend ("a nineties revival"), which take only "It's for …".

use serde::Deserialize;

/// `[occasion_frames]`: the purchase reasons whose occasions take the frames of use and of getting ready.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct OccasionFramesTable {
    #[serde(default)]
    used: Vec<String>,
    #[serde(default)]
    ready: Vec<String>,
}

/// The frames a shopper's occasion may be said in, by its purchase reason (`[occasion_frames]` in `user.toml`);
/// every occasion takes the plain ones ("It's for a first paycheck").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OccasionFrames {
    /// The item is used at or for it ("I'd use it for the daily commute").
    pub used: bool,
    /// It is a date the shopper gets ready for ("I'm getting ready for a friend's wedding"): it may be named in the
    /// first turn, where the recommender hears it, and in small talk.
    pub ready: bool,
}

impl OccasionFramesTable {
    /// The frames of the occasions of purchase reason `reason`: none but the plain ones for a reason not listed.
    pub(super) fn of(&self, reason: Option<&str>) -> OccasionFrames {
        let listed = |ids: &[String]| reason.is_some_and(|r| ids.iter().any(|id| id == r));
        OccasionFrames {
            used: listed(&self.used),
            ready: listed(&self.ready),
        }
    }
}
