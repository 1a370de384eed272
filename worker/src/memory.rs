//! How the worker process keeps its footprint near its idle level: freed memory is handed back
//! to the system (glibc keeps it otherwise, and `daphne_distributed::buffers::keep_freed_memory`
//! asks it to, with one allocator arena for all threads) once the worker has had no data call
//! for [`IDLE_BEFORE_RELEASE`]. Not sooner: memory given back must be faulted in afresh by the
//! next transfer, which is slower than the transfer itself (see `buffers`).

use std::time::Duration;

/// How long a worker has had no store, task or transfer before it gives freed memory back.
pub const IDLE_BEFORE_RELEASE: Duration = Duration::from_secs(1);

/// Returns the allocator's free memory to the system if the worker has been idle for
/// [`IDLE_BEFORE_RELEASE`] (`idle_for`: since its last data call).
pub fn release_free_memory_when_idle(idle_for: Duration) {
    if idle_for >= IDLE_BEFORE_RELEASE {
        release_free_memory();
    }
}

/// Returns the allocator's free memory to the system, the recycled large blocks included.
fn release_free_memory() {
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
