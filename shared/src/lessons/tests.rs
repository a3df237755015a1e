//! Every built-in lesson, completed by a student who types its own steps into kubectl
//! against a real control plane with three simulated nodes; and wrong moves that must not
//! tick a task.

use super::builtin;
use super::*;
use crate::kubectl::{Local, Session, SimShell};
use crate::sim::nodes::{add_node, NodeSpec};
use crate::ControlPlane;
use jiff::{SignedDuration, Timestamp};
use std::collections::{BTreeMap, BTreeSet};

/// The terminal's files, as the page offers them (`./k8s/`, `./examples/`).
fn seed_files() -> BTreeMap<String, String> {
    let files = [
        (
            "k8s/deployment.yaml",
            include_str!("../../tests/fixtures/seed/deployment.yaml"),
        ),
        (
            "k8s/service.yaml",
            include_str!("../../tests/fixtures/seed/service.yaml"),
        ),
        (
            "k8s/configmap.yaml",
            include_str!("../../tests/fixtures/seed/configmap.yaml"),
        ),
        (
            "k8s/secret.yaml",
            include_str!("../../tests/fixtures/seed/secret.yaml"),
        ),
        (
            "k8s/ingress.yaml",
            include_str!("../../tests/fixtures/seed/ingress.yaml"),
        ),
        (
            "k8s/hpa.yaml",
            include_str!("../../tests/fixtures/seed/hpa.yaml"),
        ),
        (
            "examples/env-from.yaml",
            include_str!("../../tests/fixtures/seed/env-from.yaml"),
        ),
        (
            "examples/probes.yaml",
            include_str!("../../tests/fixtures/seed/probes.yaml"),
        ),
        (
            "examples/pvc.yaml",
            include_str!("../../tests/fixtures/seed/pvc.yaml"),
        ),
        (
            "examples/postgres-pod.yaml",
            include_str!("../../tests/fixtures/seed/postgres-pod.yaml"),
        ),
    ];
    files
        .iter()
        .map(|(p, c)| (p.to_string(), c.to_string()))
        .collect()
}

struct Student {
    cp: ControlPlane,
    session: Session,
    files: BTreeMap<String, String>,
    now: Timestamp,
    lesson: Lesson,
    done: BTreeSet<String>,
}

impl Student {
    /// A fresh three-node playground with `lesson`'s starting objects.
    fn start(lesson: &Lesson) -> Self {
        let now: Timestamp = "2026-01-01T12:00:00Z".parse().unwrap();
        let mut cp = ControlPlane::new(7, now);
        for i in 1..=3 {
            let spec = NodeSpec {
                name: format!("node-{i}"),
                cpu: "4".into(),
                memory: "8Gi".into(),
                pods: 110,
            };
            add_node(cp.api_mut(), &spec, now).unwrap();
        }
        let outcomes = setup::apply_setup(cp.api_mut(), lesson, now).unwrap();
        assert!(
            outcomes.iter().all(|o| o.result.is_ok()),
            "setup of {}: {outcomes:?}",
            lesson.id
        );
        let mut student = Self {
            cp,
            session: Session::new(),
            files: seed_files(),
            now,
            lesson: lesson.clone(),
            done: BTreeSet::new(),
        };
        student.wait(2);
        student
    }

    /// A terminal line; a follow (`-w`, `rollout status`) is stopped at once, like Ctrl+C.
    fn kubectl(&mut self, line: &str) -> String {
        let mut transport = Local::new(&mut self.cp, self.now);
        let cluster_now = transport.cluster_now();
        let outcome = self.session.run(
            &mut transport,
            line,
            &self.files,
            &mut SimShell,
            cluster_now,
        );
        if let Some(follow) = outcome.follow {
            follow.stop(&mut transport);
        }
        format!("{}{}", outcome.stdout, outcome.stderr)
    }

    fn wait(&mut self, seconds: i64) {
        for _ in 0..seconds {
            self.now += SignedDuration::from_secs(1);
            self.cp.tick(self.now);
        }
    }

    fn checks(&self) -> Vec<TaskCheck> {
        check_lesson(&self.lesson, self.cp.api())
    }

    /// Lets the cluster run until `task` ticks, at most `seconds`; whether it did.
    fn ticks_within(&mut self, task: &str, seconds: i64) -> bool {
        for _ in 0..=seconds {
            self.done = advance(&self.lesson, &self.checks(), &self.done);
            if self.done.contains(task) {
                return true;
            }
            self.wait(1);
        }
        false
    }

    fn observed(&self, task: &str) -> Vec<String> {
        let checks = self.checks();
        let found = checks.iter().find(|c| c.id == task);
        found
            .map(|c| c.conditions.iter().map(|c| c.observed.clone()).collect())
            .unwrap_or_default()
    }
}

fn lesson(id: &str) -> Lesson {
    builtin::lessons()
        .unwrap()
        .into_iter()
        .find(|l| l.id == id)
        .unwrap()
}

#[test]
fn every_built_in_lesson_reads_and_ids_are_unique() {
    let lessons = builtin::lessons().unwrap_or_else(|(file, e)| panic!("{file}: {e}"));
    assert_eq!(lessons.len(), builtin::FILES.len());
    let ids: BTreeSet<_> = lessons.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(ids.len(), lessons.len());
}

#[test]
fn every_lesson_completes_by_following_its_own_steps() {
    for lesson in builtin::lessons().unwrap() {
        let mut student = Student::start(&lesson);
        for task in &lesson.tasks {
            let mut transcript = String::new();
            for step in &task.steps {
                transcript.push_str(&format!("$ {step}\n{}", student.kubectl(step)));
            }
            // The HPA waits five minutes before it scales down; everything else is quick.
            assert!(
                student.ticks_within(&task.id, 600),
                "{}/{} did not tick; now: {:?}\n{transcript}",
                lesson.id,
                task.id,
                student.observed(&task.id)
            );
        }
        assert_eq!(student.done.len(), lesson.tasks.len(), "{}", lesson.id);
    }
}

#[test]
fn scaling_to_the_wrong_number_does_not_tick() {
    let mut student = Student::start(&lesson("scaling"));
    student.kubectl("kubectl scale deployment my-api --replicas=4");
    assert!(
        !student.ticks_within("up", 60),
        "{:?}",
        student.observed("up")
    );
    let seen = student.observed("up").join("; ");
    assert!(seen.contains("spec.replicas is 4; wanted 5"), "{seen}");
    student.kubectl("kubectl scale deployment my-api --replicas=5");
    assert!(student.ticks_within("up", 60));
}

#[test]
fn a_wrong_label_does_not_tick() {
    let mut student = Student::start(&lesson("pods"));
    student.kubectl("kubectl apply -f ./examples/probes.yaml");
    assert!(student.ticks_within("create", 60));
    student.kubectl("kubectl label pod api-with-probes tier=frontend");
    assert!(
        !student.ticks_within("label", 10),
        "{:?}",
        student.observed("label")
    );
    student.kubectl("kubectl label pod api-with-probes tier=backend --overwrite");
    assert!(student.ticks_within("label", 10));
}

#[test]
fn a_broken_image_does_not_complete_the_rollout() {
    let mut student = Student::start(&lesson("rollouts"));
    student.kubectl("kubectl set image deployment/my-api api=myapp:3.0");
    assert!(
        !student.ticks_within("update", 120),
        "{:?}",
        student.observed("update")
    );
}

#[test]
fn tasks_tick_in_order_and_stay_done() {
    let lesson = lesson("scaling");
    let mut student = Student::start(&lesson);
    // Parking at 0 first does not tick "zero" while "up" is still open.
    student.kubectl("kubectl scale deployment my-api --replicas=0");
    student.wait(10);
    assert!(student.checks().iter().any(|c| c.id == "zero" && c.passed));
    assert!(!student.ticks_within("zero", 5));
    student.kubectl("kubectl scale deployment my-api --replicas=5");
    assert!(student.ticks_within("up", 60));
    student.kubectl("kubectl scale deployment my-api --replicas=2");
    student.wait(10);
    student.done = advance(&lesson, &student.checks(), &student.done);
    assert!(student.done.contains("up"), "a done task stays done");
}

#[test]
fn a_condition_reports_what_it_sees() {
    let mut student = Student::start(&lesson("deployments"));
    let seen = student.observed("apply");
    assert_eq!(seen[0], "Deployment my-api does not exist; wanted 3");
    assert_eq!(
        seen[1],
        "Pods with app=my-api, status.phase=Running: 0 found; wanted 3"
    );
    student.kubectl("kubectl apply -f ./k8s/deployment.yaml");
    assert!(student.ticks_within("apply", 60));
    assert_eq!(
        student.observed("apply")[0],
        "Deployment my-api status.readyReplicas is 3"
    );
}

#[test]
fn the_example_in_the_teachers_guide_reads() {
    let guide = include_str!("../../../lessons/README.md");
    let start = guide.find("```yaml\n").expect("a yaml example") + "```yaml\n".len();
    let end = start + guide[start..].find("```").unwrap();
    let lesson = parse(&guide[start..end]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(lesson.id, "scaling-demo");
    assert_eq!(lesson.tasks.len(), 2);
    let mut student = Student::start(&lesson);
    for task in &lesson.tasks {
        for step in &task.steps {
            student.kubectl(step);
        }
        assert!(
            student.ticks_within(&task.id, 120),
            "{}: {:?}",
            task.id,
            student.observed(&task.id)
        );
    }
}

#[test]
fn a_missing_status_count_reads_as_zero_and_terminating_pods_as_gone() {
    let source = "id: zero
title: Zero
explanation: x
tasks:
- id: park
  title: Park
  steps: [kubectl scale deployment my-api --replicas=0]
  check:
  - kind: Deployment
    name: my-api
    field: status.readyReplicas
    equals: 0
  - kind: Pod
    selector: app=my-api
    count: 0
";
    let lesson = parse(source).unwrap();
    let mut student = Student::start(&lesson);
    student.kubectl("kubectl apply -f ./k8s/deployment.yaml");
    student.wait(20);
    assert!(!student.ticks_within("park", 0));
    student.kubectl("kubectl scale deployment my-api --replicas=0");
    // The Pods are still stopping; the check does not wait for them to vanish.
    let pods = student.kubectl("kubectl get pods -l app=my-api");
    assert!(pods.contains("Terminating"), "{pods}");
    assert!(
        student.ticks_within("park", 0),
        "{:?}",
        student.observed("park")
    );
}

#[test]
fn looking_up_another_name_does_not_tick_the_dns_task() {
    let mut student = Student::start(&lesson("services"));
    student.kubectl("kubectl apply -f ./k8s/service.yaml");
    assert!(student.ticks_within("clusterip", 60));
    student
        .kubectl("kubectl run dns-test --image=busybox --restart=Never -- nslookup my-api-service");
    assert!(
        !student.ticks_within("dns", 30),
        "{:?}",
        student.observed("dns")
    );
}
