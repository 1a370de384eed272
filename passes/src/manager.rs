//! The pass manager: runs the pipeline's passes in order, verifies the module after each pass when
//! asked to (tests and debug builds), and calls an observer after every stage (this is how
//! `--explain` prints the IR; passes themselves never print).

use crate::pipeline::pipeline;
use crate::stages::Stage;
use crate::{CompileOptions, PassCx, PassError};
use daphne_ir::{Module, verify};

/// Runs the whole pipeline over a module.
pub fn run_pipeline(
    m: &mut Module,
    opts: &CompileOptions,
    observer: &mut dyn FnMut(&Stage, &Module),
) -> Result<(), PassError> {
    let mut cx = PassCx { options: opts };
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
        }
        observer(plan.stage, m);
    }
    Ok(())
}
