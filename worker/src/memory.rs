//! How the worker process keeps its footprint near its idle level: few allocator arenas, and
//! freed memory handed back to the system (glibc keeps it otherwise).

/// Few allocator arenas: memory freed by one thread is reused by the others instead of staying
/// in per-thread arenas, so the worker's footprint does not drift with the threads that ran.
pub fn limit_allocator_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const M_ARENA_MAX: i32 = -8;
        unsafe extern "C" {
            fn mallopt(param: i32, value: i32) -> i32;
        }
        // SAFETY: called before any other thread exists; mallopt only changes a tuning value.
        unsafe {
            mallopt(M_ARENA_MAX, 2);
        }
    }
}

/// Returns the allocator's free memory to the system, the recycled large blocks included.
pub fn release_free_memory() {
    daphne_runtime::memory::release_cached();
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn malloc_trim(pad: usize) -> i32;
        }
        // SAFETY: malloc_trim only releases unused memory of the allocator's arenas.
        unsafe {
            malloc_trim(0);
        }
    }
}
