//! The page's frame in headless Chromium at a laptop's 1366x768 and a projector's 1920x1080
//! (large text too): the map/dock splitter moved from the keyboard and by dragging, and its
//! position surviving a reload; the editor keeping its file, cursor and result while another
//! tab shows, with hidden panels doing no DOM work as views arrive; nothing wider than the
//! window. Screenshots go to `<target>/e2e/layout-*.png`.

use kubeplay_e2e::page::Page;
use kubeplay_e2e::playground::{Playground, LOAD, MY_API};
use kubeplay_e2e::policy::page_or_skip;
use serde_json::{json, Value};

const TABS: [&str; 7] = [
    "editor", "terminal", "objects", "events", "logs", "dns", "chaos",
];

fn number(page: &Page, script: &str) -> f64 {
    page.execute(script).unwrap().as_f64().unwrap_or(f64::NAN)
}

fn split_value(page: &Page) -> u64 {
    let value = page
        .execute("return document.getElementById('splitter').getAttribute('aria-valuenow');")
        .unwrap();
    value
        .as_str()
        .and_then(|v| v.parse().ok())
        .unwrap_or_default()
}

fn map_height(page: &Page) -> f64 {
    number(
        page,
        "return document.getElementById('map').getBoundingClientRect().height;",
    )
}

/// Presses `key` on the focused splitter as a keyboard user does.
fn press_on_splitter(page: &Page, key: &str) {
    page.execute(&format!(
        "const s = document.getElementById('splitter'); s.focus();
         s.dispatchEvent(new KeyboardEvent('keydown', {{ key: '{key}', bubbles: true, cancelable: true }}));
         return true;"
    ))
    .unwrap();
}

fn wait_split(page: &Page, value: u64) {
    page.wait_for(
        &format!("the splitter at {value}"),
        &format!("document.getElementById('splitter').getAttribute('aria-valuenow') === '{value}' ? true : null"),
        LOAD,
    )
    .unwrap();
}

/// The page is no wider than the window; the widest offenders when it is.
fn assert_no_horizontal_overflow(page: &Page, at: &str) {
    let found = page
        .execute(
            "const w = window.innerWidth;
             const wide = [...document.querySelectorAll('body *')]
               .filter(e => e.getBoundingClientRect().right > w + 0.5 && e.getClientRects().length)
               .slice(0, 5).map(e => e.tagName + '#' + e.id + '.' + e.className);
             return [document.scrollingElement.scrollWidth, w, wide];",
        )
        .unwrap();
    let (scroll, width) = (
        found[0].as_f64().unwrap_or(f64::NAN),
        found[1].as_f64().unwrap_or(0.0),
    );
    assert!(
        scroll <= width,
        "{at}: the page is {scroll}px wide in a {width}px window: {}",
        found[2]
    );
}

/// Visible text whose colour on its background is below WCAG AA (4.5:1, or 3:1 for large
/// text; disabled controls are exempt, as in WCAG), as `"text: ratio (colour on background)"`; backgrounds are found up the ancestors.
fn low_contrast(page: &Page) -> Vec<String> {
    let found = page
        .execute(
            "const rgba = c => { const m = c.match(/[\\d.]+/g) || ['0','0','0','0']; return m.map(Number).concat([1]).slice(0, 4); };
             const lum = ([r, g, b]) => { const f = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
               return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
             const over = (top, bottom) => { const a = top[3]; return [0, 1, 2].map(i => top[i] * a + bottom[i] * (1 - a)).concat([1]); };
             const background = e => { const layers = [];
               for (let n = e; n; n = n.parentElement) { const s = getComputedStyle(n);
                 if (s.backgroundImage !== 'none') return null;
                 const c = rgba(s.backgroundColor); if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; } }
               return layers.reduceRight((acc, c) => over(c, acc), [255, 255, 255, 1]); };
             const out = [];
             const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
             for (let t = walker.nextNode(); t; t = walker.nextNode()) {
               const text = t.textContent.trim(); const e = t.parentElement;
               if (!text || !e || !e.getClientRects().length) continue;
               const r = e.getBoundingClientRect(); if (r.width < 1 || r.bottom < 0 || r.top > innerHeight) continue;
               const s = getComputedStyle(e); if (s.visibility === 'hidden' || e.closest('[hidden], .visually-hidden, [aria-hidden=true], svg, :disabled')) continue;
               let opacity = 1; for (let n = e; n; n = n.parentElement) opacity *= Number(getComputedStyle(n).opacity);
               const bg = background(e); if (!bg) continue;
               const fg = over(rgba(s.color).map((v, i) => i === 3 ? v * opacity : v), bg);
               const [a, b] = [lum(fg), lum(bg)]; const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
               const size = parseFloat(s.fontSize), bold = Number(s.fontWeight) >= 700;
               const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
               if (ratio < need) out.push(`${text.slice(0, 30)}: ${ratio.toFixed(2)} (${s.color} on rgb(${bg.slice(0, 3).map(Math.round)}), ${e.tagName}.${e.className})`);
             }
             return [...new Set(out)];",
        )
        .unwrap();
    found
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Shows every dock tab, screenshots each as `layout-<size>-<tab>` and checks the width.
fn tour(play: &Playground, size: &str) {
    for tab in TABS {
        play.open_dock(tab).unwrap();
        play.page
            .screenshot_as(&format!("layout-{size}-{tab}"))
            .unwrap();
        assert_no_horizontal_overflow(play.page, &format!("{size} {tab}"));
        let low = low_contrast(play.page);
        assert!(
            low.is_empty(),
            "{size} {tab}: text below WCAG AA contrast:\n{}",
            low.join("\n")
        );
    }
    play.open_dock("editor").unwrap();
}

/// How many of `#map`'s nodes, and of pods `prefix*`, lie wholly inside the map's visible area.
fn visible_on_map(page: &Page, prefix: &str) -> (u64, u64) {
    let found = page
        .execute(&format!(
            "const map = document.getElementById('map').getBoundingClientRect();
             const inside = e => {{ const r = e.getBoundingClientRect();
               return r.height > 0 && r.top >= map.top - 0.5 && r.bottom <= map.bottom + 0.5 }};
             const nodes = [...document.querySelectorAll('#map .nodes > .node:not(.node-add) .node-name')].filter(inside).length;
             const pods = [...document.querySelectorAll('#map [data-pod]')]
               .filter(e => e.dataset.pod.startsWith({})).filter(inside).length;
             return [nodes, pods];",
            json!(prefix)
        ))
        .unwrap();
    (
        found[0].as_u64().unwrap_or_default(),
        found[1].as_u64().unwrap_or_default(),
    )
}

/// Whole lines of code the editor's text area shows.
fn editor_lines(page: &Page) -> f64 {
    number(
        page,
        "const t = document.getElementById('editor-text'); const s = getComputedStyle(t);
         return Math.floor((t.clientHeight - parseFloat(s.paddingTop) - parseFloat(s.paddingBottom))
           / parseFloat(s.lineHeight));",
    )
}

#[test]
fn the_page_reads_well_on_a_laptop_and_a_projector() {
    let Some(page) = page_or_skip("layout_sizes") else {
        return;
    };
    page.set_window_size(1366, 768).unwrap();
    let play = Playground::open(&page).unwrap();
    play.set_speed(20).unwrap();
    play.apply(MY_API).unwrap();
    play.wait_pods("default/my-api-", 3, "Running").unwrap();
    play.open_editor().unwrap();
    play.open_file("k8s/deployment.yaml").unwrap();

    // The default split at 1366x768: a useful editor, and the map still shows the cluster.
    let shot = page.screenshot_as("layout-1366-default").unwrap();
    let lines = editor_lines(&page);
    assert!(
        lines >= 15.0,
        "the editor shows {lines} lines at 1366x768 ({})",
        shot.display()
    );
    let (nodes, pods) = visible_on_map(&page, "default/my-api-");
    assert_eq!(
        (nodes, pods),
        (3, 3),
        "nodes and my-api pods wholly visible on the map ({})",
        shot.display()
    );
    // A lesson pointing at the control plane brings it to the top of the short map.
    let etcd_top = "return document.querySelector('#map .cp-etcd').getBoundingClientRect().top
                      - document.getElementById('map').getBoundingClientRect().top;";
    assert!(
        number(&page, etcd_top) > map_height(&page),
        "the short map shows the nodes first"
    );
    page.execute("document.documentElement.dataset.lessonHighlight = 'etcd'; return true;")
        .unwrap();
    assert!(
        number(&page, etcd_top) < map_height(&page) / 2.0,
        "etcd on top for the lesson"
    );
    page.execute("delete document.documentElement.dataset.lessonHighlight; return true;")
        .unwrap();
    tour(&play, "1366");

    play.click("#large-text").unwrap();
    page.wait_for(
        "large text",
        "document.querySelector('.app.large-text') ? true : null",
        LOAD,
    )
    .unwrap();
    tour(&play, "1366-large");
    let large_lines = editor_lines(&page);
    let before = number(
        &page,
        "return document.getElementById('editor-text').clientHeight;",
    );
    // Large text trades lines for legibility; "Larger" gets them back.
    play.click("#editor-expand").unwrap();
    page.wait_for(
        "the larger editor",
        &format!("document.getElementById('editor-text').clientHeight > {before} ? true : null"),
        LOAD,
    )
    .unwrap();
    let expanded_lines = editor_lines(&page);
    assert!(
        expanded_lines > large_lines,
        "Larger: {expanded_lines} lines, before {large_lines}"
    );
    page.screenshot_as("layout-1366-large-editor-larger")
        .unwrap();
    play.click("#editor-expand").unwrap();
    play.click("#large-text").unwrap();

    page.set_window_size(1920, 1080).unwrap();
    page.wait_for(
        "the map beside the dock",
        "document.getElementById('splitter').getAttribute('aria-orientation') === 'vertical' ? true : null",
        LOAD,
    )
    .unwrap();
    let lines = editor_lines(&page);
    assert!(lines >= 30.0, "the editor shows {lines} lines at 1920x1080");
    let (nodes, pods) = visible_on_map(&page, "default/my-api-");
    assert_eq!(
        (nodes, pods),
        (3, 3),
        "nodes and my-api pods wholly visible on the map at 1920x1080"
    );
    tour(&play, "1920");
    play.click("#large-text").unwrap();
    page.wait_for(
        "large text",
        "document.querySelector('.app.large-text') ? true : null",
        LOAD,
    )
    .unwrap();
    tour(&play, "1920-large");
}

#[test]
fn the_splitter_moves_with_the_keyboard_and_the_pointer_and_survives_a_reload() {
    let Some(page) = page_or_skip("layout_splitter") else {
        return;
    };
    page.set_window_size(1366, 768).unwrap();
    let play = Playground::open(&page).unwrap();
    let orientation = page
        .execute("const s = document.getElementById('splitter'); return [s.getAttribute('role'), s.getAttribute('aria-orientation'), s.tabIndex];")
        .unwrap();
    assert_eq!(orientation, json!(["separator", "horizontal", 0]));
    let start = split_value(&page);
    let tall = map_height(&page);

    press_on_splitter(&page, "ArrowDown");
    wait_split(&page, start + 5);
    assert!(map_height(&page) > tall, "ArrowDown grows the map");
    press_on_splitter(&page, "End");
    wait_split(&page, 85);
    page.screenshot_as("layout-splitter-end").unwrap();
    press_on_splitter(&page, "Home");
    wait_split(&page, 15);
    let small = map_height(&page);
    press_on_splitter(&page, "ArrowUp");
    wait_split(&page, 15);
    press_on_splitter(&page, "ArrowDown");
    wait_split(&page, 20);
    let remembered = map_height(&page);
    assert!(remembered > small);
    page.screenshot_as("layout-splitter-moved").unwrap();

    play.reload().unwrap();
    wait_split(&page, 20);
    assert_eq!(
        map_height(&page),
        remembered,
        "the map's height after a reload"
    );

    // A drag a tenth of the workspace down grows the map by about ten points.
    let dragged = page
        .execute(
            "const s = document.getElementById('splitter'); const r = s.getBoundingClientRect();
             const stage = s.parentElement.clientHeight; const y = r.top + r.height / 2, x = r.left + 40;
             const fire = (type, y) => s.dispatchEvent(new PointerEvent(type,
               { bubbles: true, cancelable: true, pointerId: 1, button: 0, isPrimary: true, clientX: x, clientY: y }));
             fire('pointerdown', y); fire('pointermove', y + stage * 0.05); fire('pointermove', y + stage * 0.1);
             fire('pointerup', y + stage * 0.1);
             return true;",
        )
        .unwrap();
    assert_eq!(dragged, json!(true));
    wait_split(&page, 30);
    let stored: Value = page
        .execute("return localStorage.getItem('kubeplay.split.stacked');")
        .unwrap();
    assert_eq!(stored, json!("30"));

    // A double-click forgets the position.
    page.execute(
        "document.getElementById('splitter').dispatchEvent(new MouseEvent('dblclick', { bubbles: true })); return true;",
    )
    .unwrap();
    wait_split(&page, start);
    let stored = page
        .execute("return localStorage.getItem('kubeplay.split.stacked');")
        .unwrap();
    assert_eq!(stored, Value::Null);

    // Side by side on a wide screen, with its own position.
    page.set_window_size(1920, 1080).unwrap();
    page.wait_for(
        "a vertical splitter",
        "document.getElementById('splitter').getAttribute('aria-orientation') === 'vertical' ? true : null",
        LOAD,
    )
    .unwrap();
    let wide = split_value(&page);
    let width = number(
        &page,
        "return document.getElementById('map').getBoundingClientRect().width;",
    );
    press_on_splitter(&page, "ArrowLeft");
    wait_split(&page, wide - 5);
    let narrower = number(
        &page,
        "return document.getElementById('map').getBoundingClientRect().width;",
    );
    assert!(
        narrower < width,
        "ArrowLeft narrows the map: {narrower} < {width}"
    );
}

#[test]
fn the_editor_and_terminal_keep_their_state_across_tabs_and_idle_while_hidden() {
    let Some(page) = page_or_skip("layout_tabs") else {
        return;
    };
    page.set_window_size(1366, 768).unwrap();
    let play = Playground::open(&page).unwrap();
    play.set_speed(20).unwrap();
    play.open_editor().unwrap();
    play.open_file("k8s/deployment.yaml").unwrap();
    let result = play.apply_in_editor().unwrap();
    assert!(
        result.contains("deployment.apps/my-api created"),
        "{result}"
    );
    page.execute("const t = document.getElementById('editor-text'); t.focus(); t.setSelectionRange(120, 120); return true;")
        .unwrap();

    play.run_in_terminal("kubectl get deployments").unwrap();
    play.wait_text("#terminal", "my-api").unwrap();
    play.open_dock("editor").unwrap();
    assert_eq!(
        play.text_of("#editor-path").unwrap().as_deref(),
        Some("k8s/deployment.yaml")
    );
    assert_eq!(
        play.text_of("#editor-results").unwrap().unwrap_or_default(),
        result
    );
    let cursor = page
        .execute("return document.getElementById('editor-text').selectionStart;")
        .unwrap();
    assert_eq!(cursor, json!(120));
    play.open_dock("terminal").unwrap();
    let scrollback = play.text_of("#terminal").unwrap().unwrap_or_default();
    assert!(
        scrollback.contains("kubectl get deployments") && scrollback.contains("my-api"),
        "{scrollback}"
    );

    // Hidden behind the Events tab, the editor and the terminal do no DOM work while views
    // arrive (the map and the events do).
    play.open_dock("events").unwrap();
    page.execute(
        "window.layoutMutations = { editor: 0, terminal: 0, map: 0 };
         for (const [key, id] of [['editor', 'panel-editor'], ['terminal', 'panel-terminal'], ['map', 'map']]) {
           new MutationObserver(list => { window.layoutMutations[key] += list.length; })
             .observe(document.getElementById(id), { subtree: true, childList: true, attributes: true, characterData: true });
         }
         return true;",
    )
    .unwrap();
    play.merge_patch(
        "/apis/apps/v1/namespaces/default/deployments/my-api",
        &json!({ "spec": { "replicas": 5 } }),
    )
    .unwrap();
    play.wait_pods("default/my-api-", 5, "Running").unwrap();
    let mutations = page.execute("return window.layoutMutations;").unwrap();
    eprintln!("DOM mutations while scaling 3 -> 5 pods behind the Events tab: {mutations}");
    assert!(
        mutations["map"].as_u64().unwrap_or_default() > 0,
        "views arrived: {mutations}"
    );
    assert_eq!(mutations["editor"], json!(0), "{mutations}");
    assert_eq!(mutations["terminal"], json!(0), "{mutations}");
    page.screenshot_as("layout-hidden-panels").unwrap();
}

/// Where the focus is, after a real Tab: `[label, ring visible, ring contrast]`. The ring is
/// the `:focus-visible` outline (or the editor's inset one); its contrast is taken against the
/// background just outside the element.
const FOCUS_STOP: &str = "
    const e = document.activeElement; if (!e || e === document.body) return null;
    const s = getComputedStyle(e);
    const label = e.id ? '#' + e.id : e.tagName.toLowerCase() + '.' + e.className + ' ' + (e.textContent || '').trim().slice(0, 20);
    const width = parseFloat(s.outlineWidth) || 0;
    const visible = s.outlineStyle !== 'none' && width >= 1;
    const rgb = c => (c.match(/[\\d.]+/g) || ['0', '0', '0']).slice(0, 3).map(Number);
    const lum = ([r, g, b]) => { const f = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
    let around = [255, 255, 255];
    const inset = parseFloat(s.outlineOffset) < 0;
    for (let n = inset ? e : e.parentElement; n; n = n.parentElement) {
      const c = getComputedStyle(n).backgroundColor; const a = (c.match(/[\\d.]+/g) || [])[3];
      if (c !== 'transparent' && a !== '0') { around = rgb(c); break; }
    }
    const [a, b] = [lum(rgb(s.outlineColor)), lum(around)];
    return [label, visible, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)];";

#[test]
fn tab_reaches_every_part_in_reading_order_with_a_visible_focus_ring() {
    let Some(page) = page_or_skip("layout_focus") else {
        return;
    };
    page.set_window_size(1366, 768).unwrap();
    let play = Playground::open(&page).unwrap();
    play.apply(MY_API).unwrap();
    play.wait_pods("default/my-api-", 3, "Running").unwrap();
    page.execute("document.activeElement?.blur(); window.focus(); return true;")
        .unwrap();
    let mut stops: Vec<String> = Vec::new();
    for _ in 0..80 {
        page.press_key("\u{E004}").unwrap();
        let stop = page.execute(FOCUS_STOP).unwrap();
        let Some(label) = stop[0].as_str() else {
            continue;
        };
        let (visible, ratio) = (stop[1] == json!(true), stop[2].as_f64().unwrap_or_default());
        if label == "#splitter" {
            page.screenshot_as("layout-focus-splitter").unwrap();
        }
        assert!(
            visible,
            "no focus ring on {label} (stops so far: {stops:?})"
        );
        assert!(
            ratio >= 3.0,
            "the focus ring on {label} has {ratio:.2}:1 against its surroundings"
        );
        eprintln!("{label}: ring {ratio:.2}:1");
        if stops.last().map(String::as_str) == Some(label) {
            break;
        }
        stops.push(label.to_string());
        if label == "#editor-apply" {
            break;
        }
    }
    eprintln!("focus order: {stops:?}");
    let at = |label: &str| {
        stops
            .iter()
            .position(|s| s == label)
            .unwrap_or_else(|| panic!("Tab never reached {label}: {stops:?}"))
    };
    // Header, map, splitter, the dock's selected tab, then the editor: the order they read in.
    assert!(at("#reset") < at("#splitter"), "{stops:?}");
    assert!(at("#splitter") < at("#tab-editor"), "{stops:?}");
    assert!(at("#tab-editor") < at("#editor-apply"), "{stops:?}");
    // A roving tablist: one stop for the tabs, arrow keys for the rest.
    assert!(!stops.iter().any(|s| s == "#tab-terminal"), "{stops:?}");
}
