//! A linear memory allocated by the host, so that the host can tell how large the guest's memory has grown.
//!
//! wasmtime-provider keeps its `wasmtime::Store` and `Instance` private and `wapc::WapcHost` only exposes `call`, so
//! the guest's `memory` export cannot be read from outside. What the host does own is the `wasmtime::Engine`: with
//! `Config::with_host_memory`, wasmtime asks a [`MemoryCreator`] of ours for every linear memory, and calls its
//! `grow_to` on every `memory.grow`. [`MemoryMeter`] is that creator; it counts the bytes of the memories it made.
//!
//! The memory is a plain `Vec<u8>` with no guard pages, which is only sound when wasmtime compiles explicit bounds
//! checks and reloads the base pointer after growth: [`MemoryMeter::configure`] sets `memory_reservation(0)` and
//! `memory_guard_size(0)` (and [`MemoryMeter`] refuses to create a memory under any other configuration). That makes
//! every memory access a little slower than under wasmtime's default (4 GiB reservation, guard pages, no bounds
//! checks), so an engine configured this way measures memory, never time. The guest's `memory.grow` calls, and so
//! the sizes measured, do not depend on the engine's configuration.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use wasmtime_provider::wasmtime::{self, Config, LinearMemory, MemoryCreator, MemoryType};

/// Counts the bytes of the linear memories an engine created: shared by the engine's [`MemoryCreator`] and the host.
#[derive(Debug, Clone, Default)]
pub(crate) struct MemoryMeter {
    bytes: Arc<AtomicUsize>,
}

impl MemoryMeter {
    /// Makes `config` allocate every linear memory through this meter, with explicit bounds checks.
    pub(crate) fn configure(&self, config: &mut Config) {
        config
            .memory_reservation(0)
            .memory_guard_size(0)
            .memory_reservation_for_growth(0)
            .memory_may_move(true)
            .guard_before_linear_memory(false)
            // A copy-on-write memory image needs wasmtime's own mmap-based memory.
            .memory_init_cow(false)
            .with_host_memory(Arc::new(self.clone()));
    }

    /// The bytes of every live linear memory this meter created. A wasm memory never shrinks, so for one instance
    /// this is the largest its memory has been.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes.load(Ordering::Relaxed)
    }
}

// SAFETY: every memory is a zero-filled `Vec<u8>` of exactly `byte_size` bytes, created only when wasmtime asks for
// no reservation and no guard region (so that compiled code checks every access against `byte_size` and reloads the
// base after growth); see `MeteredMemory`.
unsafe impl MemoryCreator for MemoryMeter {
    fn new_memory(
        &self,
        _ty: MemoryType,
        minimum: usize,
        _maximum: Option<usize>,
        reserved_size_in_bytes: Option<usize>,
        guard_size_in_bytes: usize,
    ) -> Result<Box<dyn LinearMemory>, String> {
        if reserved_size_in_bytes.is_some_and(|reserved| reserved > 0) || guard_size_in_bytes > 0 {
            return Err(format!(
                "the metered memory has no reservation and no guard pages, but wasmtime asked for a reservation of \
                 {reserved_size_in_bytes:?} bytes and {guard_size_in_bytes} guard bytes \
                 (configure the engine with MemoryMeter::configure)"
            ));
        }
        let mut memory = MeteredMemory {
            bytes: Vec::new(),
            base: 0,
            meter: self.clone(),
        };
        memory.resize(minimum).map_err(|e| e.to_string())?;
        Ok(Box::new(memory))
    }
}

/// One linear memory: its bytes, and the address of the first one for compiled code.
struct MeteredMemory {
    bytes: Vec<u8>,
    /// `bytes.as_mut_ptr()`, taken while `bytes` is borrowed mutably and exposed, so that [`LinearMemory::as_ptr`]
    /// (which only gets `&self`) hands out a pointer that may be written through.
    base: usize,
    meter: MemoryMeter,
}

impl MeteredMemory {
    /// Grows to `new_size` zeroed bytes; an allocation failure is an error (the guest's `memory.grow` returns -1),
    /// not an abort.
    fn resize(&mut self, new_size: usize) -> wasmtime::Result<()> {
        let old_size = self.bytes.len();
        let Some(added) = new_size.checked_sub(old_size) else {
            wasmtime::bail!("a linear memory cannot shrink from {old_size} to {new_size} bytes");
        };
        // Amortized, as Vec grows: guests grow their memory a few pages at a time, and an exact reservation would
        // copy the whole memory on every `memory.grow`.
        self.bytes
            .try_reserve(added)
            .map_err(|e| wasmtime::format_err!("cannot grow the linear memory to {new_size} bytes: {e}"))?;
        self.bytes.resize(new_size, 0);
        self.base = self.bytes.as_mut_ptr().expose_provenance();
        self.meter.bytes.fetch_add(added, Ordering::Relaxed);
        Ok(())
    }
}

// SAFETY: `as_ptr` points at `byte_size()` initialized bytes owned by `bytes`; growth within `byte_capacity()` never
// reallocates (`Vec::resize` within capacity), and growth beyond it may move the memory, which the configuration
// of `MemoryMeter::configure` (`memory_may_move(true)`) allows.
unsafe impl LinearMemory for MeteredMemory {
    fn byte_size(&self) -> usize {
        self.bytes.len()
    }

    fn byte_capacity(&self) -> usize {
        self.bytes.capacity()
    }

    fn grow_to(&mut self, new_size: usize) -> wasmtime::Result<()> {
        self.resize(new_size)
    }

    fn as_ptr(&self) -> *mut u8 {
        std::ptr::with_exposed_provenance_mut(self.base)
    }
}

impl Drop for MeteredMemory {
    fn drop(&mut self) {
        self.meter.bytes.fetch_sub(self.bytes.len(), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: usize = 65_536;

    fn ty() -> MemoryType {
        MemoryType::new(1, None)
    }

    #[test]
    fn counts_what_it_creates_and_grows() {
        let meter = MemoryMeter::default();
        let mut memory = meter.new_memory(ty(), PAGE, None, Some(0), 0).unwrap();
        assert_eq!((memory.byte_size(), meter.bytes()), (PAGE, PAGE));
        memory.grow_to(3 * PAGE).unwrap();
        assert_eq!((memory.byte_size(), meter.bytes()), (3 * PAGE, 3 * PAGE));
        let other = meter.new_memory(ty(), 2 * PAGE, None, None, 0).unwrap();
        assert_eq!(meter.bytes(), 5 * PAGE);
        drop(memory);
        drop(other);
        assert_eq!(meter.bytes(), 0);
    }

    #[test]
    fn grown_bytes_are_zero_and_writable() {
        let meter = MemoryMeter::default();
        let mut memory = meter.new_memory(ty(), PAGE, None, Some(0), 0).unwrap();
        memory.grow_to(2 * PAGE).unwrap();
        let base = memory.as_ptr();
        // SAFETY: `byte_size()` bytes from `as_ptr()` belong to the memory, which nothing else uses here.
        let bytes = unsafe { std::slice::from_raw_parts_mut(base, memory.byte_size()) };
        assert!(bytes.iter().all(|&b| b == 0));
        bytes[2 * PAGE - 1] = 7;
        assert!(memory.grow_to(PAGE).is_err(), "a memory never shrinks");
    }

    #[test]
    fn refuses_a_configuration_that_elides_bounds_checks() {
        let meter = MemoryMeter::default();
        let guarded = meter.new_memory(ty(), PAGE, None, Some(4 << 30), 32 << 20);
        assert!(guarded.err().unwrap().contains("MemoryMeter::configure"));
        assert!(meter.new_memory(ty(), PAGE, None, Some(0), 4096).is_err());
        assert_eq!(meter.bytes(), 0);
    }
}
