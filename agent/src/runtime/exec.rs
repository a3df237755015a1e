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
        Ok(if inspect.running == Some(true) {
            None
        } else {
            inspect.exit_code
        })
    }
}

/// Starts `command` in the container `container_id`, attached.
pub async fn start(
    docker: &bollard::Docker,
    container_id: &str,
    command: Vec<String>,
    tty: bool,
    stdin: bool,
) -> Result<super::ExecSession, RuntimeError> {
    use futures_util::StreamExt;
    let docker_err = |e: bollard::errors::Error| RuntimeError::Docker(e.to_string());
    let config = bollard::exec::CreateExecOptions {
        cmd: Some(command),
        attach_stdin: Some(stdin),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        tty: Some(tty),
        ..Default::default()
    };
    let exec = docker
        .create_exec(container_id, config)
        .await
        .map_err(docker_err)?;
    let started = docker
        .start_exec(&exec.id, None)
        .await
        .map_err(docker_err)?;
    let bollard::exec::StartExecResults::Attached { output, input } = started else {
        return Err(RuntimeError::Docker("exec started detached".into()));
    };
    let output = output
        .filter_map(|chunk| async move {
            match chunk {
                Ok(bollard::container::LogOutput::StdErr { message }) => {
                    Some(Ok(super::ExecOutput::Stderr(message.to_vec())))
                }
                Ok(
                    bollard::container::LogOutput::StdOut { message }
                    | bollard::container::LogOutput::Console { message },
                ) => Some(Ok(super::ExecOutput::Stdout(message.to_vec()))),
                Ok(bollard::container::LogOutput::StdIn { .. }) => None,
                Err(e) => Some(Err(RuntimeError::Docker(e.to_string()))),
            }
        })
        .boxed();
    Ok(super::ExecSession {
        stdin: stdin.then_some(input),
        output,
        control: ExecControl {
            docker: docker.clone(),
            exec_id: exec.id,
        },
    })
}
