//! The `html` report in a real headless Chromium (driven over WebDriver):
//! the page builds without console errors, draws one cell per address for a
//! /24 and one per /24 for a /12, shows a hostile name as text without
//! running it, lets the keyboard reach the map's cells, zooms and searches,
//! and its screenshot is not blank. The pages come from the real command
//! line: `scan --format html` over the bundled example, `merge --format
//! html` and `render` over synthetic records.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::webdriver::Browser;

/// The name from issue 18: markup that would set the title if it ever ran.
const HOSTILE: &str = "<img/src=x/onerror=document.title='pwned'>.evil.example.";

/// One synthetic `jsonl` record line of `ip` in `block`: `ok` with a
/// forward-confirmed name, or one error finding of `code`.
fn record_line(ip: &str, dc: &str, block: &str, name: &str, code: Option<&str>) -> String {
    let (status, findings) = match code {
        None => ("ok".to_owned(), json!([])),
        Some(c) => (
            c.to_owned(),
            json!([{
                "code": c,
                "severity": "error",
                "message": format!("`{name}` is not right"),
            }]),
        ),
    };
    let (iprev, receivers) = match code {
        None => ("pass", json!([])),
        Some(_) => (
            "fail",
            json!([
                {"id": "postfix-strict", "verdict": "reject", "score": null,
                 "rules": ["reject_unknown_client_hostname"], "source": "postfix 3.7"},
                {"id": "gmail", "verdict": "reject", "score": null,
                 "rules": ["550-5.7.25"], "source": "gmail sender guidelines"},
            ]),
        ),
    };
    json!({
        "ip": ip, "datacenter": dc, "block": block, "policy": "hosting",
        "source": {"file": "synthetic.yaml", "line": 1}, "expected": null,
        "ptr": [name], "cname_chain": [], "rcode": "NOERROR", "result": "answer",
        "failure": null, "dead_end": null, "attempts": 1, "forward": {name: [ip]},
        "status": status, "findings": findings, "iprev": iprev, "receivers": receivers,
    })
    .to_string()
}

fn ptr_audit(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ptr-audit"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run ptr-audit")
}

/// A /24 (10.1.2.0/24, datacenter `dc1`) whose every third address has no
/// PTR, `.7` holds the hostile name, `.255` has no record; drawn by `merge
/// --format html`.
fn slash_24_page(dir: &Path) -> PathBuf {
    let mut lines = Vec::new();
    for i in 0..255u32 {
        let ip = format!("10.1.2.{i}");
        let line = if i == 7 {
            record_line(&ip, "dc1", "10.1.2.0/24", HOSTILE, Some("ptr-invalid"))
        } else {
            let code = (i % 3 == 0).then_some("ptr-missing");
            record_line(
                &ip,
                "dc1",
                "10.1.2.0/24",
                &format!("host{i}.example."),
                code,
            )
        };
        lines.push(line);
    }
    let input = dir.join("slash24.jsonl");
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let out = ptr_audit(&["merge", input.to_str().unwrap(), "--format", "html"]);
    // Missing PTRs are errors: the merged report's gate fails (exit 1).
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = dir.join("slash24.html");
    std::fs::write(&page, &out.stdout).unwrap();
    page
}

/// Loads `page` and checks it built without a single browser log entry
/// (console errors, uncaught exceptions, CSP violations).
fn load(browser: &Browser, page: &Path) {
    browser.open(page);
    assert_eq!(
        browser.eval("return document.documentElement.dataset.ready", json!([])),
        json!("true"),
        "the page's script did not finish"
    );
    let log = browser.log();
    assert!(log.is_empty(), "browser log: {log:#?}");
}

#[test]
fn html_slash_24_has_a_cell_per_address_and_hostile_names_stay_text() {
    let Some(browser) = Browser::start_or_skip("html_slash_24") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = slash_24_page(dir.path());
    load(&browser, &page);
    let dom = browser.eval(
        "const cells = [...document.querySelectorAll('svg.map rect.cell')];
         return {
           cells: cells.length,
           prefixes: new Set(cells.map(c => c.dataset.prefix)).size,
           missing: cells.filter(c => c.dataset.statusPtrMissing === '1').length,
           ok: cells.filter(c => c.dataset.statusOk === '1').length,
           invalid: cells.filter(c => c.dataset.statusPtrInvalid === '1').map(c => c.dataset.prefix),
           empty: cells.filter(c => !Object.keys(c.dataset).some(k => k.startsWith('status'))).map(c => c.dataset.prefix),
           title: document.title,
           images: document.images.length,
           row: Object.assign({}, document.querySelector('tr[data-prefix=\"10.1.2.0/24\"]').dataset),
         };",
        json!([]),
    );
    assert_eq!(dom["cells"], 256, "{dom}");
    assert_eq!(dom["prefixes"], 256);
    // .0, .3, ... .252 (85) minus .7's neighbour pattern: .7 is not a multiple of 3.
    assert_eq!(dom["missing"], 85);
    assert_eq!(dom["ok"], 255 - 85 - 1);
    assert_eq!(dom["invalid"], json!(["10.1.2.7/32"]));
    assert_eq!(dom["empty"], json!(["10.1.2.255/32"]));
    assert!(
        dom["title"].as_str().unwrap().starts_with("ptr-audit:"),
        "{dom}"
    );
    assert_eq!(dom["images"], 0, "the hostile name became an element");
    assert_eq!(dom["row"]["statusPtrMissing"], "85");
    assert_eq!(dom["row"]["statusOk"], "169");

    // Search by name: the hostile name comes back as text, and nothing ran.
    let found = browser.eval(
        "const q = document.getElementById('search');
         q.value = 'evil.example';
         q.form.requestSubmit();
         return document.getElementById('results').textContent;",
        json!([]),
    );
    assert!(found.as_str().unwrap().contains(HOSTILE), "{found}");
    // Click the hostile address: the zoom lists it, as text.
    browser.click("rect.cell[data-prefix=\"10.1.2.7/32\"]");
    let zoom = browser.eval(
        "const z = document.getElementById('zoom');
         return {hidden: z.hidden, cells: z.querySelectorAll('rect.zcell').length, text: z.textContent,
                 images: document.images.length, title: document.title};",
        json!([]),
    );
    assert_eq!(zoom["hidden"], false);
    assert_eq!(zoom["cells"], 256);
    assert!(zoom["text"].as_str().unwrap().contains(HOSTILE));
    assert_eq!(zoom["images"], 0);
    assert_ne!(zoom["title"], "pwned");
    let log = browser.log();
    assert!(log.is_empty(), "browser log: {log:#?}");
}

#[test]
fn html_keyboard_focus_reaches_the_map_cells() {
    let Some(browser) = Browser::start_or_skip("html_keyboard_focus") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = slash_24_page(dir.path());
    load(&browser, &page);
    let focused = "const a = document.activeElement;
                   return a && a.matches('rect.cell') ? a.dataset.prefix : null;";
    // Tab from the top of the page: the search box, its button, then the map.
    let mut reached = Value::Null;
    for _ in 0..10 {
        browser.press(&["\u{E004}"]);
        reached = browser.eval(focused, json!([]));
        if !reached.is_null() {
            break;
        }
    }
    assert_eq!(
        reached,
        json!("10.1.2.0/32"),
        "Tab never reached a map cell"
    );
    // Arrow keys move along the grid; the tooltip follows.
    browser.press(&["\u{E014}"]); // ArrowRight
    let next = browser.eval(focused, json!([]));
    assert!(next.is_string() && next != reached, "{next}");
    let tip = browser.eval(
        "const t = document.getElementById('tip'); return [t.style.display, t.textContent];",
        json!([]),
    );
    assert_eq!(tip[0], "block");
    let addr = next.as_str().unwrap().trim_end_matches("/32");
    assert!(tip[1].as_str().unwrap().starts_with(addr), "{tip}");
    // Enter zooms into the address's /24.
    browser.press(&["\u{E007}"]);
    assert_eq!(
        browser.eval("return document.getElementById('zoom').hidden", json!([])),
        json!(false)
    );
}

#[test]
fn html_slash_12_has_a_cell_per_slash_24() {
    let Some(browser) = Browser::start_or_skip("html_slash_12") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // Two addresses in every /24 of 10.16.0.0/12; the second one is generic
    // in every 8th /24. Drawn by `render` from a jsonl report.
    let mut lines = String::new();
    for k in 0..4096u32 {
        for j in 0..2u32 {
            let ip = format!("10.{}.{}.{j}", 16 + (k >> 8), k & 255);
            let code = (j == 1 && k % 8 == 0).then_some("ptr-generic");
            lines.push_str(&record_line(
                &ip,
                "dc12",
                "10.16.0.0/12",
                "h.example.",
                code,
            ));
            lines.push('\n');
        }
    }
    let input = dir.path().join("slash12.jsonl");
    std::fs::write(&input, lines).unwrap();
    let page = dir.path().join("slash12.html");
    let out = ptr_audit(&[
        "render",
        input.to_str().unwrap(),
        "-o",
        page.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    load(&browser, &page);
    let dom = browser.eval(
        "const cells = [...document.querySelectorAll('svg.map rect.cell')];
         return {
           cells: cells.length,
           first: [cells[0].dataset.prefix, cells[0].dataset.statusOk, cells[0].dataset.statusPtrGeneric],
           generic: cells.filter(c => c.dataset.statusPtrGeneric === '1').length,
           slash24: cells.every(c => c.dataset.prefix.endsWith('/24')),
           gate: document.getElementById('gate').textContent,
         };",
        json!([]),
    );
    assert_eq!(dom["cells"], 4096, "{dom}");
    assert_eq!(dom["slash24"], true);
    assert_eq!(dom["first"], json!(["10.16.0.0/24", "1", "1"]));
    assert_eq!(dom["generic"], 512);
    assert_eq!(dom["gate"], "gate not recorded (jsonl)");
}

/// Pixel statistics of a base64 PNG, decoded by the browser itself on a
/// blank page: size, pixels that are not near-white, and distinct colours
/// (4 bits per channel).
fn pixel_stats(browser: &Browser, png: &str) -> Value {
    browser.open_url("about:blank");
    browser.eval_async(
        "const [b64, done] = arguments;
         const img = new Image();
         img.onload = () => {
           const c = document.createElement('canvas');
           c.width = img.width; c.height = img.height;
           const g = c.getContext('2d');
           g.drawImage(img, 0, 0);
           const d = g.getImageData(0, 0, c.width, c.height).data;
           let ink = 0; const colours = new Set();
           for (let i = 0; i < d.length; i += 4) {
             if (d[i] < 240 || d[i + 1] < 240 || d[i + 2] < 240) ink++;
             colours.add(((d[i] >> 4) << 8) | ((d[i + 1] >> 4) << 4) | (d[i + 2] >> 4));
           }
           done({width: c.width, height: c.height, ink, colours: colours.size});
         };
         img.onerror = () => done({error: 'not a PNG'});
         img.src = 'data:image/png;base64,' + b64;",
        json!([png]),
    )
}

#[test]
fn html_bundled_example_renders_and_its_screenshot_is_not_blank() {
    let Some(browser) = Browser::start_or_skip("html_bundled_example") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("example.html");
    let out = ptr_audit(&[
        "scan",
        "--zones",
        "inventories/example/zones",
        "inventories/example/inventory.yaml",
        "--output",
        &format!("html={}", page.display()),
    ]);
    // The example has findings at the fail level: exit 1, the page written.
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    load(&browser, &page);
    let dom = browser.eval(
        "return {
           blocks: [...document.querySelectorAll('figure.block')].map(f => f.dataset.prefix),
           cells: document.querySelectorAll('svg.map rect.cell').length,
           migration: document.querySelectorAll('#migration tbody tr').length,
           legend: document.querySelectorAll('#legend li').length,
           state: document.getElementById('run-state').textContent,
           gate: document.getElementById('gate').textContent,
         };",
        json!([]),
    );
    assert_eq!(dom["blocks"].as_array().unwrap().len(), 6, "{dom}");
    // 32 + 16 + 8 + 64 + 64 + 16 cells: every address of every block.
    assert_eq!(dom["cells"], 200);
    assert_eq!(dom["migration"], 3);
    assert_eq!(dom["state"], "complete");
    assert_eq!(dom["gate"], "gate failed (fail level error)");
    let stats = pixel_stats(&browser, &browser.screenshot());
    let total = stats["width"].as_u64().unwrap() * stats["height"].as_u64().unwrap();
    assert!(total > 0, "{stats}");
    // Text, badges and maps: well over 5% ink and many colours.
    assert!(stats["ink"].as_u64().unwrap() * 20 > total, "{stats}");
    assert!(stats["colours"].as_u64().unwrap() >= 8, "{stats}");
}
