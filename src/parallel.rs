//! Parallel maps: for offline generation, records made on several threads and handed on in index order, so output
//! never depends on the thread count; for stages that wait on a language model, a continuous pool of worker threads
//! ([`continuous`]) that starts the next job the moment one ends.

use crate::Result;

/// Compute `make(i)` for every `i` in `0..count` on `threads` threads, and pass the results to `sink` in index order.
/// Memory stays flat: at most `chunk` results are held at once.
pub fn map_ordered<T: Send>(
    count: usize,
    threads: usize,
    chunk: usize,
    make: impl Fn(usize) -> T + Sync,
    sink: impl FnMut(T) -> Result<()>,
) -> Result<()> {
    map_ordered_with(count, threads, chunk, || (), |_, i| make(i), sink)
}

/// Like [`map_ordered`], with per-worker state made by `init` (a database connection, a scratch buffer).
pub fn map_ordered_with<S, T: Send>(
    count: usize,
    threads: usize,
    chunk: usize,
    init: impl Fn() -> S + Sync,
    make: impl Fn(&mut S, usize) -> T + Sync,
    mut sink: impl FnMut(T) -> Result<()>,
) -> Result<()> {
    let threads = threads.max(1);
    let chunk = chunk.max(threads);
    let mut start = 0;
    while start < count {
        let end = (start + chunk).min(count);
        let results = run_chunk(start, end, threads, &init, &make);
        for r in results {
            sink(r)?;
        }
        start = end;
    }
    Ok(())
}

fn run_chunk<S, T: Send>(
    start: usize,
    end: usize,
    threads: usize,
    init: &(impl Fn() -> S + Sync),
    make: &(impl Fn(&mut S, usize) -> T + Sync),
) -> Vec<T> {
    if threads == 1 || end - start < 2 {
        let mut state = init();
        return (start..end).map(|i| make(&mut state, i)).collect();
    }
    let per = (end - start).div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let lo = (start + t * per).min(end);
                let hi = (lo + per).min(end);
                scope.spawn(move || {
                    let mut state = init();
                    (lo..hi).map(|i| make(&mut state, i)).collect::<Vec<T>>()
                })
            })
            .collect();
        let mut out = Vec::with_capacity(end - start);
        for h in handles {
            // A worker only panics on a bug; surface it rather than lose records silently.
            match h.join() {
                Ok(part) => out.extend(part),
                Err(payload) => std::panic::resume_unwind(payload),
            }
        }
        out
    })
}

/// Apply `f` to every job on `threads` threads (contiguous shares, one per thread, each with state from `init`)
/// and return the results in job order.
pub fn map_jobs<S, J: Send, T: Send>(
    jobs: Vec<J>,
    threads: usize,
    init: impl Fn() -> S + Sync,
    f: impl Fn(&mut S, J) -> T + Sync,
) -> Vec<T> {
    let threads = threads.max(1).min(jobs.len().max(1));
    if threads == 1 {
        let mut state = init();
        return jobs.into_iter().map(|j| f(&mut state, j)).collect();
    }
    let per = jobs.len().div_ceil(threads);
    let mut parts: Vec<Vec<J>> = Vec::with_capacity(threads);
    let mut rest = jobs;
    while !rest.is_empty() {
        let tail = rest.split_off(per.min(rest.len()));
        parts.push(rest);
        rest = tail;
    }
    let (init, f) = (&init, &f);
    std::thread::scope(|scope| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|part| {
                scope.spawn(move || {
                    let mut state = init();
                    part.into_iter()
                        .map(|j| f(&mut state, j))
                        .collect::<Vec<T>>()
                })
            })
            .collect();
        let mut out = Vec::new();
        for h in handles {
            match h.join() {
                Ok(part) => out.extend(part),
                Err(payload) => std::panic::resume_unwind(payload),
            }
        }
        out
    })
}

/// How a [`continuous`] pool hands its results on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// As they complete (the output is resumable from the set of ids written, whatever their order).
    Completion,
    /// In the order the jobs were taken, through a reorder buffer of at most `window` results: a job is not taken
    /// while the earliest unwritten one is `window` jobs behind, so memory stays bounded.
    Taken {
        /// Most jobs taken but not yet handed on.
        window: usize,
    },
}

/// What the sink of a [`continuous`] pool wants next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Go on.
    Go,
    /// Start no new job; the jobs under way finish and are handed on.
    Stop,
}

/// Most worker threads a pool ever runs, whatever `workers` asks.
pub const MAX_WORKERS: usize = 2048;

/// A continuous pool for jobs that mostly wait (on the network): a job starts the moment a worker is free, never in
/// batches that wait for their slowest member. The number of workers follows `workers()`, asked before every job:
/// more are started when it rises, and a worker leaves after its job when there are too many. Each worker makes its
/// state with `init` and plays its jobs one at a time with `work`; `sink` runs on the calling thread and gets the
/// results in `order`. `jobs` is read lazily under a lock (one job at a time); an error from it stops the pool
/// (the jobs under way finish) and is returned. An error from `sink` stops the pool too; results after it are
/// dropped.
pub fn continuous<J: Send, T: Send, S>(
    jobs: impl Iterator<Item = Result<J>> + Send,
    workers: impl Fn() -> usize + Sync,
    order: Order,
    init: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, J) -> T + Sync,
    mut sink: impl FnMut(T) -> Result<Flow>,
) -> Result<()> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::mpsc::{RecvTimeoutError, sync_channel};
    use std::sync::{Condvar, Mutex};

    struct Source<I> {
        jobs: I,
        taken: usize,
        written: usize,
        error: Option<crate::Error>,
    }
    /// Counts a worker out when it ends, by a return or a panic (which stops the pool).
    struct Live<'a> {
        live: &'a AtomicUsize,
        stop: &'a AtomicBool,
        counted: bool,
    }
    impl Drop for Live<'_> {
        fn drop(&mut self) {
            if std::thread::panicking() {
                self.stop.store(true, Ordering::SeqCst);
            }
            if self.counted {
                self.live.fetch_sub(1, Ordering::SeqCst);
            }
        }
    }

    let window = match order {
        Order::Completion => usize::MAX,
        Order::Taken { window } => window.max(1),
    };
    let source = Mutex::new(Source {
        jobs,
        taken: 0,
        written: 0,
        error: None,
    });
    let room = Condvar::new();
    let live = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let exhausted = AtomicBool::new(false);
    let wanted = || workers().clamp(1, MAX_WORKERS);
    let (tx, rx) = sync_channel::<(usize, T)>(256);
    fn lock<X>(m: &Mutex<X>) -> std::sync::MutexGuard<'_, X> {
        m.lock().unwrap_or_else(|p| p.into_inner())
    }

    let worker = |tx: std::sync::mpsc::SyncSender<(usize, T)>| {
        let mut me = Live {
            live: &live,
            stop: &stop,
            counted: true,
        };
        let mut state = init();
        loop {
            let n = live.load(Ordering::SeqCst);
            if n > wanted()
                && live
                    .compare_exchange(n, n - 1, Ordering::SeqCst, Ordering::SeqCst)
                    .is_ok()
            {
                me.counted = false;
                return;
            }
            let job = {
                let mut src = lock(&source);
                while !stop.load(Ordering::SeqCst)
                    && src.taken >= src.written.saturating_add(window)
                {
                    src = room.wait(src).unwrap_or_else(|p| p.into_inner());
                }
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                match src.jobs.next() {
                    None => {
                        exhausted.store(true, Ordering::SeqCst);
                        return;
                    }
                    Some(Err(e)) => {
                        src.error.get_or_insert(e);
                        stop.store(true, Ordering::SeqCst);
                        room.notify_all();
                        return;
                    }
                    Some(Ok(job)) => {
                        src.taken += 1;
                        (src.taken - 1, job)
                    }
                }
            };
            let (seq, job) = job;
            let out = work(&mut state, job);
            if tx.send((seq, out)).is_err() {
                return;
            }
        }
    };

    let mut failed: Option<crate::Error> = None;
    let mut pending: std::collections::BTreeMap<usize, T> = std::collections::BTreeMap::new();
    let mut next = 0usize;
    std::thread::scope(|scope| {
        let mut deliver = |seq: usize, out: T, failed: &mut Option<crate::Error>| {
            let mut hand_on = |out: T, failed: &mut Option<crate::Error>| {
                if failed.is_some() {
                    return;
                }
                match sink(out) {
                    Ok(Flow::Go) => {}
                    Ok(Flow::Stop) => stop.store(true, Ordering::SeqCst),
                    Err(e) => {
                        *failed = Some(e);
                        stop.store(true, Ordering::SeqCst);
                    }
                }
            };
            match order {
                Order::Completion => hand_on(out, failed),
                Order::Taken { .. } => {
                    pending.insert(seq, out);
                    let before = next;
                    while let Some(out) = pending.remove(&next) {
                        hand_on(out, failed);
                        next += 1;
                    }
                    if next > before {
                        lock(&source).written = next;
                        room.notify_all();
                    }
                }
            }
            if stop.load(Ordering::SeqCst) {
                room.notify_all();
            }
        };
        loop {
            if !stop.load(Ordering::SeqCst) && !exhausted.load(Ordering::SeqCst) {
                let want = wanted();
                // The flags are read again for each worker: workers that find no job left end at once, and a loop
                // that only counted them would start new ones as fast as they end.
                while live.load(Ordering::SeqCst) < want
                    && !stop.load(Ordering::SeqCst)
                    && !exhausted.load(Ordering::SeqCst)
                {
                    live.fetch_add(1, Ordering::SeqCst);
                    let tx = tx.clone();
                    let worker = &worker;
                    scope.spawn(move || worker(tx));
                }
            }
            match rx.recv_timeout(std::time::Duration::from_millis(50)) {
                Ok((seq, out)) => deliver(seq, out, &mut failed),
                Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => {}
            }
            let over = stop.load(Ordering::SeqCst) || exhausted.load(Ordering::SeqCst);
            if over && live.load(Ordering::SeqCst) == 0 {
                while let Ok((seq, out)) = rx.try_recv() {
                    deliver(seq, out, &mut failed);
                }
                break;
            }
        }
    });
    if let Some(e) = failed {
        return Err(e);
    }
    match lock(&source).error.take() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_keep_their_order() {
        for threads in [1, 2, 5] {
            let out = map_jobs(
                (0..103).collect(),
                threads,
                || 0,
                |calls: &mut i32, j: i32| {
                    *calls += 1;
                    j * 3
                },
            );
            assert_eq!(out, (0..103).map(|j| j * 3).collect::<Vec<_>>());
        }
        assert!(map_jobs(Vec::<i32>::new(), 4, || (), |_, j| j).is_empty());
    }

    #[test]
    fn order_is_kept_for_any_thread_count() {
        for threads in [1, 2, 3, 8] {
            let mut seen = Vec::new();
            map_ordered(
                1000,
                threads,
                64,
                |i| i * 2,
                |x| {
                    seen.push(x);
                    Ok(())
                },
            )
            .unwrap();
            assert_eq!(seen, (0..1000).map(|i| i * 2).collect::<Vec<_>>());
        }
    }

    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A job that holds its worker a little, so that many are under way at once (no timing is asserted).
    fn slow(j: usize) -> usize {
        std::thread::sleep(std::time::Duration::from_micros(
            200 + (j * 7919 % 13) as u64 * 100,
        ));
        j
    }

    #[test]
    fn a_continuous_pool_hands_on_every_result_once_in_completion_order() {
        let mut seen = Vec::new();
        continuous(
            (0..500).map(Ok),
            || 16,
            Order::Completion,
            || (),
            |_, j| slow(j),
            |j| {
                seen.push(j);
                Ok(Flow::Go)
            },
        )
        .unwrap();
        let mut sorted = seen.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..500).collect::<Vec<_>>());
    }

    #[test]
    fn taken_order_keeps_the_order_and_never_runs_past_the_window() {
        let under_way = AtomicUsize::new(0);
        let ahead = AtomicUsize::new(0);
        let written = AtomicUsize::new(0);
        let mut seen = Vec::new();
        continuous(
            (0..400).map(Ok),
            || 12,
            Order::Taken { window: 20 },
            || (),
            |_, j| {
                under_way.fetch_add(1, Ordering::SeqCst);
                // How far this job runs ahead of the first result not yet written.
                ahead.fetch_max(j - written.load(Ordering::SeqCst).min(j), Ordering::SeqCst);
                let out = slow(j);
                under_way.fetch_sub(1, Ordering::SeqCst);
                out
            },
            |j| {
                seen.push(j);
                written.store(j + 1, Ordering::SeqCst);
                Ok(Flow::Go)
            },
        )
        .unwrap();
        assert_eq!(seen, (0..400).collect::<Vec<_>>());
        assert!(
            ahead.load(Ordering::SeqCst) < 20,
            "{}",
            ahead.load(Ordering::SeqCst)
        );
    }

    #[test]
    fn the_number_of_workers_follows_what_is_asked_and_a_stop_starts_nothing_new() {
        let wanted = AtomicUsize::new(4);
        let under_way = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        let taken = AtomicUsize::new(0);
        let taken_at_stop = AtomicUsize::new(usize::MAX);
        let mut seen = 0usize;
        continuous(
            (0..10_000).map(Ok),
            || wanted.load(Ordering::SeqCst),
            Order::Completion,
            || (),
            |_, j| {
                taken.fetch_add(1, Ordering::SeqCst);
                let n = under_way.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(n, Ordering::SeqCst);
                let out = slow(j);
                under_way.fetch_sub(1, Ordering::SeqCst);
                out
            },
            |_| {
                seen += 1;
                if seen == 100 {
                    assert!(most.load(Ordering::SeqCst) <= 4);
                    wanted.store(24, Ordering::SeqCst);
                }
                if seen == 600 {
                    taken_at_stop.store(taken.load(Ordering::SeqCst), Ordering::SeqCst);
                    return Ok(Flow::Stop);
                }
                Ok(Flow::Go)
            },
        )
        .unwrap();
        let most = most.load(Ordering::SeqCst);
        assert!(most > 4 && most <= 24, "{most}");
        // After the stop a worker takes at most the job it was already reaching for, and every job taken is handed
        // on.
        let (taken, at_stop) = (
            taken.load(Ordering::SeqCst),
            taken_at_stop.load(Ordering::SeqCst),
        );
        assert!(
            taken <= at_stop + 24,
            "{taken} taken, {at_stop} at the stop"
        );
        assert_eq!(seen, taken);
    }

    #[test]
    fn a_failing_job_source_stops_the_pool_with_its_error() {
        let jobs = (0..100).map(|j| {
            if j == 50 {
                Err(crate::Error::Run("bad job".into()))
            } else {
                Ok(j)
            }
        });
        let mut seen = 0;
        let out = continuous(
            jobs,
            || 8,
            Order::Taken { window: 16 },
            || (),
            |_, j| j,
            |_| {
                seen += 1;
                Ok(Flow::Go)
            },
        );
        assert!(matches!(out, Err(crate::Error::Run(m)) if m == "bad job"));
        assert_eq!(seen, 50);
    }

    #[test]
    fn a_pool_asked_for_more_workers_than_jobs_starts_no_worker_after_the_jobs_run_out() {
        // Regression: workers that found no job ended at once, and the loop that starts them counted only the live
        // ones, so it started new ones forever (a review with a judge and 6 conversations never ended).
        let want = 500;
        let started = AtomicUsize::new(0);
        let mut seen = Vec::new();
        continuous(
            (0..6).map(Ok),
            || want,
            Order::Taken { window: 64 },
            || {
                // Past a bound, workers linger a moment before they end, so that the old behaviour stops starting
                // them (the live count reaches `want`) and the test fails on the count instead of hanging.
                if started.fetch_add(1, Ordering::SeqCst) >= 2 * want {
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
            },
            |_, j: usize| j,
            |j| {
                seen.push(j);
                Ok(Flow::Go)
            },
        )
        .unwrap();
        assert_eq!(seen, (0..6).collect::<Vec<_>>());
        assert!(
            started.load(Ordering::SeqCst) <= want,
            "{} workers started for {want} wanted",
            started.load(Ordering::SeqCst)
        );
    }
}
