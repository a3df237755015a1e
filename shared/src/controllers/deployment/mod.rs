//! The Deployment controller (placeholder while it is written).
#[derive(Debug, Default)]
pub struct DeploymentController;
impl super::Controller for DeploymentController {
    fn name(&self) -> &'static str { "deployment-controller" }
    fn reconcile(&mut self, _api: &mut crate::apiserver::ApiServer, _now: jiff::Timestamp) -> super::Reconciled { super::Reconciled::default() }
}
