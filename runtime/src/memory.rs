//! Large allocations that do not pay page faults again and again: a global allocator that maps
//! large blocks with transparent huge pages and keeps the ones that are freed for the next
//! allocation of about the same size, instead of returning them to the system.
//!
//! Why: on these machines touching fresh memory for the first time costs far more than reading it
//! (design.md, section 6), and DaphneDSL programs allocate a matrix-sized buffer for every result
//! (`X * 2 + 1` makes two). With glibc every block over 32 MiB is a fresh `mmap` whose 4 KiB
//! pages fault one by one; here a block of [`LARGE_BYTES`] or more is mapped 2 MiB-aligned and
//! advised for huge pages (512 times fewer faults), and a freed one is kept, already faulted in,
//! for a later allocation it fits. Smaller blocks go to the system allocator unchanged.
//!
//! The cache holds at most [`cache_limit`] bytes (`DAPHNE_KEEP_FREED_BYTES`, default a quarter of
//! the machine's memory); [`release_cached`] returns everything it holds to the system.
//! `DAPHNE_NO_HUGE_PAGES` (any value) maps large blocks without the huge-page advice.
//! Binaries opt in with `#[global_allocator] static A: RecyclingAllocator = RecyclingAllocator;`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Blocks this size or larger are mapped and recycled here.
pub const LARGE_BYTES: usize = 8 << 20;

/// The granule of large blocks: a transparent huge page.
const HUGE_PAGE: usize = 2 << 20;

/// How many freed blocks the cache can hold.
const SLOTS: usize = 64;

/// A freed large block: its address and mapped length (a multiple of [`HUGE_PAGE`]).
#[derive(Clone, Copy)]
struct Block {
    addr: usize,
    len: usize,
}

struct Cache {
    blocks: [Option<Block>; SLOTS],
    bytes: usize,
}

static CACHE: Mutex<Cache> = Mutex::new(Cache { blocks: [None; SLOTS], bytes: 0 });

/// The cache limit in bytes, read once (0 until then).
static LIMIT: AtomicUsize = AtomicUsize::new(usize::MAX);

fn mapped_len(size: usize) -> usize {
    size.div_ceil(HUGE_PAGE) * HUGE_PAGE
}

/// How many freed bytes the cache keeps: `DAPHNE_KEEP_FREED_BYTES`, else a quarter of the
/// machine's memory.
pub fn cache_limit() -> usize {
    let cached = LIMIT.load(Ordering::Relaxed);
    if cached != usize::MAX {
        return cached;
    }
    // Reading the environment allocates only small strings (the system allocator's).
    let limit = std::env::var("DAPHNE_KEEP_FREED_BYTES")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or_else(|| physical_memory() / 4);
    LIMIT.store(limit, Ordering::Relaxed);
    limit
}

fn physical_memory() -> usize {
    // SAFETY: sysconf only reads system configuration values.
    let (pages, page) = unsafe { (libc::sysconf(libc::_SC_PHYS_PAGES), libc::sysconf(libc::_SC_PAGESIZE)) };
    if pages <= 0 || page <= 0 { 1 << 30 } else { (pages as usize).saturating_mul(page as usize) }
}

fn lock() -> std::sync::MutexGuard<'static, Cache> {
    // Nothing panics while holding the lock, but a poisoned cache is still consistent.
    CACHE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Maps `len` bytes (a multiple of [`HUGE_PAGE`]) aligned to [`HUGE_PAGE`], advised for huge
/// pages; null if the system refuses.
fn map(len: usize) -> *mut u8 {
    let Some(over) = len.checked_add(HUGE_PAGE) else { return std::ptr::null_mut() };
    // SAFETY: an anonymous private mapping at an address of the kernel's choice touches no
    // existing memory.
    let raw = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            over,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if raw == libc::MAP_FAILED {
        return std::ptr::null_mut();
    }
    let start = raw as usize;
    let aligned = start.next_multiple_of(HUGE_PAGE);
    let (head, tail) = (aligned - start, over - (aligned - start) - len);
    // SAFETY: the head and tail are parts of the mapping just made that nothing uses.
    unsafe {
        if head > 0 {
            libc::munmap(start as *mut libc::c_void, head);
        }
        if tail > 0 {
            libc::munmap((aligned + len) as *mut libc::c_void, tail);
        }
        // Advice only: without huge pages the block still works, with small pages.
        if huge_pages_wanted() {
            libc::madvise(aligned as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
        }
    }
    aligned as *mut u8
}

/// Whether large blocks are advised for huge pages: unless `DAPHNE_NO_HUGE_PAGES` is set (for a
/// kernel whose huge-page compaction stalls more than small pages cost). Read once.
fn huge_pages_wanted() -> bool {
    static WANTED: AtomicUsize = AtomicUsize::new(2);
    match WANTED.load(Ordering::Relaxed) {
        2 => {
            let wanted = std::env::var_os("DAPHNE_NO_HUGE_PAGES").is_none();
            WANTED.store(usize::from(wanted), Ordering::Relaxed);
            wanted
        }
        v => v == 1,
    }
}

fn unmap(b: Block) {
    // SAFETY: `b` is a whole mapping made by `map` that nobody uses any more.
    unsafe {
        libc::munmap(b.addr as *mut libc::c_void, b.len);
    }
}

/// A cached block of at least `len` bytes (the smallest that fits, its excess tail unmapped so
/// that it is exactly `len` long), if the cache has one not much larger.
fn take_cached(len: usize) -> Option<usize> {
    let mut c = lock();
    let mut best: Option<usize> = None;
    for (i, slot) in c.blocks.iter().enumerate() {
        if let Some(b) = slot
            && b.len >= len
            && b.len - len <= len / 2
            && best.is_none_or(|j| c.blocks[j].is_some_and(|o| o.len > b.len))
        {
            best = Some(i);
        }
    }
    let b = c.blocks[best?].take()?;
    c.bytes -= b.len;
    drop(c);
    if b.len > len {
        unmap(Block { addr: b.addr + len, len: b.len - len });
    }
    Some(b.addr)
}

/// Keeps a freed block for reuse, or unmaps it when the cache is full.
fn put_cached(b: Block) {
    let limit = cache_limit();
    let mut c = lock();
    if c.bytes + b.len <= limit
        && let Some(slot) = c.blocks.iter_mut().find(|s| s.is_none())
    {
        *slot = Some(b);
        c.bytes += b.len;
        return;
    }
    drop(c);
    unmap(b);
}

/// Returns every cached block to the system (a worker that goes idle, a memory limit reached).
pub fn release_cached() {
    let blocks: Vec<Block> = {
        let mut c = lock();
        c.bytes = 0;
        c.blocks.iter_mut().filter_map(Option::take).collect()
    };
    blocks.into_iter().for_each(unmap);
}

/// The bytes the cache holds now.
pub fn cached_bytes() -> usize {
    lock().bytes
}

/// The global allocator: large blocks mapped and recycled here, the rest from the system's.
pub struct RecyclingAllocator;

fn is_large(layout: Layout) -> bool {
    layout.size() >= LARGE_BYTES && layout.align() <= HUGE_PAGE
}

fn alloc_large(size: usize, zeroed: bool) -> *mut u8 {
    let len = mapped_len(size);
    match take_cached(len) {
        Some(addr) => {
            if zeroed {
                // SAFETY: the block is `len >= size` bytes of mapped memory owned by the caller now.
                unsafe { std::ptr::write_bytes(addr as *mut u8, 0, size) };
            }
            addr as *mut u8
        }
        // Fresh anonymous memory reads as zeros.
        None => map(len),
    }
}

// SAFETY: large blocks are whole private mappings of at least the requested size, aligned to
// 2 MiB (more than any alignment they are used for), handed out to one owner at a time (the cache
// is behind a lock and a block leaves it before it is returned); all other requests go to the
// system allocator, and each block is freed by the allocator that made it (decided by the same
// size test on the same layout).
unsafe impl GlobalAlloc for RecyclingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if is_large(layout) {
            alloc_large(layout.size(), false)
        } else {
            // SAFETY: forwarded with the caller's guarantees.
            unsafe { System.alloc(layout) }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if is_large(layout) {
            alloc_large(layout.size(), true)
        } else {
            // SAFETY: forwarded with the caller's guarantees.
            unsafe { System.alloc_zeroed(layout) }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if is_large(layout) {
            put_cached(Block { addr: ptr as usize, len: mapped_len(layout.size()) });
        } else {
            // SAFETY: forwarded with the caller's guarantees (the block is the system's).
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let Ok(new_layout) = Layout::from_size_align(new_size, layout.align()) else {
            return std::ptr::null_mut();
        };
        match (is_large(layout), is_large(new_layout)) {
            (false, false) => {
                // SAFETY: forwarded with the caller's guarantees.
                unsafe { System.realloc(ptr, layout, new_size) }
            }
            (true, true) if mapped_len(new_size) == mapped_len(layout.size()) => ptr,
            _ => {
                // SAFETY: the caller's guarantees; the new block is at least `min` bytes long.
                unsafe {
                    let new = self.alloc(new_layout);
                    if !new.is_null() {
                        std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                        self.dealloc(ptr, layout);
                    }
                    new
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_freed_large_block_is_reused_and_a_reused_zeroed_block_is_zero() {
        let a = RecyclingAllocator;
        let layout = Layout::from_size_align(LARGE_BYTES + 12345, 8).expect("layout");
        // SAFETY: allocation and release with matching layouts; the block is written within its size.
        unsafe {
            let p = a.alloc(layout);
            assert!(!p.is_null());
            assert_eq!(p as usize % HUGE_PAGE, 0);
            std::ptr::write_bytes(p, 7, layout.size());
            a.dealloc(p, layout);
            let q = a.alloc_zeroed(layout);
            assert!(!q.is_null());
            let cells = std::slice::from_raw_parts(q, layout.size());
            assert!(cells.iter().all(|&b| b == 0));
            a.dealloc(q, layout);
        }
        release_cached();
        assert_eq!(cached_bytes(), 0);
    }

    #[test]
    fn growing_a_large_block_keeps_its_contents() {
        let a = RecyclingAllocator;
        let small = Layout::from_size_align(1000, 8).expect("layout");
        // SAFETY: as above; every read is within the block's current size.
        unsafe {
            let p = a.alloc(small);
            std::ptr::write_bytes(p, 3, 1000);
            let big = a.realloc(p, small, LARGE_BYTES * 2);
            assert!(!big.is_null());
            assert!(std::slice::from_raw_parts(big, 1000).iter().all(|&b| b == 3));
            let bigger = a.realloc(big, Layout::from_size_align(LARGE_BYTES * 2, 8).expect("layout"), LARGE_BYTES * 5);
            assert!(std::slice::from_raw_parts(bigger, 1000).iter().all(|&b| b == 3));
            let back = a.realloc(bigger, Layout::from_size_align(LARGE_BYTES * 5, 8).expect("layout"), 10);
            assert!(std::slice::from_raw_parts(back, 10).iter().all(|&b| b == 3));
            a.dealloc(back, Layout::from_size_align(10, 8).expect("layout"));
        }
    }
}
