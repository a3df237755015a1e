//! Guided lessons in headless Chromium, done the way a student does them: open the Lessons
//! column, pick a lesson, press "Copy to terminal" on each step, press Enter, and watch the
//! task tick. Every built-in lesson is completed from its own steps; wrong moves must not
//! tick; progress survives a reload; a teacher's file loads or is refused with line and field.
//! Screenshots: `<target>/e2e/lessons-*.png`.

use kubeplay_e2e::page::Page;
use kubeplay_e2e::playground::{Playground, LOAD, SETTLE};
use kubeplay_e2e::policy::page_or_skip;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// A student working through lessons in the page.
struct Student<'a> {
    page: &'a Page,
    play: Playground<'a>,
}

fn js(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

impl<'a> Student<'a> {
    fn open(page: &'a Page) -> Self {
        let play = Playground::open(page).unwrap();
        Self { page, play }
    }

    fn wait(&self, what: &str, expression: &str, limit: Duration) -> Value {
        match self.page.wait_for(what, expression, limit) {
            Ok(value) => value,
            Err(err) => {
                let shot = self.page.screenshot_as("lessons-failure").ok();
                panic!("{err} (screenshot {shot:?})")
            }
        }
    }

    fn open_lessons(&self) {
        if self
            .page
            .execute("return !!document.querySelector('#lessons.open');")
            .unwrap()
            == json!(true)
        {
            return;
        }
        self.play.click("#lessons-toggle").unwrap();
        self.wait("the lessons column", "document.querySelector('#lessons.open .lesson-list, #lessons.open .lesson') ? true : null", LOAD);
    }

    /// Opens lesson `id` from the list.
    fn open_lesson(&self, id: &str) {
        self.open_lessons();
        if self
            .page
            .execute("return !!document.getElementById('lessons-back');")
            .unwrap()
            == json!(true)
        {
            self.play.click("#lessons-back").unwrap();
        }
        self.wait(
            "the list of lessons",
            &format!(
                "document.querySelector('[data-lesson={}]') ? true : null",
                js(id)
            ),
            LOAD,
        );
        self.play.click(&format!("[data-lesson=\"{id}\"]")).unwrap();
        self.wait(
            "the lesson to open",
            &format!(
                "document.querySelector('[data-active-lesson={}]') ? true : null",
                js(id)
            ),
            LOAD,
        );
    }

    /// Reset lesson: a fresh cluster with the lesson's starting objects, no ticks.
    fn reset_lesson(&self) {
        self.play.click("#lesson-reset").unwrap();
        self.wait(
            "the lesson to reset",
            "document.getElementById('lesson-notice')?.innerText.includes('fresh cluster')
               && [...document.querySelectorAll('[data-active-lesson] [data-task]')].every(t => t.dataset.done === 'false')
               ? true : null",
            LOAD,
        );
    }

    /// The open lesson's task ids, in order.
    fn tasks(&self) -> Vec<String> {
        let ids = self
            .page
            .execute("return [...document.querySelectorAll('[data-active-lesson] [data-task]')].map(t => t.dataset.task);")
            .unwrap();
        ids.as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    }

    fn steps(&self, task: &str) -> Vec<String> {
        let steps = self
            .page
            .execute(&format!(
                "return [...document.querySelectorAll('[data-task={}] .step-line')].map(s => s.textContent);",
                js(task)
            ))
            .unwrap();
        steps
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    }

    fn is_done(&self, task: &str) -> bool {
        self.page
            .execute(&format!(
                "return document.querySelector('[data-task={}]')?.dataset.done === 'true';",
                js(task)
            ))
            .unwrap()
            == json!(true)
    }

    /// Presses "Copy to terminal" on step `index` of `task`, then Enter, and waits for the
    /// command to finish (a watch is stopped with Ctrl+C after a few seconds).
    fn run_step(&self, task: &str, index: usize, line: &str) {
        self.page
            .execute(&format!(
                "document.querySelectorAll('[data-task={}] .copy-step')[{index}].click(); return true;",
                js(task)
            ))
            .unwrap();
        self.wait(
            "the step in the terminal's prompt",
            &format!(
                "document.getElementById('terminal-input')?.value === {} ? true : null",
                js(line)
            ),
            LOAD,
        );
        self.press_enter();
    }

    /// Types a line of one's own (not from the lesson) and runs it.
    fn type_line(&self, line: &str) {
        self.play.click("[role=tab][data-dock=terminal]").unwrap();
        self.wait(
            "the terminal",
            "document.getElementById('terminal-input') ? true : null",
            LOAD,
        );
        self.page
            .execute(&format!(
                "const el = document.getElementById('terminal-input'); el.focus(); el.value = {};
                 el.dispatchEvent(new InputEvent('input', {{ bubbles: true }})); return true;",
                js(line)
            ))
            .unwrap();
        self.wait(
            "the typed line",
            &format!(
                "document.getElementById('terminal-input').value === {} ? true : null",
                js(line)
            ),
            LOAD,
        );
        self.press_enter();
    }

    fn press_enter(&self) {
        let before = self
            .page
            .execute("return document.querySelectorAll('#terminal .term-input').length;")
            .unwrap();
        self.page
            .execute(
                "document.getElementById('terminal-input').dispatchEvent(
                   new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true })); return true;",
            )
            .unwrap();
        self.wait(
            "the line to be submitted",
            &format!("document.querySelectorAll('#terminal .term-input').length > {before} ? true : null"),
            LOAD,
        );
        let finished = self.page.wait_for(
            "the command to finish",
            "!document.getElementById('terminal-input').readOnly ? true : null",
            Duration::from_secs(8),
        );
        if finished.is_err() {
            self.page
                .execute(
                    "document.getElementById('terminal-input').dispatchEvent(
                       new KeyboardEvent('keydown', { key: 'c', ctrlKey: true, bubbles: true, cancelable: true })); return true;",
                )
                .unwrap();
            self.wait(
                "Ctrl+C to end the command",
                "!document.getElementById('terminal-input').readOnly ? true : null",
                LOAD,
            );
        }
    }

    fn wait_done(&self, task: &str) {
        self.wait(
            &format!("task {task} to tick"),
            &format!(
                "document.querySelector('[data-task={}]')?.dataset.done === 'true' ? true : null",
                js(task)
            ),
            SETTLE,
        );
    }

    /// Follows every step of every task of the open lesson; each task must tick.
    fn follow_lesson(&self, lesson: &str) {
        let tasks = self.tasks();
        assert!(!tasks.is_empty(), "lesson {lesson} shows no tasks");
        for task in &tasks {
            for (i, step) in self.steps(task).iter().enumerate() {
                self.run_step(task, i, step);
            }
            self.wait_done(task);
        }
        self.wait(
            "the lesson to say it is complete",
            "document.querySelector('.lesson-complete') ? true : null",
            LOAD,
        );
    }

    /// The ids of every lesson in the list.
    fn lesson_ids(&self) -> Vec<String> {
        self.open_lessons();
        if self
            .page
            .execute("return !!document.getElementById('lessons-back');")
            .unwrap()
            == json!(true)
        {
            self.play.click("#lessons-back").unwrap();
        }
        self.wait(
            "the list",
            "document.querySelector('[data-lesson]') ? true : null",
            LOAD,
        );
        let ids = self.page.execute("return [...document.querySelectorAll('[data-lesson]')].map(b => b.dataset.lesson);").unwrap();
        ids.as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    }
}

#[test]
fn every_lesson_completes_by_following_its_own_steps() {
    let Some(page) = page_or_skip("lessons_all") else {
        return;
    };
    let student = Student::open(&page);
    let lessons = student.lesson_ids();
    assert_eq!(lessons.len(), 13, "{lessons:?}");
    // 20x: the HPA's five-minute scale-down wait and the probes' periods pass in seconds.
    student.play.set_speed(20).unwrap();
    for lesson in &lessons {
        student.open_lesson(lesson);
        student.reset_lesson();
        let started = Instant::now();
        student.follow_lesson(lesson);
        println!(
            "lesson {lesson}: completed in {:.1} s at 20x",
            started.elapsed().as_secs_f64()
        );
        page.screenshot_as(&format!("lessons-{lesson}-done"))
            .unwrap();
    }
    student.lesson_ids();
    let marks = page
        .execute("return [...document.querySelectorAll('[data-lesson] .lesson-progress')].map(p => p.textContent);")
        .unwrap();
    page.screenshot_as("lessons-list-complete").unwrap();
    assert!(
        marks.as_array().unwrap().iter().all(|m| m == "✓"),
        "{marks}"
    );
}

#[test]
fn wrong_actions_do_not_tick_tasks() {
    let Some(page) = page_or_skip("lessons_wrong") else {
        return;
    };
    let student = Student::open(&page);
    student.play.set_speed(5).unwrap();

    // Scaling to 4 is not scaling to 5: the task stays open and says what it sees.
    student.open_lesson("scaling");
    student.reset_lesson();
    student.type_line("kubectl scale deployment my-api --replicas=4");
    student.wait(
        "the lesson to see 4 replicas",
        "document.querySelector('[data-task=\"scaling/up\"] .observed')?.innerText.includes('spec.replicas is 4; wanted 5') ? true : null",
        SETTLE,
    );
    student
        .play
        .wait_pods("default/my-api-", 4, "Running")
        .unwrap();
    page.screenshot_as("lessons-wrong-scale").unwrap();
    assert!(!student.is_done("scaling/up"));
    student.type_line("kubectl scale deployment my-api --replicas=5");
    student.wait_done("scaling/up");

    // The wrong label value leaves the label task open; the right one ticks it.
    student.open_lesson("pods");
    student.reset_lesson();
    let create = student.steps("pods/create");
    student.run_step("pods/create", 0, &create[0]);
    student.wait_done("pods/create");
    student.type_line("kubectl label pod api-with-probes tier=frontend");
    student.wait(
        "the lesson to see the wrong label",
        "document.querySelector('[data-task=\"pods/label\"] .observed')?.innerText.includes('metadata.labels.tier is frontend') ? true : null",
        SETTLE,
    );
    assert!(!student.is_done("pods/label"));
    page.screenshot_as("lessons-wrong-label").unwrap();
    student.type_line("kubectl label pod api-with-probes tier=backend --overwrite");
    student.wait_done("pods/label");

    // A ConfigMap value other than the one asked for does not count.
    student.open_lesson("config");
    student.reset_lesson();
    for task in ["config/configmap", "config/secret", "config/consume"] {
        let steps = student.steps(task);
        student.run_step(task, 0, &steps[0]);
        student.wait_done(task);
    }
    student
        .type_line("kubectl patch configmap app-config -p '{\"data\":{\"LOG_LEVEL\":\"warn\"}}'");
    student.wait(
        "the lesson to see LOG_LEVEL warn",
        "document.querySelector('[data-task=\"config/change\"] .observed')?.innerText.includes('data.LOG_LEVEL is warn') ? true : null",
        SETTLE,
    );
    assert!(!student.is_done("config/change"));
}

#[test]
fn a_first_time_user_finishes_the_deployments_lesson_and_a_reload_keeps_it() {
    let Some(page) = page_or_skip("lessons_first_time") else {
        return;
    };
    // From opening the page to the last tick, at the cluster's real speed (1x).
    let started = Instant::now();
    let student = Student::open(&page);
    let interactive = started.elapsed();
    student.open_lesson("deployments");
    page.screenshot_as("lessons-first-time-open").unwrap();
    let tasks = student.tasks();
    assert_eq!(tasks, ["deployments/apply", "deployments/heal"]);
    student.follow_lesson("deployments");
    let total = started.elapsed();
    println!(
        "first-time user: page open to Deployments lesson complete in {:.1} s (page interactive after {:.1} s; 1x speed)",
        total.as_secs_f64(),
        interactive.as_secs_f64()
    );
    page.screenshot_as("lessons-first-time-done").unwrap();
    let fits = page
        .execute("return document.documentElement.scrollHeight <= window.innerHeight + 1;")
        .unwrap();
    assert_eq!(
        fits,
        json!(true),
        "the lessons column must not make the page scroll"
    );

    student.play.reload().unwrap();
    student.open_lessons();
    student.wait(
        "the open lesson after the reload",
        "document.querySelector('[data-active-lesson=\"deployments\"]') ? true : null",
        LOAD,
    );
    assert!(
        student.is_done("deployments/apply") && student.is_done("deployments/heal"),
        "ticks survive a reload"
    );
    student.play.click("#lessons-back").unwrap();
    let mark = student.wait(
        "the list's mark",
        "document.querySelector('[data-lesson=\"deployments\"] .lesson-progress')?.textContent ?? null",
        LOAD,
    );
    assert_eq!(mark, json!("✓"));
}

const TEACHER_LESSON: &str = "id: my-namespace
title: A namespace of your own
explanation: |
  Namespaces keep teams apart.
tasks:
- id: create
  title: Create the namespace team-a
  steps:
  - kubectl create namespace team-a
  check:
  - kind: Namespace
    name: team-a
";

/// Chooses `text` as the file `name` in the lesson loader, as the file dialog would.
fn choose_file(page: &Page, name: &str, text: &str) {
    page.execute(&format!(
        "const input = document.getElementById('lesson-file');
         const dt = new DataTransfer(); dt.items.add(new File([{}], {}, {{ type: 'text/yaml' }}));
         input.files = dt.files; input.dispatchEvent(new Event('change', {{ bubbles: true }})); return true;",
        js(text),
        js(name)
    ))
    .unwrap();
}

#[test]
fn a_teachers_lesson_file_loads_or_is_refused_with_line_and_field() {
    let Some(page) = page_or_skip("lessons_teacher") else {
        return;
    };
    let student = Student::open(&page);
    student.lesson_ids();
    let broken = TEACHER_LESSON.replace("kind: Namespace", "kind: Namespaec");
    choose_file(&page, "broken.yaml", &broken);
    let error = student.wait(
        "the loader's error",
        "document.getElementById('lesson-load-error')?.innerText ?? null",
        LOAD,
    );
    page.screenshot_as("lessons-teacher-error").unwrap();
    assert_eq!(
        error,
        json!("broken.yaml: line 11: tasks[0].check[0].kind: no kind \"Namespaec\" is served here")
    );
    assert!(
        student.lesson_ids().iter().all(|id| id != "my-namespace"),
        "a refused file adds nothing"
    );

    choose_file(&page, "mine.yaml", TEACHER_LESSON);
    student.wait(
        "the loaded lesson to open",
        "document.querySelector('[data-active-lesson=\"my-namespace\"]') ? true : null",
        LOAD,
    );
    student.follow_lesson("my-namespace");
    page.screenshot_as("lessons-teacher-done").unwrap();
    student.play.reload().unwrap();
    assert!(
        student.lesson_ids().contains(&"my-namespace".to_string()),
        "a loaded lesson stays after a reload"
    );
}

#[test]
fn a_task_ticks_whichever_way_the_cluster_got_there() {
    let Some(page) = page_or_skip("lessons_any_way") else {
        return;
    };
    let student = Student::open(&page);
    student.play.set_speed(5).unwrap();
    student.open_lesson("scaling");
    student.reset_lesson();
    // Not the lesson's step: the student edits the manifest in the editor and applies it.
    student.play.open_editor().unwrap();
    let manifest = std::fs::read_to_string(
        kubeplay_e2e::locate::workspace_root().join("shared/tests/fixtures/seed/deployment.yaml"),
    )
    .unwrap()
    .replace("replicas: 3", "replicas: 5");
    student.play.set_editor_text(&manifest).unwrap();
    let applied = student.play.apply_in_editor().unwrap();
    assert!(
        applied.contains("deployment.apps/my-api configured"),
        "{applied}"
    );
    student.wait_done("scaling/up");
    page.screenshot_as("lessons-via-editor").unwrap();
    // And through the API directly, as any client (the real kubectl too) would.
    student
        .play
        .merge_patch(
            "/apis/apps/v1/namespaces/default/deployments/my-api",
            &json!({"spec": {"replicas": 0}}),
        )
        .unwrap();
    student.wait_done("scaling/zero");
}
