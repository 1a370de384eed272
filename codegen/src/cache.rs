//! The process-wide cache of compiled pipelines, on the coordinator and on every worker: keyed by
//! the pipeline's IR text together with its inputs' kinds and outputs' combines, so a pipeline is
//! lowered and compiled the first time it runs and found again afterwards. Refusals (bodies the
//! code generator does not handle) are cached too. Two threads asking for the same pipeline at
//! once compile it once: the second waits for the first.

use crate::lower::{self, ArgKind, Lowered};
use crate::native::{self, Native};
use daphne_ir::vector::Combine;
use daphne_ir::{Module, Op};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// A compiled pipeline.
pub struct Compiled {
    pub native: Native,
    pub lowered: Lowered,
    /// Lowering, LLVM's optimization and the JIT's code generation together.
    pub compile_time: Duration,
}

type Entry = Arc<OnceLock<Result<Arc<Compiled>, String>>>;

fn cache() -> &'static Mutex<HashMap<String, Entry>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Entry>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

static COMPILES: AtomicU64 = AtomicU64::new(0);
static COMPILE_NANOS: AtomicU64 = AtomicU64::new(0);
static HITS: AtomicU64 = AtomicU64::new(0);
static REFUSED: AtomicU64 = AtomicU64::new(0);
/// Every compile time and every hit time (lookups that found the pipeline), for medians.
static TIMES: Mutex<(Vec<Duration>, Vec<Duration>)> = Mutex::new((Vec::new(), Vec::new()));

fn median(v: &[Duration]) -> Option<Duration> {
    let mut v = v.to_vec();
    v.sort();
    v.get(v.len() / 2).copied()
}

/// What the cache has done in this process so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Pipelines compiled.
    pub compiled: u64,
    /// Pipelines the code generator refused (they run on the kernels).
    pub refused: u64,
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Time spent compiling.
    pub compile_time: Duration,
    /// The median time to compile one pipeline.
    pub median_compile: Option<Duration>,
    /// The median time of a lookup that found the pipeline compiled (printing its IR text,
    /// hashing, finding it).
    pub median_hit: Option<Duration>,
}

pub fn stats() -> CacheStats {
    let (compile_times, hit_times) = {
        let t = times();
        (median(&t.0), median(&t.1))
    };
    CacheStats {
        compiled: COMPILES.load(Ordering::Relaxed),
        refused: REFUSED.load(Ordering::Relaxed),
        hits: HITS.load(Ordering::Relaxed),
        compile_time: Duration::from_nanos(COMPILE_NANOS.load(Ordering::Relaxed)),
        median_compile: compile_times,
        median_hit: hit_times,
    }
}

/// The answer of the cache.
pub struct Lookup {
    /// The compiled pipeline, or why it is not compiled.
    pub result: Result<Arc<Compiled>, String>,
    /// Whether this lookup compiled (or refused) it, rather than finding it.
    pub fresh: bool,
}

fn times() -> std::sync::MutexGuard<'static, (Vec<Duration>, Vec<Duration>)> {
    TIMES.lock().unwrap_or_else(|e| e.into_inner())
}

/// The compiled form of the vectorized pipeline `op` for inputs of kinds `args`; compiles it on
/// first use. The key is the pipeline's IR text (its body included) with the kinds.
pub fn compile_pipeline(m: &Module, op: Op, args: &[ArgKind], combines: &[Combine]) -> Lookup {
    let start = Instant::now();
    lookup(m, op, &key_of(m, op, args, combines), args, combines, start)
}

fn key_of(m: &Module, op: Op, args: &[ArgKind], combines: &[Combine]) -> String {
    let ir_text = daphne_ir::print::print_op(m, op, Default::default());
    format!("{ir_text}\n{args:?}\n{combines:?}")
}

/// Bytes of input each pipeline not yet compiled has processed, by key.
fn warming() -> &'static Mutex<HashMap<String, u64>> {
    static WARMING: OnceLock<Mutex<HashMap<String, u64>>> = OnceLock::new();
    WARMING.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Like `compile_pipeline`, but compiles a pipeline only once it is worth it: when the bytes of
/// input it has processed over all its runs (`bytes` in this one) reach `threshold`. Until then it
/// answers `None` (run the kernels): compiling takes about 20 ms, in which the kernels process
/// tens of megabytes, so a pipeline over little data that runs once is not compiled at all.
pub fn compile_when_hot(
    m: &Module,
    op: Op,
    args: &[ArgKind],
    combines: &[Combine],
    bytes: u64,
    threshold: u64,
) -> Option<Lookup> {
    let start = Instant::now();
    let key = key_of(m, op, args, combines);
    let known = cache().lock().unwrap_or_else(|e| e.into_inner()).get(&key).is_some_and(|e| e.get().is_some());
    if !known {
        let mut warm = warming().lock().unwrap_or_else(|e| e.into_inner());
        let seen = warm.entry(key.clone()).or_insert(0);
        *seen = seen.saturating_add(bytes);
        if *seen < threshold {
            return None;
        }
        warm.remove(&key);
    }
    Some(lookup(m, op, &key, args, combines, start))
}

fn lookup(m: &Module, op: Op, key: &str, args: &[ArgKind], combines: &[Combine], lookup_start: Instant) -> Lookup {
    let Some(body) = m.op_block(op, 0) else {
        return Lookup { result: Err("the pipeline has no body".into()), fresh: false };
    };
    let entry = {
        let mut map = cache().lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(map.entry(key.to_string()).or_default())
    };
    let mut fresh = false;
    let result = entry.get_or_init(|| {
        fresh = true;
        let start = Instant::now();
        let lowered = lower::lower(m, body, args, combines);
        let result = lowered.and_then(|lowered| {
            let native = native::compile(&lowered.mlir)
                .map_err(|e| format!("internal error in codegen (the pipeline runs on the kernels): {e}"))?;
            Ok(Arc::new(Compiled { native, lowered, compile_time: start.elapsed() }))
        });
        match &result {
            Ok(c) => {
                COMPILES.fetch_add(1, Ordering::Relaxed);
                COMPILE_NANOS.fetch_add(c.compile_time.as_nanos() as u64, Ordering::Relaxed);
                times().0.push(c.compile_time);
            }
            Err(_) => {
                REFUSED.fetch_add(1, Ordering::Relaxed);
            }
        }
        result
    });
    if !fresh {
        HITS.fetch_add(1, Ordering::Relaxed);
        if result.is_ok() {
            times().1.push(lookup_start.elapsed());
        }
    }
    Lookup { result: result.clone(), fresh }
}
