//! `kubectl exec` on Docker: an exec instance attached to the container, its TTY resizable and
//! its exit code readable once the output ends.

use super::RuntimeError;

/// The handle of a running exec that stays with the caller while stdin and output move to
/// their own tasks.
#[derive(Clone)]
pub struct ExecControl {
    docker: bollard::Docker,
    exec_id: String,
}

impl ExecControl {
    /// Sets the TTY size (only meaningful for sessions started with a TTY).
    pub async fn resize(&self, cols: u16, rows: u16) -> Result<(), RuntimeError> {
        let options = bollard::query_parameters::ResizeExecOptions {
            h: i32::from(rows),
            w: i32::from(cols),
        };
        self.docker
            .resize_exec(&self.exec_id, options)
            .await
            .map_err(|e| RuntimeError::Docker(e.to_string()))
    }

    /// The command's exit code, `None` while it is still running.
    pub async fn exit_code(&self) -> Result<Option<i64>, RuntimeError> {
        let inspect = self
            .docker
            .inspect_exec(&self.exec_id)
            .await
            .map_err(|e| RuntimeError::Docker(e.to_string()))?;
        Ok(if inspect.running == Some(true) { None } else { inspect.exit_code })
    }
}
