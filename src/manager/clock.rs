//! The time a dialogue turn spent waiting on language models: every request answered for a conversation (fresh,
//! or from the cache with the latency recorded when it was first answered) adds its latency to the clock of the
//! turn being made, so a turn records the real time its requests took — decisions and phrasing alike — and a
//! replay records the same.

use std::future::Future;
use std::sync::{Arc, Mutex};

use crate::llm::ChatResponse;

/// Request time spent since the clock was last read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Spent {
    /// The requests' latencies, added up, in milliseconds.
    pub latency_ms: u64,
    /// From the first request's start to the first streamed token of the last streamed answer, in milliseconds
    /// (the time until the turn's text began to arrive), when an answer was streamed.
    pub first_token_ms: Option<u64>,
}

/// The clock of one conversation's turns; clones share it.
#[derive(Debug, Clone, Default)]
pub struct TurnClock(Arc<Mutex<Option<Spent>>>);

tokio::task_local! {
    static CLOCK: TurnClock;
}

impl TurnClock {
    /// Run `call` with this clock counting the requests the manager answers for it.
    pub async fn time<F: Future>(&self, call: F) -> F::Output {
        CLOCK.scope(self.clone(), call).await
    }

    /// The time spent since the last read (none when no request was answered), and start again.
    pub fn take(&self) -> Option<Spent> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    fn add(&self, response: &ChatResponse) {
        let mut spent = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let s = spent.get_or_insert_with(Spent::default);
        if let Some(first) = response.first_token_ms {
            s.first_token_ms = Some(s.latency_ms + first);
        }
        s.latency_ms += response.latency_ms.unwrap_or(0);
    }
}

/// Count `response` on the clock of the turn being made, if the call runs under one.
pub(crate) fn record(response: &ChatResponse) {
    let _ = CLOCK.try_with(|clock| clock.add(response));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(latency: u64, first: Option<u64>) -> ChatResponse {
        ChatResponse {
            content: "x".into(),
            finish_reason: None,
            usage: None,
            latency_ms: Some(latency),
            first_token_ms: first,
        }
    }

    #[tokio::test]
    async fn a_turn_adds_up_its_requests_and_outside_a_clock_nothing_counts() {
        let clock = TurnClock::default();
        record(&answer(5, None));
        assert_eq!(clock.take(), None);
        clock
            .time(async {
                record(&answer(100, None));
                record(&answer(40, Some(15)));
            })
            .await;
        let spent = clock.take().unwrap();
        assert_eq!(spent.latency_ms, 140);
        assert_eq!(spent.first_token_ms, Some(115));
        assert_eq!(clock.take(), None);
    }
}
