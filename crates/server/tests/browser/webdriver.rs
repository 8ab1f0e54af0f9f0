//! A small W3C WebDriver client over plain HTTP JSON (reqwest): starts Debian's chromedriver with
//! headless chromium, and offers the few commands the browser test needs.

use base64::Engine;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The key W3C WebDriver uses for element references.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Finds an executable on `PATH` (or at one of `fallbacks`).
pub fn find_executable(name: &str, fallbacks: &[&str]) -> Option<PathBuf> {
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    fallbacks.iter().map(PathBuf::from).find(|p| p.is_file())
}

/// A running chromedriver and one browser session; both end when dropped.
pub struct Browser {
    http: reqwest::Client,
    base: String,
    session: String,
    driver: Child,
    _profile: tempfile::TempDir,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Browser {
    /// Starts chromedriver and a headless chromium session with a fresh profile.
    pub async fn start(chromedriver: &Path, chromium: &Path) -> Result<Browser, String> {
        let port = free_port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", chromedriver.display()))?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| e.to_string())?;
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        loop {
            if let Ok(response) = http.get(format!("{base}/status")).send().await
                && let Ok(body) = response.json::<Value>().await
                && body["value"]["ready"] == true
            {
                break;
            }
            if started.elapsed() > Duration::from_secs(20) {
                return Err("chromedriver did not become ready in 20 s".to_string());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().map_err(|e| e.to_string())?;
        let args = vec![
            "--headless".to_string(),
            "--no-sandbox".to_string(),
            "--disable-gpu".to_string(),
            "--disable-quic".to_string(),
            "--no-first-run".to_string(),
            "--disable-background-networking".to_string(),
            "--disable-component-update".to_string(),
            "--disable-sync".to_string(),
            "--disable-dev-shm-usage".to_string(),
            "--window-size=1400,1000".to_string(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium.to_string_lossy(), "args": args},
            "goog:loggingPrefs": {"browser": "ALL"},
        }}});
        let response: Value = http
            .post(format!("{base}/session"))
            .json(&capabilities)
            .send()
            .await
            .map_err(|e| format!("creating a session: {e}"))?
            .json()
            .await
            .map_err(|e| format!("creating a session: {e}"))?;
        let Some(session) = response["value"]["sessionId"].as_str() else {
            return Err(format!("chromedriver refused the session: {response}"));
        };
        Ok(Browser {
            http,
            base,
            session: session.to_string(),
            driver,
            _profile: profile,
        })
    }

    async fn command(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let url = format!("{}/session/{}{}", self.base, self.session, path);
        let mut request = self.http.request(method, &url);
        request = request.json(&body.unwrap_or_else(|| json!({})));
        let response = request.send().await.map_err(|e| format!("{path}: {e}"))?;
        let value: Value = response.json().await.map_err(|e| format!("{path}: {e}"))?;
        if let Some(error) = value["value"]["error"].as_str() {
            return Err(format!("{path}: {error}: {}", value["value"]["message"]));
        }
        Ok(value["value"].clone())
    }

    async fn get(&self, path: &str) -> Result<Value, String> {
        let url = format!("{}/session/{}{}", self.base, self.session, path);
        let value: Value = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|e| format!("{path}: {e}"))?
            .json()
            .await
            .map_err(|e| format!("{path}: {e}"))?;
        if let Some(error) = value["value"]["error"].as_str() {
            return Err(format!("{path}: {error}: {}", value["value"]["message"]));
        }
        Ok(value["value"].clone())
    }

    /// Opens a URL.
    pub async fn goto(&self, url: &str) -> Result<(), String> {
        self.command(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await
            .map(|_| ())
    }

    /// Sets the window size.
    pub async fn window(&self, width: u32, height: u32) -> Result<(), String> {
        self.command(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        )
        .await
        .map(|_| ())
    }

    /// Runs a script in the page and returns its result.
    pub async fn script(&self, script: &str, args: Vec<Value>) -> Result<Value, String> {
        self.command(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
        .await
    }

    /// The element matching a CSS selector, if there is one now.
    pub async fn find(&self, css: &str) -> Result<Option<String>, String> {
        let result = self
            .command(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        match result {
            Ok(value) => Ok(value[ELEMENT_KEY].as_str().map(str::to_string)),
            Err(error) if error.contains("no such element") => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Waits until an element matching `css` exists (and, with `text`, contains that text).
    pub async fn wait_for(
        &self,
        css: &str,
        text: Option<&str>,
        timeout: Duration,
    ) -> Result<String, String> {
        let started = Instant::now();
        loop {
            if let Some(element) = self.find(css).await? {
                match text {
                    None => return Ok(element),
                    Some(text) => {
                        let found: Value = self
                            .script(
                                "return [...document.querySelectorAll(arguments[0])].some(e => e.textContent.includes(arguments[1]))",
                                vec![json!(css), json!(text)],
                            )
                            .await?;
                        if found == json!(true) {
                            return Ok(element);
                        }
                    }
                }
            }
            if started.elapsed() > timeout {
                let body = self
                    .script("return document.body.innerText.slice(0, 2000)", vec![])
                    .await
                    .unwrap_or_default();
                return Err(format!(
                    "waited {timeout:?} for {css}{} — the page shows:\n{}",
                    text.map(|t| format!(" containing {t:?}"))
                        .unwrap_or_default(),
                    body.as_str().unwrap_or_default()
                ));
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Clicks an element by reference.
    pub async fn click_element(&self, element: &str) -> Result<(), String> {
        self.command(
            reqwest::Method::POST,
            &format!("/element/{element}/click"),
            None,
        )
        .await
        .map(|_| ())
    }

    /// Waits for and clicks the element matching `css`.
    pub async fn click(&self, css: &str) -> Result<(), String> {
        let element = self.wait_for(css, None, Duration::from_secs(15)).await?;
        self.click_element(&element).await
    }

    /// Types text into the element matching `css`.
    pub async fn type_into(&self, css: &str, text: &str) -> Result<(), String> {
        let element = self.wait_for(css, None, Duration::from_secs(15)).await?;
        self.command(
            reqwest::Method::POST,
            &format!("/element/{element}/value"),
            Some(json!({"text": text})),
        )
        .await
        .map(|_| ())
    }

    /// Saves a PNG screenshot of the viewport.
    pub async fn screenshot(&self, path: &Path) -> Result<(), String> {
        let value = self.get("/screenshot").await?;
        let data = base64::engine::general_purpose::STANDARD
            .decode(value.as_str().unwrap_or_default())
            .map_err(|e| format!("screenshot is not base64: {e}"))?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        std::fs::write(path, data).map_err(|e| format!("writing {}: {e}", path.display()))
    }

    /// Script errors in the browser console so far (chromium reports them through its log
    /// endpoint; failed network requests are left out).
    pub async fn console_errors(&self) -> Vec<String> {
        let Ok(value) = self
            .command(
                reqwest::Method::POST,
                "/se/log",
                Some(json!({"type": "browser"})),
            )
            .await
        else {
            return Vec::new();
        };
        value
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .filter(|e| e["level"] == "SEVERE")
                    // Failed requests (401 before signing in, optional endpoints) are expected.
                    .filter(|e| {
                        !e["message"]
                            .as_str()
                            .unwrap_or("")
                            .contains("Failed to load resource")
                    })
                    .filter_map(|e| e["message"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ending the session closes chromium; then stop the driver we started.
        let url = format!("{}/session/{}", self.base, self.session);
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(runtime) = runtime {
                runtime.block_on(async {
                    let _ = reqwest::Client::new().delete(url).send().await;
                });
            }
        })
        .join();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
