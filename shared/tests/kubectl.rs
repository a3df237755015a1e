//! The seed page's cheat sheet, typed into the in-page kubectl against a real
//! control plane with three simulated nodes on a fake clock. Each test reads
//! like the commands a learner types and checks what kubectl would print.

use jiff::{SignedDuration, Timestamp};
use kubeplay_shared::kubectl::{complete, Local, Outcome, Session, SimShell};
use kubeplay_shared::sim::nodes::{add_node, NodeSpec};
use kubeplay_shared::ControlPlane;
use std::collections::BTreeMap;

const FIXTURES: &[(&str, &str)] = &[
    ("k8s/deployment.yaml", include_str!("fixtures/seed/deployment.yaml")),
    ("k8s/service.yaml", include_str!("fixtures/seed/service.yaml")),
    ("k8s/configmap.yaml", include_str!("fixtures/seed/configmap.yaml")),
];

struct Term {
    cp: ControlPlane,
    now: Timestamp,
    session: Session,
    files: BTreeMap<String, String>,
}

impl Term {
    fn new() -> Self {
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let mut cp = ControlPlane::new(7, now);
        for i in 1..=3 {
            let spec = NodeSpec { name: format!("node-{i}"), cpu: "4".into(), memory: "8Gi".into(), pods: 110 };
            add_node(cp.api_mut(), &spec, now).unwrap();
        }
        let files = FIXTURES.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let mut t = Self { cp, now, session: Session::new(), files };
        t.wait(5);
        t
    }

    fn wait(&mut self, secs: i64) {
        let until = self.now.checked_add(SignedDuration::from_secs(secs)).unwrap();
        self.now = self.cp.run_until(self.now, until, SignedDuration::from_secs(1));
    }

    fn run(&mut self, line: &str) -> Outcome {
        let mut transport = Local::new(&mut self.cp, self.now);
        self.session.run(&mut transport, line, &self.files, &mut SimShell, self.now)
    }

    /// Runs a command that must succeed and returns its stdout.
    fn ok(&mut self, line: &str) -> String {
        let o = self.run(line);
        assert_eq!(o.exit_code, 0, "{line}\nstdout:\n{}\nstderr:\n{}", o.stdout, o.stderr);
        o.stdout
    }

    fn err(&mut self, line: &str) -> String {
        let o = self.run(line);
        assert_ne!(o.exit_code, 0, "{line} should fail\nstdout:\n{}", o.stdout);
        o.stderr
    }

    fn poll(&mut self, follow: &mut kubeplay_shared::kubectl::Follow) -> kubeplay_shared::kubectl::Polled {
        let mut transport = Local::new(&mut self.cp, self.now);
        follow.poll(&mut transport, self.now)
    }

    fn complete(&mut self, line: &str) -> Vec<String> {
        let mut transport = Local::new(&mut self.cp, self.now);
        complete(&mut self.session, &mut transport, line, line.len(), &self.files)
    }

    fn pod_names(&mut self) -> Vec<String> {
        let out = self.ok("kubectl get pods -l app=my-api -o jsonpath={.items[*].metadata.name}");
        out.split_whitespace().map(str::to_string).collect()
    }

    fn deployed() -> Self {
        let mut t = Self::new();
        t.ok("kubectl apply -f ./k8s/");
        t.wait(60);
        t
    }
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

/// Splits a table line into its cells (columns are separated by 3+ spaces or end).
fn cells(line: &str) -> Vec<&str> {
    line.split("   ").map(str::trim).filter(|c| !c.is_empty()).collect()
}

#[test]
fn apply_a_folder_then_again_reports_unchanged() {
    let mut t = Term::new();
    assert_eq!(
        lines(&t.ok("kubectl apply -f ./k8s/")),
        ["configmap/app-config created", "deployment.apps/my-api created", "service/my-api-service created"]
    );
    assert_eq!(lines(&t.ok("kubectl apply -f k8s/deployment.yaml")), ["deployment.apps/my-api unchanged"]);
    t.files.insert("k8s/deployment.yaml".into(), include_str!("fixtures/seed/deployment.yaml").replace("replicas: 3", "replicas: 4"));
    assert_eq!(lines(&t.ok("kubectl apply -f k8s/deployment.yaml")), ["deployment.apps/my-api configured"]);
    assert_eq!(t.err("kubectl apply -f nope.yaml"), "error: the path \"nope.yaml\" does not exist\n");
    t.ok("kubectl delete -f k8s/service.yaml");
    assert_eq!(t.ok("kubectl apply -f k8s/service.yaml --dry-run=server"), "service/my-api-service created (server dry run)\n");
    assert_eq!(t.ok("kubectl apply -f k8s/service.yaml --dry-run=client"), "service/my-api-service created (dry run)\n");
    assert_eq!(t.err("kubectl get svc my-api-service"), "Error from server (NotFound): services \"my-api-service\" not found\n");
}

#[test]
fn get_pods_deployments_services_as_kubectl_prints_them() {
    let mut t = Term::deployed();
    let pods = t.ok("kubectl get pods");
    let rows = lines(&pods);
    assert_eq!(rows[0], "NAME                      READY   STATUS    RESTARTS   AGE");
    assert_eq!(rows.len(), 4);
    for row in &rows[1..] {
        assert_eq!(cells(row)[1..], ["1/1", "Running", "0", "60s"], "{row}");
    }
    let wide = t.ok("kubectl get pods -o wide");
    assert!(lines(&wide)[0].ends_with("IP           NODE     NOMINATED NODE   READINESS GATES"), "{wide}");
    assert!(wide.contains("node-1") && wide.contains("node-2") && wide.contains("node-3"));
    assert_eq!(
        lines(&t.ok("kubectl get deployments")),
        ["NAME     READY   UP-TO-DATE   AVAILABLE   AGE", "my-api   3/3     3            3           60s"]
    );
    let svc = t.ok("kubectl get svc");
    assert_eq!(cells(lines(&svc)[0]), ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]);
    assert_eq!(cells(lines(&svc)[2])[0..2], ["my-api-service", "ClusterIP"]);
    assert_eq!(cells(lines(&svc)[2])[3..5], ["<none>", "80/TCP"]);
}

#[test]
fn get_all_prints_one_table_per_kind_with_kind_prefixes() {
    let mut t = Term::deployed();
    let all = t.ok("kubectl get all");
    let blocks: Vec<&str> = all.split("\n\n").collect();
    assert_eq!(blocks.len(), 4, "{all}");
    assert!(blocks[0].starts_with("NAME                          READY   STATUS"));
    assert_eq!(blocks[0].matches("pod/my-api-").count(), 3);
    assert!(blocks[1].contains("service/kubernetes") && blocks[1].contains("service/my-api-service"));
    assert!(blocks[2].contains("deployment.apps/my-api   3/3"));
    assert!(blocks[3].starts_with("NAME                                DESIRED   CURRENT   READY   AGE\nreplicaset.apps/my-api-"));
}

#[test]
fn namespaces_flags_and_empty_lists() {
    let mut t = Term::deployed();
    let ns = t.ok("kubectl get namespaces");
    assert_eq!(cells(lines(&ns)[1]), ["default", "Active", "65s"]);
    assert_eq!(lines(&t.ok("kubectl create namespace production")), ["namespace/production created"]);
    let o = t.run("kubectl -n production get pods");
    assert_eq!((o.stdout.as_str(), o.stderr.as_str(), o.exit_code), ("", "No resources found in production namespace.\n", 0));
    let o = t.run("kubectl get pods --namespace=production -l app=x");
    assert_eq!(o.stderr, "No resources found in production namespace.\n");
    let all = t.ok("kubectl get deploy -A");
    assert_eq!(cells(lines(&all)[0]), ["NAMESPACE", "NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]);
    assert_eq!(cells(lines(&all)[1])[..2], ["default", "my-api"]);
    let labels = t.ok("kubectl get pods --show-labels");
    assert!(lines(&labels)[0].ends_with("AGE   LABELS"));
    assert!(lines(&labels)[1].ends_with("app=my-api,pod-template-hash=".to_string().as_str()) || lines(&labels)[1].contains("app=my-api,pod-template-hash="));
    let app = t.ok("kubectl get pods -L app");
    assert!(lines(&app)[0].ends_with("AGE   APP"), "{app}");
    assert!(lines(&app)[1].ends_with("   my-api"), "{app}");
    let sorted = t.ok("kubectl get pods --sort-by=.metadata.name --no-headers");
    let names: Vec<&str> = sorted.lines().map(|l| cells(l)[0]).collect();
    let mut expected = names.clone();
    expected.sort();
    assert_eq!(names, expected);
    let events = t.ok("kubectl get events --sort-by=.lastTimestamp");
    assert!(lines(&events)[0].starts_with("LAST SEEN   TYPE     REASON"), "{events}");
    t.ok("kubectl config set-context --current --namespace=production");
    assert_eq!(t.run("kubectl get pods").stderr, "No resources found in production namespace.\n");
    assert_eq!(t.ok("kubectl delete namespace production"), "namespace \"production\" deleted\n");
}

#[test]
fn get_by_name_yaml_json_name_and_jsonpath() {
    let mut t = Term::deployed();
    let yaml = t.ok("kubectl get deployment my-api -o yaml");
    assert!(yaml.starts_with("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"), "{yaml}");
    assert!(yaml.contains("  replicas: 3\n"));
    let json = t.ok("kubectl get deploy/my-api -ojson");
    assert!(json.starts_with("{\n    \"apiVersion\": \"apps/v1\",\n    \"kind\": \"Deployment\",\n"), "{json}");
    let list = t.ok("kubectl get svc -o yaml");
    assert!(list.starts_with("apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Service\n"), "{list}");
    assert!(list.ends_with("kind: List\nmetadata:\n  resourceVersion: \"\"\n"));
    assert_eq!(t.ok("kubectl get deployments -o name"), "deployment.apps/my-api\n");
    assert_eq!(t.ok("kubectl get deploy my-api -o jsonpath={.spec.replicas}"), "3");
    assert_eq!(t.ok("kubectl get pods -o 'jsonpath={.items[*].spec.containers[0].image}'"), "myapp:1.0 myapp:1.0 myapp:1.0");
    let custom = t.ok("kubectl get pods -o custom-columns=NAME:.metadata.name,NODE:.spec.nodeName,GATES:.spec.readinessGates");
    assert_eq!(cells(lines(&custom)[0]), ["NAME", "NODE", "GATES"]);
    assert!(lines(&custom)[1].starts_with("my-api-") && lines(&custom)[1].contains("   node-") && lines(&custom)[1].ends_with("<none>"), "{custom}");
    let rows = t.ok("kubectl get pods,deploy");
    assert!(rows.contains("pod/my-api-") && rows.contains("\n\nNAME                     READY   UP-TO-DATE"));
}

#[test]
fn errors_are_worded_as_kubectl_words_them() {
    let mut t = Term::deployed();
    assert_eq!(t.err("kubectl get pods --foo"), "error: unknown flag: --foo\nSee 'kubectl get --help' for usage.\n");
    assert_eq!(t.err("kubectl get foo"), "error: the server doesn't have a resource type \"foo\"\n");
    assert_eq!(t.err("kubectl get pod nope"), "Error from server (NotFound): pods \"nope\" not found\n");
    assert_eq!(t.err("kubectl describe deployment nope"), "Error from server (NotFound): deployments.apps \"nope\" not found\n");
    assert_eq!(t.err("kubectl frobnicate"), "error: unknown command \"frobnicate\" for \"kubectl\"\n");
    assert_eq!(t.err("kubectl get pods -o xml"), "error: unable to match a printer suitable for the output format \"xml\", allowed formats are: custom-columns,json,jsonpath,name,wide,yaml\n");
    assert_eq!(t.err("kubectl get"), "error: You must specify the type of resource to get. Use \"kubectl api-resources\" for a complete list of supported resources.\n");
    assert_eq!(t.err("kubectl scale deployment my-api"), "error: required flag(s) \"replicas\" not set\n");
    assert_eq!(t.err("kubectl get pods -n"), "error: flag needs an argument: 'n' in -n\nSee 'kubectl get --help' for usage.\n");
}

#[test]
fn describe_pod_and_deployment_in_kubectls_layout() {
    let mut t = Term::deployed();
    let pod = t.pod_names()[0].clone();
    let page = t.ok(&format!("kubectl describe pod {pod}"));
    let l = lines(&page);
    assert_eq!(l[0], format!("Name:             {pod}"));
    assert_eq!(l[1], "Namespace:        default");
    assert!(l.contains(&"Labels:           app=my-api"), "{page}");
    assert!(l.contains(&"Status:           Running"));
    assert!(l.contains(&"Controlled By:  ReplicaSet/my-api-55bc76bc4c") || l.iter().any(|x| x.starts_with("Controlled By:  ReplicaSet/my-api-")));
    assert!(l.contains(&"    Image:          myapp:1.0"));
    assert!(l.contains(&"    State:          Running"));
    assert!(l.contains(&"      DATABASE_URL:  postgres://user:pass@db-service:5432/mydb"));
    assert!(l.contains(&"  Type    Reason     Age   From               Message"), "{page}");
    assert!(l.iter().any(|x| x.starts_with("  Normal  Scheduled  60s   default-scheduler  Successfully assigned default/")));
    let d = t.ok("kubectl describe deployment my-api");
    let l = lines(&d);
    assert!(l.contains(&"Replicas:               3 desired | 3 updated | 3 total | 3 available | 0 unavailable"), "{d}");
    assert!(l.contains(&"RollingUpdateStrategy:  25% max unavailable, 25% max surge"));
    assert!(l.contains(&"   api:"));
    assert!(l.contains(&"  Available      True    MinimumReplicasAvailable"));
    assert!(l.iter().any(|x| x.starts_with("NewReplicaSet:   my-api-") && x.ends_with(" (3/3 replicas created)")));
    assert!(l.iter().any(|x| x.starts_with("  Normal  ScalingReplicaSet  60s   deployment-controller  Scaled up replica set my-api-")));
    let svc = t.ok("kubectl describe service my-api-service");
    assert!(svc.contains("\nTargetPort:               3000/TCP\n"), "{svc}");
    assert_eq!(svc.lines().find(|l| l.starts_with("Endpoints:")).unwrap().matches(":3000").count(), 3);
    t.ok("kubectl expose deployment my-api --name=my-api-lb --type=LoadBalancer --port=80 --target-port=3000");
    let lb = t.ok("kubectl describe svc my-api-lb");
    assert!(lb.lines().any(|l| l.starts_with("LoadBalancer Ingress:") && l.ends_with(" (VIP)")), "{lb}");
    assert!(lb.lines().any(|l| l.starts_with("NodePort:") && l.contains("<unset>  3")), "{lb}");
    assert!(lb.contains("\nExternal Traffic Policy:  Cluster\n"), "{lb}");
    let node = t.ok("kubectl describe node node-1");
    assert!(node.contains("Non-terminated Pods:          (1 in total)"), "{node}");
    let cm = t.ok("kubectl describe configmap app-config");
    assert!(cm.contains("Data\n====\nAPP_ENV:\n----\nproduction\n"), "{cm}");
}

#[test]
fn logs_follow_and_container_choice() {
    let mut t = Term::deployed();
    let pod = t.pod_names()[0].clone();
    let logs = t.ok(&format!("kubectl logs {pod}"));
    assert!(logs.contains("Server listening on port 3000"), "{logs}");
    assert_eq!(t.ok(&format!("kubectl logs {pod} -c api")), logs);
    assert_eq!(t.ok(&format!("kubectl logs {pod} --tail=1")).lines().count(), 1);
    assert!(t.ok("kubectl logs deploy/my-api").contains("Server listening on port 3000"));
    assert_eq!(t.err(&format!("kubectl logs {pod} -c nope")), format!("Error from server (BadRequest): container nope is not valid for pod {pod}\n"));
    let by_label = t.ok("kubectl logs -l app=my-api --prefix");
    assert_eq!(by_label.lines().filter(|l| l.ends_with("] Server listening on port 3000")).count(), 3, "{by_label}");
    assert!(by_label.lines().all(|l| l.starts_with("[pod/my-api-") && l.contains("/api] ")), "{by_label}");
    let mut o = t.run(&format!("kubectl logs -f {pod}"));
    assert_eq!(o.stdout, logs);
    let mut follow = o.follow.take().expect("logs -f keeps following");
    let before = t.poll(&mut follow);
    assert_eq!(before.stdout, "", "nothing new yet");
    t.wait(60);
    let after = t.poll(&mut follow);
    assert!(!after.finished);
    let full = t.ok(&format!("kubectl logs {pod}"));
    assert_eq!(format!("{logs}{}", after.stdout), full, "follow printed exactly the new lines");
}

#[test]
fn exec_runs_in_the_simulated_containers_shell() {
    let mut t = Term::deployed();
    let pod = t.pod_names()[0].clone();
    let env = t.ok(&format!("kubectl exec {pod} -- env"));
    assert!(env.lines().any(|l| l == format!("HOSTNAME={pod}")), "{env}");
    assert!(env.lines().any(|l| l == "DATABASE_URL=postgres://user:pass@db-service:5432/mydb"), "{env}");
    assert!(env.lines().any(|l| l.starts_with("MY_API_SERVICE_SERVICE_HOST=10.96.")), "{env}");
    assert_eq!(t.ok(&format!("kubectl exec {pod} -c api -- echo hello")), "hello\n");
    let o = t.run(&format!("kubectl exec {pod} -- false"));
    assert_eq!((o.exit_code, o.stderr.as_str()), (1, "command terminated with exit code 1\n"));
    let o = t.run("kubectl exec deploy/my-api -- hostname");
    assert_eq!(o.exit_code, 0, "{}", o.stderr);
    let o = t.run(&format!("kubectl exec -it {pod} -- bash"));
    let session = o.interactive.expect("exec -it opens an interactive session");
    assert_eq!((session.target.pod.as_str(), session.target.container.as_str(), session.argv.as_slice()), (pod.as_str(), "api", ["bash".to_string()].as_slice()));
    assert!(session.tty);
    let transport = Local::new(&mut t.cp, t.now);
    let mut shell = session.open_simulated(&transport).expect("bash runs in myapp");
    assert_eq!(shell.run(transport.control_plane.api(), "echo $HOSTNAME", t.now).stdout, format!("{pod}\n"));
    assert_eq!(t.err(&format!("kubectl exec {pod}")), "error: you must specify at least one command for the container\n");
    assert_eq!(t.err(&format!("kubectl exec {pod} -c nope -- ls")), format!("Error from server (BadRequest): container nope is not valid for pod {pod}\n"));
    assert_eq!(t.err("kubectl exec nope -- ls"), "Error from server (NotFound): pods \"nope\" not found\n");
    assert_eq!(
        t.err(&format!("kubectl exec {pod} ls")),
        "error: exec [POD] [COMMAND] is not supported anymore. Use exec [POD] -- [COMMAND] instead\nSee 'kubectl exec -h' for help and examples\n"
    );
}

#[test]
fn scale_up_and_down_to_zero() {
    let mut t = Term::deployed();
    assert_eq!(t.ok("kubectl scale deployment my-api --replicas=5"), "deployment.apps/my-api scaled\n");
    t.wait(30);
    assert_eq!(t.pod_names().len(), 5);
    assert_eq!(t.ok("kubectl scale deploy/my-api --replicas=0"), "deployment.apps/my-api scaled\n");
    t.wait(60);
    assert_eq!(t.pod_names().len(), 0);
    assert_eq!(t.ok("kubectl get deploy my-api --no-headers"), "my-api   0/0   0     0     2m30s\n");
    assert_eq!(t.err("kubectl scale deployment my-api --replicas=2 --current-replicas=3"), "error: Expected replicas to be 3, was 0\n");
}

#[test]
fn rollout_status_follows_a_rolling_update_until_it_finishes() {
    let mut t = Term::deployed();
    t.ok("kubectl set image deployment/my-api api=myapp:2.0");
    let mut o = t.run("kubectl rollout status deployment my-api");
    assert!(o.stdout.starts_with("Waiting for deployment \"my-api\" rollout to finish: "), "{}", o.stdout);
    let mut follow = o.follow.take().expect("waits for the rollout");
    let mut printed = o.stdout.clone();
    let mut finished = false;
    for _ in 0..120 {
        t.wait(1);
        let p = t.poll(&mut follow);
        printed.push_str(&p.stdout);
        if p.finished {
            finished = true;
            break;
        }
    }
    assert!(finished, "{printed}");
    assert!(printed.ends_with("deployment \"my-api\" successfully rolled out\n"), "{printed}");
    assert!(printed.contains("old replicas are pending termination...\n") || printed.contains("updated replicas are available...\n"), "{printed}");
    let distinct: std::collections::BTreeSet<&str> = printed.lines().collect();
    assert_eq!(distinct.len(), printed.lines().count(), "each status line printed once: {printed}");
    assert_eq!(t.ok("kubectl rollout status deployment/my-api"), "deployment \"my-api\" successfully rolled out\n");
}

#[test]
fn set_image_then_history_and_undo() {
    let mut t = Term::deployed();
    assert_eq!(t.ok("kubectl set image deployment/my-api api=myapp:2.0"), "deployment.apps/my-api image updated\n");
    t.ok("kubectl annotate deployment my-api kubernetes.io/change-cause='image 2.0'");
    t.wait(120);
    assert_eq!(t.ok("kubectl rollout history deployment my-api"), "deployment.apps/my-api\nREVISION  CHANGE-CAUSE\n1         <none>\n2         image 2.0\n\n");
    let rev1 = t.ok("kubectl rollout history deployment my-api --revision=1");
    assert!(rev1.starts_with("deployment.apps/my-api with revision #1\nPod Template:\n"), "{rev1}");
    assert!(rev1.contains("    Image:      myapp:1.0\n"), "{rev1}");
    assert_eq!(t.ok("kubectl rollout undo deployment my-api"), "deployment.apps/my-api rolled back\n");
    t.wait(120);
    assert_eq!(t.ok("kubectl get deploy my-api -o jsonpath={.spec.template.spec.containers[0].image}"), "myapp:1.0");
    assert_eq!(t.ok("kubectl rollout history deploy/my-api"), "deployment.apps/my-api\nREVISION  CHANGE-CAUSE\n2         image 2.0\n3         image 2.0\n\n");
    assert_eq!(t.err("kubectl rollout undo deployment my-api --to-revision=9"), "error: unable to find specified revision 9 in history\n");
    assert_eq!(t.ok("kubectl rollout pause deployment my-api"), "deployment.apps/my-api paused\n");
    assert_eq!(t.err("kubectl rollout restart deployment my-api"), "error: deployments.apps \"my-api\" can't restart paused deployment (run rollout resume first)\n");
    assert_eq!(t.ok("kubectl rollout resume deployment my-api"), "deployment.apps/my-api resumed\n");
    assert_eq!(t.ok("kubectl rollout restart deployment my-api"), "deployment.apps/my-api restarted\n");
}

#[test]
fn contexts_list_and_switch() {
    let mut t = Term::new();
    assert_eq!(
        t.ok("kubectl config get-contexts"),
        "CURRENT   NAME            CLUSTER         AUTHINFO        NAMESPACE\n*         kubeplay        kubeplay        kubeplay        \n          kind-kubeplay   kind-kubeplay   kind-kubeplay   \n"
    );
    assert_eq!(t.ok("kubectl config use-context kind-kubeplay"), "Switched to context \"kind-kubeplay\".\n");
    assert_eq!(t.ok("kubectl config current-context"), "kind-kubeplay\n");
    assert_eq!(t.err("kubectl config use-context my-cluster"), "error: no context exists with the name: \"my-cluster\"\n");
}

#[test]
fn delete_by_file_by_name_and_by_label() {
    let mut t = Term::deployed();
    let victim = t.pod_names()[0].clone();
    assert_eq!(t.ok(&format!("kubectl delete pod {victim}")), format!("pod \"{victim}\" deleted from default namespace\n"));
    assert_eq!(t.ok("kubectl delete -f k8s/deployment.yaml"), "deployment.apps \"my-api\" deleted from default namespace\n");
    assert_eq!(
        t.err("kubectl delete -f k8s/deployment.yaml"),
        "Error from server (NotFound): error when deleting \"k8s/deployment.yaml\": deployments.apps \"my-api\" not found\n"
    );
    assert_eq!(t.ok("kubectl delete svc/my-api-service"), "service \"my-api-service\" deleted from default namespace\n");
    t.ok("kubectl create deployment web --image=nginx:1.27 --replicas=2");
    t.wait(30);
    let out = t.ok("kubectl delete deployments -l app=web");
    assert_eq!(out, "deployment.apps \"web\" deleted from default namespace\n");
    assert_eq!(t.err("kubectl delete pods"), "error: resource(s) were provided, but no name was specified\n");
}

#[test]
fn create_and_expose_build_what_kubectls_generators_build() {
    let mut t = Term::new();
    assert_eq!(t.ok("kubectl create deployment web --image=nginx:1.27 --replicas=2 --port=80"), "deployment.apps/web created\n");
    assert_eq!(t.ok("kubectl expose deployment web --port=8080 --target-port=80"), "service/web exposed\n");
    let svc = t.ok("kubectl get svc web -o jsonpath={.spec.ports[0].port}/{.spec.ports[0].targetPort}/{.spec.selector.app}");
    assert_eq!(svc, "8080/80/web");
    assert_eq!(t.ok("kubectl create configmap app --from-literal=MODE=demo"), "configmap/app created\n");
    assert_eq!(t.ok("kubectl create secret generic db --from-literal=PASSWORD=s3cret"), "secret/db created\n");
    assert_eq!(t.ok("kubectl get secret db -o jsonpath={.data.PASSWORD}"), "czNjcmV0");
    let dry = t.ok("kubectl create deployment api --image=myapp:1.0 --dry-run=client -o yaml");
    assert!(dry.starts_with("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  creationTimestamp: null\n  labels:\n    app: api\n  name: api\n"), "{dry}");
    assert_eq!(t.err("kubectl get deploy api"), "Error from server (NotFound): deployments.apps \"api\" not found\n");
    assert_eq!(t.ok("kubectl label deployment web tier=frontend"), "deployment.apps/web labeled\n");
    assert_eq!(t.err("kubectl label deployment web tier=backend"), "error: 'tier' already has a value (frontend), and --overwrite is false\n");
    assert_eq!(t.ok("kubectl annotate deployment web owner=me"), "deployment.apps/web annotated\n");
    assert_eq!(t.ok(r#"kubectl patch deployment web -p '{"spec":{"replicas":3}}'"#), "deployment.apps/web patched\n");
    assert_eq!(t.ok(r#"kubectl patch deploy/web --type=merge -p '{"spec":{"replicas":3}}'"#), "deployment.apps/web patched (no change)\n");
    assert_eq!(t.ok(r#"kubectl patch deploy web --type json -p '[{"op":"replace","path":"/spec/replicas","value":1}]'"#), "deployment.apps/web patched\n");
    assert_eq!(t.ok("kubectl get deploy web -o jsonpath={.spec.replicas}"), "1");
    assert_eq!(t.ok("kubectl run tools --image=busybox:1.36 -- sleep 3600"), "pod/tools created\n");
    assert_eq!(t.ok("kubectl get pod tools -o jsonpath={.metadata.labels.run}/{.spec.containers[0].name}/{.spec.containers[0].args}"), "tools/tools/[\"sleep\",\"3600\"]");
    let dry = t.ok("kubectl run nginx --image=nginx --port=80 --dry-run=client -o yaml");
    assert!(dry.contains("  labels:\n    run: nginx\n"), "{dry}");
    assert!(dry.contains("    ports:\n    - containerPort: 80\n"), "{dry}");
}

#[test]
fn get_watch_prints_rows_as_pods_change() {
    let mut t = Term::deployed();
    let mut o = t.run("kubectl get pods -w");
    assert_eq!(o.stdout.lines().count(), 4);
    let mut follow = o.follow.take().expect("-w keeps watching");
    assert_eq!(t.poll(&mut follow).stdout, "");
    let victim = t.pod_names()[0].clone();
    t.ok(&format!("kubectl delete pod {victim}"));
    t.wait(40);
    let printed = t.poll(&mut follow).stdout;
    assert!(printed.lines().any(|l| l.starts_with(&victim) && l.contains("Terminating")), "{printed}");
    assert!(printed.lines().any(|l| !l.starts_with(&victim) && l.contains("Pending")), "a replacement appears: {printed}");
    assert!(!printed.contains("NAME"), "no second header");
    let mut transport = Local::new(&mut t.cp, t.now);
    follow.stop(&mut transport);
    assert_eq!(t.cp.api().open_watches(), 0);
}

#[test]
fn top_pods_and_nodes() {
    let mut t = Term::deployed();
    t.wait(60);
    let pods = t.ok("kubectl top pods");
    assert_eq!(cells(lines(&pods)[0]), ["NAME", "CPU(cores)", "MEMORY(bytes)"]);
    assert_eq!(lines(&pods).len(), 4, "{pods}");
    assert!(cells(lines(&pods)[1])[1].ends_with('m') && cells(lines(&pods)[1])[2].ends_with("Mi"));
    let nodes = t.ok("kubectl top nodes");
    assert_eq!(cells(lines(&nodes)[0]), ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"]);
    assert_eq!(lines(&nodes).len(), 4, "{nodes}");
}

#[test]
fn cluster_info_version_api_resources_and_port_forward() {
    let mut t = Term::deployed();
    assert!(t.ok("kubectl cluster-info").starts_with("Kubernetes control plane is running at https://127.0.0.1:6443\n"));
    assert_eq!(t.ok("kubectl version"), "Client Version: v1.35.0\nServer Version: v1.35.0-kubeplay\n");
    let raw = t.ok("kubectl get --raw /apis/apps/v1");
    assert!(raw.contains("\"groupVersion\":\"apps/v1\"") && raw.contains("\"name\":\"deployments\""), "{raw}");
    let res = t.ok("kubectl api-resources");
    assert_eq!(cells(lines(&res)[0]), ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]);
    assert!(res.lines().any(|l| cells(l) == ["deployments", "deploy", "apps/v1", "true", "Deployment"]), "{res}");
    let pod = t.pod_names()[0].clone();
    let err = t.err(&format!("kubectl port-forward {pod} 3000:3000"));
    assert!(err.starts_with(&format!("error: port-forward needs a real node: pod \"{pod}\" runs on the simulated node")), "{err}");
}

#[test]
fn port_forward_to_a_pod_on_an_agents_node_asks_the_host_to_listen_there() {
    let mut t = Term::deployed();
    for i in 1..=3 {
        t.ok(&format!("kubectl label node node-{i} kubeplay.dev/agent=true"));
    }
    let o = t.run("kubectl port-forward deploy/my-api 18080:3000");
    assert_eq!((o.exit_code, o.stdout.as_str(), o.stderr.as_str()), (0, "", ""));
    let request = o.port_forward.expect("a forward for the host");
    assert!(t.pod_names().contains(&request.pod), "{request:?}");
    assert!(request.node.starts_with("node-") && !request.uid.is_empty(), "{request:?}");
    assert_eq!(request.addresses, ["localhost"]);
    assert_eq!(request.ports, [kubeplay_shared::node_protocol::forward::PortPair { local: 18080, remote: 3000 }]);
    let svc = t.run("kubectl port-forward svc/my-api-service :80 --address 127.0.0.1").port_forward.expect("service forward");
    assert_eq!(svc.ports, [kubeplay_shared::node_protocol::forward::PortPair { local: 0, remote: 3000 }]);
    assert_eq!(svc.addresses, ["127.0.0.1"]);
    assert_eq!(t.err("kubectl port-forward deploy/my-api 8080:http"), "error: Pod '".to_string() + &request.pod + "' does not have a named port 'http'\n");
    assert_eq!(t.err("kubectl port-forward deploy/my-api"), "error: at least 1 PORT is required for port-forward\n");
}

#[test]
fn tab_completes_commands_kinds_names_and_flags() {
    let mut t = Term::deployed();
    assert_eq!(t.complete("kubectl ge"), ["get"]);
    assert_eq!(t.complete("kubectl get deploy"), ["deployments"]);
    assert_eq!(t.complete("kubectl get deployments m"), ["my-api"]);
    assert_eq!(t.complete("kubectl describe deploy/"), ["deploy/my-api"]);
    assert_eq!(t.complete("kubectl logs my-api-").len(), 3);
    assert_eq!(t.complete("kubectl get pods --show-l"), ["--show-labels"]);
    assert_eq!(t.complete("kubectl get pods -o y"), ["yaml"]);
    assert_eq!(t.complete("kubectl -n kube-n"), ["kube-node-lease"]);
    assert_eq!(t.complete("kubectl config use-context k"), ["kind-kubeplay", "kubeplay"]);
    assert_eq!(t.complete("kubectl rollout "), ["history", "pause", "restart", "resume", "status", "undo"]);
    assert_eq!(t.complete("kubectl apply -f ./k8s/d"), ["./k8s/deployment.yaml"]);
    assert_eq!(t.complete("kubectl apply -f "), ["k8s/"]);
}


/// Every seed manifest under `seed/`, nested one folder deep for `-R`.
fn seed_tree() -> BTreeMap<String, String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seed");
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let folder = if name.contains("pod") || name.contains("probes") || name.contains("env-from") { "seed/pods" } else { "seed" };
        files.insert(format!("{folder}/{name}"), std::fs::read_to_string(&path).unwrap());
    }
    files.insert("seed/README.md".into(), "not a manifest".into());
    files
}

#[test]
fn apply_recursive_then_describe_every_kind_of_the_seed() {
    let mut t = Term::new();
    t.files = seed_tree();
    let flat = t.ok("kubectl apply -f seed/");
    assert_eq!(flat.lines().count(), 7, "only the top folder without -R: {flat}");
    let all = t.ok("kubectl apply -R -f ./seed");
    assert_eq!(all.lines().filter(|l| l.ends_with(" created")).count(), 3, "{all}");
    assert_eq!(all.lines().filter(|l| l.ends_with(" unchanged")).count(), 6, "{all}");
    // stringData never reads back, so kubectl's three-way merge sends it again.
    assert!(all.contains("secret/db-credentials configured\n"), "{all}");
    t.wait(120);
    let hpa = t.ok("kubectl describe hpa my-api-hpa");
    assert!(hpa.contains("\nReference:") && hpa.contains("Deployment/my-api"), "{hpa}");
    assert!(hpa.lines().any(|l| l.starts_with("Min replicas:") && l.ends_with(" 2")), "{hpa}");
    let ing = t.ok("kubectl describe ingress my-ingress");
    assert!(ing.contains("  api.myapp.com"), "{ing}");
    assert!(ing.contains("Rules:\n  Host           Path  Backends\n  ----           ----  --------\n  api.myapp.com  \n                 /   my-api-service:80 ("), "{ing}");
    let pvc = t.ok("kubectl describe pvc db-storage");
    assert!(pvc.lines().any(|l| l.starts_with("Status:") && l.ends_with("Bound")), "{pvc}");
    assert!(pvc.lines().any(|l| l.starts_with("Used By:") && l.ends_with("postgres")), "{pvc}");
    let pv_name = t.ok("kubectl get pvc db-storage -o jsonpath={.spec.volumeName}");
    let pv = t.ok(&format!("kubectl describe pv {pv_name}"));
    assert!(pv.contains("default/db-storage"), "{pv}");
    let secret = t.ok("kubectl describe secret db-credentials");
    assert!(secret.contains("\nType:  Opaque\n"), "{secret}");
    assert!(secret.contains("DB_PASSWORD:  14 bytes"), "{secret}");
    let ns = t.ok("kubectl describe namespace default");
    assert!(ns.starts_with("Name:         default\nLabels:       kubernetes.io/metadata.name=default\n"), "{ns}");
    let probes = t.ok("kubectl describe pod api-with-probes");
    assert!(probes.contains("    Liveness:       http-get http://:3000/health delay=10s timeout=1s period=15s #success=1 #failure=3\n"), "{probes}");
    let env = t.ok("kubectl describe pod api-with-config");
    assert!(env.contains("    Environment Variables from:\n      app-config      ConfigMap  Optional: false\n      db-credentials  Secret     Optional: false\n"), "{env}");
    assert!(env.contains("<set to the key 'DB_PASSWORD' in secret 'db-credentials'>  Optional: false"), "{env}");
    let rs = t.ok("kubectl describe rs");
    assert!(rs.lines().any(|l| l.starts_with("Controlled By:") && l.ends_with("Deployment/my-api")), "{rs}");
    assert!(rs.contains("Pods Status:    3 Running / 0 Waiting / 0 Succeeded / 0 Failed") || rs.contains("Running / 0 Waiting"), "{rs}");
}

#[test]
fn delete_all_of_a_kind_and_the_help_without_arguments() {
    let mut t = Term::deployed();
    let out = t.ok("kubectl delete pods --all");
    assert_eq!(out.lines().filter(|l| l.starts_with("pod \"my-api-") && l.ends_with("\" deleted from default namespace")).count(), 3, "{out}");
    t.ok("kubectl apply -f k8s/deployment.yaml");
    t.wait(30);
    assert_eq!(t.ok("kubectl get pods | grep my-api | wc -l"), "3\n");
    assert_eq!(t.ok("kubectl get deploy | head -1"), "NAME     READY   UP-TO-DATE   AVAILABLE   AGE\n");
    assert_eq!(t.run("kubectl get pods | grep nothing").exit_code, 1);
    let o = t.run("kubectl get pods -w | grep my-api");
    assert!(o.follow.is_none());
    assert_eq!(t.cp.api().open_watches(), 0, "the watch behind a piped -w is closed");
    let help = t.ok("kubectl");
    assert!(help.starts_with("kubectl controls the Kubernetes cluster manager.\n"));
    assert!(help.contains("\n  get "), "{help}");
    let o = t.run("ls -la");
    assert_eq!((o.exit_code, o.stderr.as_str()), (127, "bash: ls: command not found\n"));
}

/// A pod whose container crashes soon after it starts.
const CRASHY: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: crashy\n  annotations:\n    kubeplay.dev/fault: crash\nspec:\n  containers:\n  - name: api\n    image: myapp:1.0\n";

#[test]
fn a_crashing_pod_shows_its_previous_logs_and_backoff() {
    let mut t = Term::new();
    t.files.insert("crash.yaml".into(), CRASHY.into());
    assert_eq!(t.ok("kubectl apply -f crash.yaml"), "pod/crashy created\n");
    t.wait(90);
    let row = t.ok("kubectl get pod crashy --no-headers");
    assert!(row.contains("CrashLoopBackOff") || row.contains("Error"), "{row}");
    let previous = t.ok("kubectl logs crashy --previous");
    assert!(!previous.is_empty());
    let page = t.ok("kubectl describe pod crashy");
    assert!(page.contains("    Last State:     Terminated\n"), "{page}");
    assert!(page.lines().any(|l| l.starts_with("      Exit Code:") && !l.ends_with(" 0")), "{page}");
    assert!(page.lines().any(|l| l.contains("BackOff") && l.contains("Back-off restarting failed container")), "{page}");
}

#[test]
fn logs_follow_ends_when_its_container_stops() {
    let mut t = Term::new();
    t.files.insert("crash.yaml".into(), CRASHY.into());
    t.ok("kubectl apply -f crash.yaml");
    let running = "kubectl get pod crashy -o jsonpath={.status.containerStatuses[0].state.running}";
    let mut waited = 0;
    while t.ok(running).is_empty() {
        assert!(waited < 120, "crashy never ran");
        t.wait(1);
        waited += 1;
    }
    let mut o = t.run("kubectl logs -f crashy");
    assert_eq!(o.exit_code, 0, "{}", o.stderr);
    let mut follow = o.follow.take().expect("a running container's log is followed");
    let mut polls = 0;
    let ended = loop {
        t.wait(1);
        let polled = t.poll(&mut follow);
        if polled.finished {
            break polled;
        }
        polls += 1;
        assert!(polls < 120, "the follow never ended");
    };
    assert_eq!(ended.exit_code, 0);
    let restarts = "kubectl get pod crashy -o jsonpath={.status.containerStatuses[0].restartCount}";
    assert!(t.ok(restarts).parse::<u32>().is_ok(), "the pod is still there: its container ended the follow");
}

#[test]
fn watch_in_yaml_prints_each_change_as_a_document() {
    let mut t = Term::deployed();
    let mut o = t.run("kubectl get deploy my-api -w -o yaml");
    assert!(o.stdout.starts_with("apiVersion: apps/v1\nkind: Deployment\n"), "{}", o.stdout);
    let mut follow = o.follow.take().unwrap();
    t.ok("kubectl scale deploy my-api --replicas=4");
    let p = t.poll(&mut follow);
    assert!(p.stdout.starts_with("---\napiVersion: apps/v1\nkind: Deployment\n"), "{}", p.stdout);
    assert!(p.stdout.contains("  replicas: 4\n"));
    let mut o = t.run("kubectl get deploy --watch-only");
    assert_eq!(o.stdout, "");
    let mut follow = o.follow.take().unwrap();
    t.ok("kubectl scale deploy my-api --replicas=2");
    let p = t.poll(&mut follow);
    assert!(p.stdout.starts_with("NAME     READY   UP-TO-DATE   AVAILABLE   AGE\nmy-api   "), "{}", p.stdout);
}

