//! The module's linear memory, which `policy-host` cannot show: `wapc::WapcHost` and wasmtime-provider keep the
//! wasmtime `Store` and `Instance` private. [`MemoryProbe`] therefore runs the same module in a wasmtime instance of
//! its own (the same wasmtime, re-exported by wasmtime-provider; WASI preview 1 with default parameters, as the
//! host links it) behind a minimal waPC host, and reads the exported memory's size.
//!
//! It is not a second host for timing: only the memory figures come from here. The guest code that runs is the
//! same, and a wasm memory never shrinks, so its size after a call is the peak the guest needed so far.

use wasmtime_provider::wasmtime::{self, Caller, Engine, Instance, Linker, Memory, Module, Store, TypedFunc};
use wasmtime_provider::wasmtime_wasi::WasiCtxBuilder;
use wasmtime_provider::wasmtime_wasi::p1::{self, WasiP1Ctx};

/// The waPC protocol state of one call.
struct State {
    wasi: WasiP1Ctx,
    operation: Vec<u8>,
    request: Vec<u8>,
    response: Result<Vec<u8>, String>,
    host_response: Vec<u8>,
    host_error: Vec<u8>,
}

/// One instance of a waPC module, reused across calls.
pub struct MemoryProbe {
    store: Store<State>,
    instance: Instance,
    guest_call: TypedFunc<(i32, i32), i32>,
}

impl MemoryProbe {
    /// Compiles and instantiates the module and runs its waPC initialisation (`_start`, then `wapc_init`).
    pub fn new(wasm: &[u8]) -> wasmtime::Result<Self> {
        let engine = Engine::default();
        let module = Module::new(&engine, wasm)?;
        let mut linker = Linker::new(&engine);
        p1::add_to_linker_sync(&mut linker, |state: &mut State| &mut state.wasi)?;
        add_wapc_imports(&mut linker)?;
        let state = State {
            wasi: WasiCtxBuilder::new().inherit_stdio().build_p1(),
            operation: Vec::new(),
            request: Vec::new(),
            response: Ok(Vec::new()),
            host_response: Vec::new(),
            host_error: Vec::new(),
        };
        let mut store = Store::new(&engine, state);
        let instance = linker.instantiate(&mut store, &module)?;
        for start in ["_start", "wapc_init"] {
            if let Ok(start) = instance.get_typed_func::<(), ()>(&mut store, start) {
                start.call(&mut store, ())?;
            }
        }
        let guest_call = instance.get_typed_func(&mut store, "__guest_call")?;
        Ok(Self {
            store,
            instance,
            guest_call,
        })
    }

    /// Calls the waPC function `operation`; the guest's answer, or its error message.
    pub fn call(&mut self, operation: &str, payload: &[u8]) -> wasmtime::Result<Vec<u8>> {
        let state = self.store.data_mut();
        state.operation = operation.as_bytes().to_vec();
        state.request = payload.to_vec();
        state.response = Ok(Vec::new());
        let succeeded = self
            .guest_call
            .call(&mut self.store, (length(operation.len())?, length(payload.len())?))?;
        match std::mem::replace(&mut self.store.data_mut().response, Ok(Vec::new())) {
            Ok(answer) if succeeded == 1 => Ok(answer),
            Ok(_) => Err(wasmtime::format_err!(
                "guest call `{operation}` failed without an error"
            )),
            Err(message) => Err(wasmtime::format_err!("guest call `{operation}` failed: {message}")),
        }
    }

    /// The current size of the module's linear memory in bytes: the largest it has been.
    pub fn memory_bytes(&mut self) -> usize {
        self.instance
            .get_memory(&mut self.store, "memory")
            .map_or(0, |memory| memory.data_size(&self.store))
    }
}

fn length(len: usize) -> wasmtime::Result<i32> {
    i32::try_from(len).map_err(|_| wasmtime::format_err!("{len} bytes do not fit a wasm32 call"))
}

fn memory(caller: &mut Caller<'_, State>) -> wasmtime::Result<Memory> {
    caller
        .get_export("memory")
        .and_then(|export| export.into_memory())
        .ok_or_else(|| wasmtime::format_err!("the guest exports no memory"))
}

fn read(caller: &mut Caller<'_, State>, ptr: i32, len: i32) -> wasmtime::Result<Vec<u8>> {
    let memory = memory(caller)?;
    let mut bytes = vec![0; usize::try_from(len)?];
    memory.read(&*caller, usize::try_from(ptr)?, &mut bytes)?;
    Ok(bytes)
}

fn write(caller: &mut Caller<'_, State>, ptr: i32, bytes: &[u8]) -> wasmtime::Result<()> {
    let memory = memory(caller)?;
    memory.write(caller, usize::try_from(ptr)?, bytes)?;
    Ok(())
}

/// The waPC host functions (`wapc` namespace) a guest imports.
fn add_wapc_imports(linker: &mut Linker<State>) -> wasmtime::Result<()> {
    const WAPC: &str = "wapc";
    linker.func_wrap(
        WAPC,
        "__guest_request",
        |mut caller: Caller<'_, State>, op_ptr: i32, ptr: i32| {
            let request = std::mem::take(&mut caller.data_mut().request);
            let operation = std::mem::take(&mut caller.data_mut().operation);
            write(&mut caller, ptr, &request)?;
            write(&mut caller, op_ptr, &operation)
        },
    )?;
    linker.func_wrap(
        WAPC,
        "__guest_response",
        |mut caller: Caller<'_, State>, ptr: i32, len: i32| {
            let answer = read(&mut caller, ptr, len)?;
            caller.data_mut().response = Ok(answer);
            Ok(())
        },
    )?;
    linker.func_wrap(
        WAPC,
        "__guest_error",
        |mut caller: Caller<'_, State>, ptr: i32, len: i32| {
            let message = read(&mut caller, ptr, len)?;
            caller.data_mut().response = Err(String::from_utf8_lossy(&message).into_owned());
            Ok(())
        },
    )?;
    linker.func_wrap(
        WAPC,
        "__console_log",
        |mut caller: Caller<'_, State>, ptr: i32, len: i32| {
            let _ = read(&mut caller, ptr, len)?;
            Ok(())
        },
    )?;
    // Host calls: the SDK's log events (kubewarden/tracing/log) get an empty answer, as policy-host gives them.
    #[allow(clippy::too_many_arguments)]
    fn host_call(
        mut caller: Caller<'_, State>,
        bd_ptr: i32,
        bd_len: i32,
        ns_ptr: i32,
        ns_len: i32,
        op_ptr: i32,
        op_len: i32,
        _ptr: i32,
        _len: i32,
    ) -> wasmtime::Result<i32> {
        let call = [
            read(&mut caller, bd_ptr, bd_len)?,
            read(&mut caller, ns_ptr, ns_len)?,
            read(&mut caller, op_ptr, op_len)?,
        ];
        let state = caller.data_mut();
        state.host_response.clear();
        state.host_error.clear();
        if call == [&b"kubewarden"[..], b"tracing", b"log"] {
            Ok(1)
        } else {
            state.host_error = b"host call not supported by the memory probe".to_vec();
            Ok(0)
        }
    }
    linker.func_wrap(WAPC, "__host_call", host_call)?;
    linker.func_wrap(WAPC, "__host_response_len", |caller: Caller<'_, State>| {
        length(caller.data().host_response.len())
    })?;
    linker.func_wrap(WAPC, "__host_response", |mut caller: Caller<'_, State>, ptr: i32| {
        let bytes = caller.data().host_response.clone();
        write(&mut caller, ptr, &bytes)
    })?;
    linker.func_wrap(WAPC, "__host_error_len", |caller: Caller<'_, State>| {
        length(caller.data().host_error.len())
    })?;
    linker.func_wrap(WAPC, "__host_error", |mut caller: Caller<'_, State>, ptr: i32| {
        let bytes = caller.data().host_error.clone();
        write(&mut caller, ptr, &bytes)
    })?;
    Ok(())
}
