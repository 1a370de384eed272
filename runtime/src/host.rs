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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elem::Scalar;

    #[test]
    fn inputs_by_handle_results_in_order() {
        let mut h = HostExchange::new();
        h.bind(7, Data::Scalar(Scalar::F64(1.5)));
        assert!(matches!(h.input(7), Some(Data::Scalar(Scalar::F64(x))) if *x == 1.5));
        assert!(h.input(0).is_none());
        h.save(Data::Scalar(Scalar::SI64(1)));
        h.save(Data::Scalar(Scalar::SI64(2)));
        let r = h.take_results();
        assert_eq!(r.len(), 2);
        assert!(matches!(r[1], Data::Scalar(Scalar::SI64(2))));
        assert!(h.take_results().is_empty());
    }
}
