//! What a host program exchanges with a script it runs in-process (DaphneLib, the Python API):
//! the data it binds to `receiveFromNumpy(handle, rows, cols, valueType)` and the values the
//! script hands back with `saveDaphneLibResult(x)`. DAPHNE passes a raw address as the handle;
//! here it is a key into the host's table, so a script can only read what the host bound.

use crate::data::Data;
use std::collections::HashMap;
use std::sync::Mutex;

/// The inputs a host binds before a run and the results the run hands back, in order.
#[derive(Default)]
pub struct HostExchange {
    inputs: HashMap<u64, Data>,
    results: Mutex<Vec<Data>>,
}

impl HostExchange {
    pub fn new() -> HostExchange {
        HostExchange::default()
    }

    /// Binds `data` to the handle a script passes to `receiveFromNumpy`.
    pub fn bind(&mut self, handle: u64, data: Data) {
        self.inputs.insert(handle, data);
    }

    /// The data bound to `handle`.
    pub fn input(&self, handle: u64) -> Option<&Data> {
        self.inputs.get(&handle)
    }

    /// Records a value of `saveDaphneLibResult`.
    pub fn save(&self, d: Data) {
        self.results.lock().unwrap_or_else(|p| p.into_inner()).push(d);
    }

    /// The values saved so far, in the order the script saved them (emptied).
    pub fn take_results(&self) -> Vec<Data> {
        std::mem::take(&mut *self.results.lock().unwrap_or_else(|p| p.into_inner()))
    }
}
