//! Running a job's partitions: each on its owner, all at once. A partition's task first stores
//! what its worker lacks (concurrently), then runs; failed calls are classified as the worker's
//! answer (a final error, or an execution error to reproduce locally) or as a lost worker.

use super::lineage::{Failure, Job};
use super::stats::Counters;
use super::{Coordinator, Input, in_parallel};
use crate::proto::{self, Computed, TaskInput, task_input};
use crate::transport::{CallError, Code};
use daphne_runtime::data::Data;
use daphne_runtime::distributor::DistError;
use std::time::{Duration, Instant};

/// What a partition's task needs per input: an id its worker holds, data to store, or a scalar.
pub(super) enum Arg {
    Held(u64),
    Store { data: Data, remember: bool },
    Scalar(proto::Scalar),
}

/// The result of one partition's task.
pub(super) struct Done {
    pub range: usize,
    pub worker: usize,
    pub computed: Computed,
}

impl Done {
    /// The outputs the worker stored (scalars come inline and have no id).
    pub fn stored_outputs(&self) -> Vec<(usize, u64)> {
        self.computed.outputs.iter().filter(|o| o.id != 0).map(|o| (self.worker, o.id)).collect()
    }
}

/// An object stored for a task: the data, its id, whether to remember it, its payload bytes.
pub(super) struct Stored {
    pub data: Data,
    pub id: u64,
    pub remember: bool,
    pub bytes: u64,
}

/// What one partition's task did: what it stored, its result, and how long each step took.
struct Ran {
    stored: Vec<Stored>,
    result: Result<Computed, CallError>,
    store: Duration,
    compute: Duration,
}

fn object(id: u64) -> TaskInput {
    TaskInput { value: Some(task_input::Value::Object(id)) }
}

impl Coordinator {
    /// Runs the partitions `which` of a job, each on its owner, all at once.
    pub(super) fn execute(&self, job: &Job, which: &[usize]) -> Result<Vec<Done>, Failure> {
        let mut tasks = Vec::with_capacity(which.len());
        for &i in which {
            let w = self.owner(i)?;
            let (r0, r1) = job.ranges[i];
            let mut args = Vec::with_capacity(job.inputs.len());
            for (j, input) in job.inputs.iter().enumerate() {
                args.push(match input {
                    Input::Remote(p) => Arg::Held(self.part_on_live_worker(p, i)?),
                    Input::Local(d) => self.arg_for(d, job.sends[j], w, r0, r1)?,
                });
            }
            let held = args.iter().filter(|a| matches!(a, Arg::Held(_))).count();
            Counters::add(&self.stats.reused, held as u64);
            tasks.push((i, w, args));
        }
        self.run_tasks(&job.ir, tasks)
    }

    /// Stores what each task's worker lacks and runs the tasks concurrently.
    fn run_tasks(&self, ir: &str, tasks: Vec<(usize, usize, Vec<Arg>)>) -> Result<Vec<Done>, Failure> {
        let ran = in_parallel(tasks, |(i, w, args)| (i, w, self.run_task(ir, w, args)));
        let mut done = Vec::with_capacity(ran.len());
        let mut failed = Vec::new();
        let (mut store_time, mut compute_time) = (Duration::ZERO, Duration::ZERO);
        for r in ran {
            match r {
                Ok((i, w, Ran { stored, result, store, compute })) => {
                    store_time = store_time.max(store);
                    compute_time = compute_time.max(compute);
                    self.remember(w, stored);
                    match result {
                        Ok(computed) => done.push(Done { range: i, worker: w, computed }),
                        Err(e) => failed.push((w, e)),
                    }
                }
                Err(e) => return Err(Failure::Error(DistError::Worker(e.message))),
            }
        }
        Counters::add_time(&self.stats.store_ns, store_time);
        Counters::add_time(&self.stats.compute_ns, compute_time);
        if failed.is_empty() {
            return Ok(done);
        }
        // Something failed: free this attempt's results, then say why.
        self.free(done.iter().flat_map(Done::stored_outputs).collect());
        Err(self.classify(failed))
    }

    /// One partition's task on worker `w`: the stores it needs, then the computation.
    fn run_task(&self, ir: &str, w: usize, args: Vec<Arg>) -> Ran {
        let started = Instant::now();
        let to_store: Vec<(usize, &Data)> = args
            .iter()
            .enumerate()
            .filter_map(|(j, a)| match a {
                Arg::Store { data, .. } => Some((j, data)),
                _ => None,
            })
            .collect();
        let results = in_parallel(to_store, |(j, data)| (j, self.transport.store(w, data)));
        let mut inputs: Vec<Option<TaskInput>> = args
            .iter()
            .map(|a| match a {
                Arg::Held(id) => Some(object(*id)),
                Arg::Scalar(s) => Some(TaskInput { value: Some(task_input::Value::Scalar(s.clone())) }),
                Arg::Store { .. } => None,
            })
            .collect();
        let mut stored = Vec::new();
        let mut failure = None;
        for r in results {
            match r {
                Ok((j, Ok((id, bytes)))) => {
                    inputs[j] = Some(object(id));
                    if let Arg::Store { data, remember } = &args[j] {
                        stored.push(Stored { data: data.clone(), id, remember: *remember, bytes });
                    }
                }
                Ok((_, Err(e))) | Err(e) => failure = Some(e),
            }
        }
        let store = started.elapsed();
        if let Some(e) = failure {
            return Ran { stored, result: Err(e), store, compute: Duration::ZERO };
        }
        let inputs = inputs.into_iter().flatten().collect();
        let computing = Instant::now();
        let result = self.transport.compute(w, ir, inputs);
        Ran { stored, result, store, compute: computing.elapsed() }
    }

    /// What failed calls mean: a refusal by the worker's rules (`PermissionDenied`), an execution
    /// error, another error the worker answered with, or lost workers (those that do not pass a
    /// health check).
    pub(super) fn classify(&self, failed: Vec<(usize, CallError)>) -> Failure {
        let mut lost = Vec::new();
        let mut execution: Option<String> = None;
        for (w, e) in failed {
            let address = self.transport.address(w);
            if e.code == Code::PermissionDenied {
                return Failure::Error(DistError::Refused(format!("worker `{address}` refused: {}", e.message)));
            } else if e.code == Code::Aborted {
                execution.get_or_insert_with(|| format!("worker `{address}`: {}", e.message));
            } else if e.is_answer() || self.transport.ping(w).is_ok() {
                return Failure::Error(DistError::Worker(format!("worker `{address}` failed: {}", e.describe())));
            } else {
                lost.push((w, e.describe()));
            }
        }
        match execution {
            Some(message) => Failure::Execution(message),
            None => Failure::Lost(lost),
        }
    }
}
