//! Ordered parallel map for offline generation: records are made on several threads, then handed on in index order, so output never depends on the thread count.

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
}
