//! Placement: which cell ranges of the coordinator's data each worker already holds, so that an
//! input is sent once and later pipelines over the same data send nothing. A placement is keyed
//! by the identity of the coordinator-side view it was sent from (its buffer, weakly held, and
//! the view's range): when the coordinator's data goes, the placement dies and is freed.

use super::lineage::{Failure, Part};
use super::plan::Delivery;
use super::stats::Counters;
use super::tasks::{Arg, Stored};
use super::{Coordinator, internal};
use crate::proto;
use daphne_runtime::data::Data;
use daphne_runtime::elem::Scalar;
use std::any::Any;
use std::sync::Weak;

/// A cell range a worker holds: the identity of the coordinator-side view it was sent from.
pub(super) struct Placement {
    pub buffer: Weak<dyn Any + Send + Sync>,
    pub view: [usize; 5],
    pub worker: usize,
    pub id: u64,
}

impl Placement {
    pub fn is_alive(&self) -> bool {
        self.buffer.strong_count() > 0
    }
}

/// The identity of data sent to a worker (frames have none: they are sent every time).
fn identity(d: &Data) -> Option<(Weak<dyn Any + Send + Sync>, [usize; 5])> {
    match d {
        Data::Matrix(m) => Some(m.view_identity()),
        _ => None,
    }
}

impl Coordinator {
    /// What partition `[r0, r1)` of worker `w` needs of one local input: an id the worker holds,
    /// data to store, or an inline scalar.
    pub(super) fn arg_for(&self, data: &Data, send: Delivery, w: usize, r0: usize, r1: usize) -> Result<Arg, Failure> {
        let index = |n: usize| Ok(Arg::Scalar(proto::Scalar::from(&Scalar::Index(n as i64))));
        match send {
            Delivery::FirstRow => return index(r0),
            Delivery::RowCount => return index(r1 - r0),
            Delivery::Inline | Delivery::Split | Delivery::Broadcast => {}
        }
        if send == Delivery::Inline {
            return match data {
                Data::Scalar(s) => Ok(Arg::Scalar(proto::Scalar::from(s))),
                other => Err(internal(format!("a {} cannot be sent inline", other.kind())).into()),
            };
        }
        let part = match (send, data) {
            (Delivery::Split, Data::Matrix(m)) => Data::Matrix(m.slice_rows(r0, r1)),
            (Delivery::Split, other) => {
                return Err(internal(format!("a {} cannot be split by rows", other.kind())).into());
            }
            _ => data.clone(),
        };
        let Some((buffer, view)) = identity(&part) else {
            return Ok(Arg::Store { data: part, remember: false });
        };
        let placements = self.placements.lock().map_err(|_| internal("the placement table is unusable"))?;
        let held = placements
            .iter()
            .find(|p| p.worker == w && p.view == view && p.is_alive() && Weak::ptr_eq(&p.buffer, &buffer));
        Ok(match held {
            Some(p) => Arg::Held(p.id),
            None => Arg::Store { data: part, remember: true },
        })
    }

    /// Records what worker `w` now holds; what was sent for one task only is freed.
    pub(super) fn remember(&self, w: usize, stored: Vec<Stored>) {
        let mut temporary = Vec::new();
        if let Ok(mut placements) = self.placements.lock() {
            for s in stored {
                Counters::add(&self.stats.stored, 1);
                Counters::add(&self.stats.stored_bytes, s.bytes);
                match identity(&s.data) {
                    Some((buffer, view)) if s.remember => {
                        placements.push(Placement { buffer, view, worker: w, id: s.id })
                    }
                    _ => temporary.push((w, s.id)),
                }
            }
        }
        self.free(temporary);
    }

    /// Records that the workers hold the row blocks `parts` of `stacked` (a row-combined result
    /// that came back): the next pipeline reading it sends nothing.
    pub(super) fn place_rows(&self, stacked: &Data, parts: &[Part]) {
        let Data::Matrix(m) = stacked else { return };
        if let Ok(mut placements) = self.placements.lock() {
            for p in parts {
                let (buffer, view) = m.slice_rows(p.r0, p.r1).view_identity();
                placements.push(Placement { buffer, view, worker: p.worker, id: p.id });
            }
        }
    }
}
