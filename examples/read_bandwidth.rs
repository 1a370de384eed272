//! The rate at which this machine reads memory, on one core and on all of them: the bound that
//! memory-bound workloads (`bench/run.py`'s "bound" column) are measured against. An array of
//! f64 is touched first (fresh pages are slow to fault in on these machines), then summed
//! repeatedly; the sum is printed so the reads cannot be optimized away.
//!
//! Usage: `cargo run --release --example read_bandwidth [MiB] [repetitions]`; prints one JSON line
//! with the median GB/s on one thread and on all threads.

use std::time::Instant;

fn sum(cells: &[f64]) -> f64 {
    // Eight independent lanes, so the adds do not wait on each other and the loop vectorizes.
    let mut lanes = [0.0f64; 8];
    let mut chunks = cells.chunks_exact(8);
    for c in &mut chunks {
        for (l, x) in lanes.iter_mut().zip(c) {
            *l += x;
        }
    }
    lanes.iter().sum::<f64>() + chunks.remainder().iter().sum::<f64>()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mib: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1024);
    let reps: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(7).max(1);
    let n = mib * (1 << 20) / 8;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cells: Vec<f64> = (0..n).map(|i| (i % 7) as f64).collect();
    let bytes = (n * 8) as f64;
    let mut check = 0.0;
    let mut rate = |parts: usize| -> f64 {
        let chunk = n.div_ceil(parts).max(1);
        let times: Vec<f64> = (0..reps)
            .map(|_| {
                let t = Instant::now();
                let s: f64 = std::thread::scope(|scope| {
                    let handles: Vec<_> = cells.chunks(chunk).map(|c| scope.spawn(move || sum(c))).collect();
                    handles.into_iter().map(|h| h.join().unwrap_or(0.0)).sum()
                });
                check += s;
                t.elapsed().as_secs_f64()
            })
            .collect();
        bytes / median(times) / 1e9
    };
    let one = rate(1);
    let all = rate(threads);
    println!(
        "{{\"mib\": {mib}, \"threads\": {threads}, \"read_gbps_one_thread\": {one:.2}, \"read_gbps_all_threads\": {all:.2}, \"checksum\": {check}}}"
    );
}
