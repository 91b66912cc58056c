//! A small WebDriver client (W3C protocol, plain HTTP/1.1 to chromedriver on
//! loopback) driving a headless Chromium, for the html report's page tests.
//! Chromium runs with a fresh profile and without background networking; the
//! pages it loads are files (their CSP forbids any network load). Set
//! `PTR_AUDIT_WEBDRIVER_TRACE=1` to see each command on stderr.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

use crate::servers::binaries_or_skip;

/// A Chromium session driven through chromedriver; both end when dropped.
pub struct Browser {
    driver: Child,
    port: u16,
    session: String,
    _profile: tempfile::TempDir,
}

/// Whether this process runs as root (Chromium's sandbox refuses root).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|l| l.split_whitespace().nth(1))
            == Some("0")
    })
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session, or `None` (after
    /// saying so loudly; a failure under `CI=true`) when either is missing.
    pub fn start_or_skip(test: &str) -> Option<Browser> {
        let bins = binaries_or_skip(test, &["chromium", "chromedriver"])?;
        let (chromium, chromedriver) = (&bins[0], &bins[1]);
        // A free loopback port for chromedriver (it has no "any port" option).
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        // chromedriver says on stdout when it listens; then keep draining
        // its output so it never blocks on a full pipe.
        let mut out = BufReader::new(driver.stdout.take().expect("piped"));
        let mut line = String::new();
        loop {
            line.clear();
            let n = out.read_line(&mut line).expect("read chromedriver output");
            assert!(n > 0, "chromedriver exited before it listened");
            if line.contains("started successfully") {
                break;
            }
        }
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        let profile = tempfile::tempdir().expect("profile directory");
        let mut args = vec![
            "--headless".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-extensions".to_owned(),
            "--disable-default-apps".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--window-size=1280,1000".to_owned(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        if is_root() {
            args.push("--no-sandbox".to_owned());
        }
        let mut browser = Browser {
            driver,
            port,
            session: String::new(),
            _profile: profile,
        };
        let created = browser.call(
            "POST",
            "/session",
            Some(json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                // A hung load or script becomes an error instead of a hang.
                "timeouts": {"pageLoad": 120_000, "script": 120_000},
                "goog:chromeOptions": {"binary": chromium, "args": args},
                "goog:loggingPrefs": {"browser": "ALL"},
            }}})),
        );
        browser.session = created["sessionId"]
            .as_str()
            .expect("a session id")
            .to_owned();
        Some(browser)
    }

    /// One WebDriver command; panics on an HTTP or WebDriver error.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        if std::env::var_os("PTR_AUDIT_WEBDRIVER_TRACE").is_some() {
            eprintln!("webdriver: {method} {path}");
        }
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to chromedriver");
        // One write, and the answer read by its length: chromedriver does
        // not always close the connection after answering.
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.port,
            body.len()
        );
        s.write_all(request.as_bytes())
            .expect("send to chromedriver");
        let mut reader = BufReader::new(s);
        let mut head = String::new();
        loop {
            let mut line = String::new();
            let n = reader
                .read_line(&mut line)
                .expect("read chromedriver's answer");
            assert!(n > 0, "{method} {path}: chromedriver closed the connection");
            if line == "\r\n" {
                break;
            }
            head.push_str(&line.to_ascii_lowercase());
        }
        let length = head.lines().find_map(|l| {
            l.strip_prefix("content-length:")
                .and_then(|v| v.trim().parse::<usize>().ok())
        });
        let payload = match length {
            Some(n) => {
                let mut payload = vec![0; n];
                reader
                    .read_exact(&mut payload)
                    .expect("read chromedriver's answer");
                payload
            }
            None => {
                let mut rest = Vec::new();
                reader
                    .read_to_end(&mut rest)
                    .expect("read chromedriver's answer");
                if head.contains("transfer-encoding: chunked") {
                    dechunk(&rest)
                } else {
                    rest
                }
            }
        };
        let status = head.split_whitespace().nth(1).unwrap_or("").to_owned();
        let v: Value = serde_json::from_slice(&payload).unwrap_or_else(|e| {
            panic!(
                "{method} {path}: not JSON ({e}): {}",
                String::from_utf8_lossy(&payload)
            )
        });
        assert_eq!(status, "200", "{method} {path}: {v}");
        v["value"].clone()
    }

    fn session_path(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.session)
    }

    /// Opens a file and waits for it to load (WebDriver's normal page-load strategy).
    pub fn open(&self, file: &Path) {
        let url = format!(
            "file://{}",
            file.canonicalize().expect("page path").display()
        );
        self.open_url(&url);
    }

    /// Opens a URL (a file or `about:blank`: nothing on the network).
    pub fn open_url(&self, url: &str) {
        self.call(
            "POST",
            &self.session_path("/url"),
            Some(json!({"url": url})),
        );
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and returns its value.
    pub fn eval(&self, script: &str, args: Value) -> Value {
        self.call(
            "POST",
            &self.session_path("/execute/sync"),
            Some(json!({"script": script, "args": args})),
        )
    }

    /// Runs `script` that calls its last argument with the result.
    pub fn eval_async(&self, script: &str, args: Value) -> Value {
        self.call(
            "POST",
            &self.session_path("/execute/async"),
            Some(json!({"script": script, "args": args})),
        )
    }

    /// The browser's log entries since the last call (console messages,
    /// uncaught errors, CSP violations), as `LEVEL message`.
    pub fn log(&self) -> Vec<String> {
        let v = self.call(
            "POST",
            &self.session_path("/se/log"),
            Some(json!({"type": "browser"})),
        );
        v.as_array()
            .into_iter()
            .flatten()
            .map(|e| format!("{} {}", e["level"].as_str().unwrap_or(""), e["message"]))
            .collect()
    }

    /// Presses and releases keys (WebDriver key codes, e.g. `"\u{E004}"` for Tab).
    pub fn press(&self, keys: &[&str]) {
        let actions: Vec<Value> = keys
            .iter()
            .flat_map(|k| {
                [
                    json!({"type": "keyDown", "value": k}),
                    json!({"type": "keyUp", "value": k}),
                ]
            })
            .collect();
        self.call(
            "POST",
            &self.session_path("/actions"),
            Some(json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})),
        );
    }

    /// Clicks the first element matching a CSS selector.
    pub fn click(&self, css: &str) {
        let found = self.call(
            "POST",
            &self.session_path("/element"),
            Some(json!({"using": "css selector", "value": css})),
        );
        let id = found
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .expect("an element id")
            .to_owned();
        self.call(
            "POST",
            &self.session_path(&format!("/element/{id}/click")),
            Some(json!({})),
        );
    }

    /// A screenshot of the viewport, as base64 PNG.
    pub fn screenshot(&self) -> String {
        self.call("GET", &self.session_path("/screenshot"), None)
            .as_str()
            .expect("base64 PNG")
            .to_owned()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let path = self.session_path("");
            // Best effort: the driver is killed below either way.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.call("DELETE", &path, None)
            }));
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// The body of a chunked HTTP answer.
fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = data.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size = std::str::from_utf8(&data[..eol])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next()?.trim(), 16).ok())
            .unwrap_or(0);
        if size == 0 {
            return out;
        }
        let start = eol + 2;
        out.extend_from_slice(&data[start..start + size]);
        data = &data[start + size + 2..];
    }
}
