//! A STREAM-like triad (`a[i] = b[i] + s * c[i]`) on this machine's cores: the memory bandwidth
//! that fused pipelines are measured against (`bench/jit.py`). The arrays are touched before the
//! timed runs (fresh pages are slow to fault in on these machines); bytes are counted as STREAM
//! counts them (three arrays of 8-byte cells per element, no write-allocate traffic).
//!
//! Usage: `cargo run --release --example stream_triad [MiB per array] [repetitions]`; prints one
//! JSON line with the best and median GB/s.

use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let mib: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(256);
    let reps: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let n = mib * (1 << 20) / 8;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut a = vec![0.0f64; n];
    let b = vec![1.0f64; n];
    let c = vec![2.0f64; n];
    let chunk = n.div_ceil(threads);
    let triad = |a: &mut [f64], s: f64| {
        std::thread::scope(|scope| {
            for ((a, b), c) in a.chunks_mut(chunk).zip(b.chunks(chunk)).zip(c.chunks(chunk)) {
                scope.spawn(move || {
                    for ((x, y), z) in a.iter_mut().zip(b).zip(c) {
                        *x = y + s * z;
                    }
                });
            }
        });
    };
    triad(&mut a, 3.0); // touches every page
    let mut rates = Vec::with_capacity(reps);
    for _ in 0..reps {
        let start = Instant::now();
        triad(&mut a, 3.0);
        let secs = start.elapsed().as_secs_f64();
        rates.push((3 * 8 * n) as f64 / secs / 1e9);
    }
    assert!(a.iter().all(|x| *x == 7.0), "triad result");
    rates.sort_by(f64::total_cmp);
    let best = rates.last().copied().unwrap_or(0.0);
    let median = rates[rates.len() / 2];
    println!(
        "{{\"threads\": {threads}, \"mib_per_array\": {mib}, \"best_gbs\": {best:.2}, \"median_gbs\": {median:.2}}}"
    );
}
