//! The faults the fake server injects (server errors, resets, hangs, malformed or empty or cut answers, broken
//! streams) and the draw that picks one for a request.

use crate::rng::Rng;

/// Share of requests that get each fault.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// HTTP 500.
    pub server_error: f64,
    /// HTTP 503.
    pub unavailable: f64,
    /// Connection closed without an answer.
    pub reset: f64,
    /// No answer for a long time (the client's timeout fires).
    pub hang: f64,
    /// A 200 whose body is not JSON.
    pub malformed: f64,
    /// A 200 with empty content.
    pub empty: f64,
    /// A 200 cut at max_tokens.
    pub length: f64,
    /// A streamed answer that breaks off with an error event (OpenAI's `data: {"error": …}`, Anthropic's
    /// `event: error`); unstreamed requests get their answer.
    pub stream_error: f64,
}

impl Faults {
    /// The same rate for every fault kind, `total` in all.
    pub fn spread(total: f64) -> Self {
        let each = total / 7.0;
        Faults {
            server_error: each,
            unavailable: each,
            reset: each,
            hang: each,
            malformed: each,
            empty: each,
            length: each,
            stream_error: 0.0,
        }
    }

    /// The fault a request gets, if any, drawn by the configured shares.
    pub(super) fn draw(&self, rng: &mut Rng) -> Option<&'static str> {
        let x = rng.unit();
        let mut acc = 0.0;
        for (rate, name) in [
            (self.server_error, "server_error"),
            (self.unavailable, "unavailable"),
            (self.reset, "reset"),
            (self.hang, "hang"),
            (self.malformed, "malformed"),
            (self.empty, "empty"),
            (self.length, "length"),
            (self.stream_error, "stream_error"),
        ] {
            acc += rate;
            if x < acc {
                return Some(name);
            }
        }
        None
    }
}
