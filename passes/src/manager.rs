//! The pass manager: runs the pipeline's passes in order, verifies the module after each pass when
//! asked to (tests and debug builds), and reports to an observer after every pass and every stage
//! (this is how `--explain` prints the IR and how tests diff a pass's effect; passes themselves
//! never print).

use crate::pipeline::pipeline;
use crate::stages::Stage;
use crate::{CompileOptions, PassCx, PassError};
use daphne_ir::fold::ConstantFolder;
use daphne_ir::{Module, verify};

/// What the observer is told about.
#[derive(Clone, Copy, Debug)]
pub enum Event<'a> {
    /// A pass of the stage has run (and the module verified, when verification is on).
    AfterPass { stage: &'static Stage, pass: &'a str },
    /// Every pass of the stage has run.
    AfterStage(&'static Stage),
}

/// Runs the whole pipeline over a module. `folder` evaluates constant expressions for constant
/// folding (the driver passes the runtime's); without one, nothing is folded.
pub fn run_compile_pipeline(
    m: &mut Module,
    opts: &CompileOptions,
    folder: Option<&dyn ConstantFolder>,
    observer: &mut dyn FnMut(Event<'_>, &Module),
) -> Result<(), PassError> {
    let mut cx = PassCx { options: opts, folder };
    for plan in pipeline(opts) {
        for (pass, _why) in &plan.passes {
            pass.run(m, &mut cx)?;
            if opts.verify_each_pass {
                verify(m).map_err(|e| PassError {
                    pass: pass.name(),
                    loc: e.loc.clone(),
                    message: format!("the module does not verify after this pass: {e}"),
                    user_error: false,
                })?;
            }
            observer(Event::AfterPass { stage: plan.stage, pass: pass.name() }, m);
        }
        observer(Event::AfterStage(plan.stage), m);
    }
    Ok(())
}
