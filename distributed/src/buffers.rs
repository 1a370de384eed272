//! Memory for objects in transit: large buffers that do not pay a page fault per 4 KiB.
//!
//! Why: on these machines touching freshly mapped memory the first time is far slower than
//! copying into memory already mapped (design.md, section 6). Measured on the 2-core VM
//! (2026-12, glibc 2.36): writing a fresh 256 MiB allocation takes about 0.2 s (1.3 GB/s, one
//! fault per 4 KiB page), the same allocation with `MADV_HUGEPAGE` about 0.07 s (2 MiB pages),
//! and memory that the allocator kept from an earlier allocation 0.015 s (17 GB/s). A transfer of
//! a 256 MiB matrix at 2 GB/s has 0.13 s in all, so both matter:
//!
//! * [`advise_huge_pages`]: the decoder's final buffer of a matrix (`wire::Decoder`) is advised
//!   for transparent huge pages before its first byte is written (the kernel's THP mode is
//!   usually `madvise`, so without the advice it uses 4 KiB pages).
//! * [`keep_freed_memory`], called once at the start of `daphne` and `DistributedWorker`: glibc
//!   serves allocations of 128 KiB or more (raised as blocks are freed, up to 32 MiB) with a
//!   fresh `mmap` and gives them back with `munmap` when freed, and it trims its heap whenever
//!   the free top exceeds 128 KiB. Then every transfer's chunk buffers (gRPC's per-message
//!   buffers, chunk-sized) and every received object fault in new pages. With the thresholds
//!   raised, blocks below [`KEEP_BLOCKS_BELOW`] come from the heap and freed memory stays
//!   there for the next transfer. That holds for glibc's main arena only: a thread served by
//!   another arena gets every block larger than that arena's heaps (64 MiB) mapped afresh,
//!   whatever the thresholds (seen with `strace` on the worker, whose tokio threads allocate the
//!   objects they receive). So all threads share the main arena (`M_ARENA_MAX` 1; small blocks
//!   still come from per-thread caches without its lock). A process that must shrink again
//!   calls `malloc_trim` (the worker does once it has been idle, see its `memory` module).

/// Allocations below this many bytes come from glibc's heap (and are kept there when freed)
/// once [`keep_freed_memory`] ran; larger ones are mapped and unmapped by the system as before.
pub const KEEP_BLOCKS_BELOW: usize = 1 << 30;

/// The size of a transparent huge page on x86-64 and aarch64 (with 4 KiB base pages).
const HUGE_PAGE: usize = 2 << 20;

/// Makes glibc keep freed memory for reuse instead of returning it to the system at once (see
/// the module's doc). Call it at process start, before other threads exist. Elsewhere than
/// glibc it does nothing.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const M_TRIM_THRESHOLD: i32 = -1;
        const M_MMAP_THRESHOLD: i32 = -3;
        const M_ARENA_MAX: i32 = -8;
        unsafe extern "C" {
            fn mallopt(param: i32, value: i32) -> i32;
        }
        let keep = i32::try_from(KEEP_BLOCKS_BELOW).unwrap_or(i32::MAX);
        // SAFETY: mallopt only changes tuning values of the allocator; it is called before other
        // threads allocate (the caller's contract), and refuses values it does not accept.
        unsafe {
            mallopt(M_ARENA_MAX, 1);
            mallopt(M_MMAP_THRESHOLD, keep);
            mallopt(M_TRIM_THRESHOLD, keep);
        }
    }
}

/// Advises the whole huge pages within `len` bytes at `ptr` (an allocation not yet written) for
/// transparent huge pages: a fresh buffer then faults in 2 MiB at a time. Advice only: where the
/// kernel has no huge pages (or on other systems) nothing changes.
pub fn advise_huge_pages(ptr: *mut u8, len: usize) {
    if len < HUGE_PAGE {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        const MADV_HUGEPAGE: i32 = 14;
        unsafe extern "C" {
            fn madvise(addr: *mut std::ffi::c_void, len: usize, advice: i32) -> i32;
        }
        let start = (ptr as usize).next_multiple_of(HUGE_PAGE);
        let end = (ptr as usize).saturating_add(len) / HUGE_PAGE * HUGE_PAGE;
        if end > start {
            // SAFETY: `start..end` lies within the caller's allocation of `len` bytes at `ptr`
            // (rounded inwards to whole huge pages); MADV_HUGEPAGE changes neither the contents
            // nor the validity of the memory, only how the kernel backs it.
            unsafe {
                madvise(start as *mut std::ffi::c_void, end - start, MADV_HUGEPAGE);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advice_keeps_the_contents() {
        let mut v = vec![7u8; 5 * HUGE_PAGE + 123];
        advise_huge_pages(v.as_mut_ptr(), v.len());
        assert!(v.iter().all(|b| *b == 7));
        // Too small, or at any address: no advice, no harm.
        advise_huge_pages(v.as_mut_ptr().wrapping_add(1), 17);
        assert!(v.iter().all(|b| *b == 7));
    }
}
