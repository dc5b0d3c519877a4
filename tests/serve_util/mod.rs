//! Runs the real `commentguard serve` on a free loopback port for the service tests.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A key with every role, one that may only score, and one that may only learn.
pub const ADMIN: &str = "admin-key-0123456789abcdef";
pub const SCORER: &str = "score-key-0123456789abcdef";
pub const LEARNER: &str = "learn-key-0123456789abcdef";

pub const GIFT_CARDS: &str =
    "Hey, I know how badly you need money. Earn money by Gift Cards, just follow this link";
pub const CIVIL: &str = "The council should fix the potholes on Main Street before winter.";

/// Writes the test keys file into `dir`.
pub fn keys_file(dir: &Path) -> PathBuf {
    let path = dir.join("keys.toml");
    std::fs::write(
        &path,
        format!(
            "[[key]]\nkey = \"{ADMIN}\"\nroles = [\"score\", \"learn\", \"admin\"]\n\
             [[key]]\nkey = \"{SCORER}\"\nroles = [\"score\"]\n\
             [[key]]\nkey = \"{LEARNER}\"\nroles = [\"learn\"]\n"
        ),
    )
    .expect("writing the keys file");
    path
}

/// A running server, killed when dropped.
pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Server {
    /// Starts `commentguard serve --listen 127.0.0.1:0 --keys DIR/keys.toml ARGS...`.
    pub fn start(dir: &Path, args: &[&str]) -> Server {
        Server::start_through(dir, args, None)
    }

    /// As [`start`](Self::start), through `sh -c SCRIPT` when given: the script ends with
    /// `exec "$@"`, which runs the server (limits set by the script apply to it).
    pub fn start_through(dir: &Path, args: &[&str], script: Option<&str>) -> Server {
        let keys = keys_file(dir);
        let mut command = match script {
            Some(script) => {
                let mut c = Command::new("sh");
                c.args(["-c", script, "sh", env!("CARGO_BIN_EXE_commentguard")]);
                c
            }
            None => Command::new(env!("CARGO_BIN_EXE_commentguard")),
        };
        let mut child = command
            .arg("serve")
            .args(["--listen", "127.0.0.1:0", "--keys"])
            .arg(&keys)
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the binary runs");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("reading the address line");
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("expected `listening on ADDR`, got {line:?}"))
            .to_owned();
        let server = Server {
            child,
            base: format!("http://{addr}"),
        };
        server.wait_ready();
        server
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.get("/readyz", None).0 == 200 {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("the server never became ready");
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET with an optional bearer key: (status, body).
    pub fn get(&self, path: &str, key: Option<&str>) -> (u16, String) {
        let mut req = ureq::get(&self.url(path));
        if let Some(k) = key {
            req = req.set("Authorization", &format!("Bearer {k}"));
        }
        answer(req.call())
    }

    /// POST a JSON body with an optional bearer key.
    pub fn post_json(&self, path: &str, key: Option<&str>, body: &str) -> (u16, String) {
        let mut req = ureq::post(&self.url(path)).set("Content-Type", "application/json");
        if let Some(k) = key {
            req = req.set("Authorization", &format!("Bearer {k}"));
        }
        answer(req.send_string(body))
    }

    /// POST a form.
    pub fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> (u16, String, Option<String>) {
        let result = ureq::post(&self.url(path)).send_form(fields);
        let pro_tip = match &result {
            Ok(r) => r.header("X-akismet-pro-tip").map(str::to_owned),
            Err(_) => None,
        };
        let (status, body) = answer(result);
        (status, body, pro_tip)
    }

    /// The native score of `text` for `label`.
    pub fn score(&self, text: &str, label: &str) -> f64 {
        let body = serde_json::json!({ "text": text }).to_string();
        let (status, out) = self.post_json("/v1/score", Some(ADMIN), &body);
        assert_eq!(status, 200, "{out}");
        json(&out)["results"][0]["scores"][label]
            .as_f64()
            .expect("a score")
    }

    /// Sends a signal to the server process.
    pub fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .args(["-s", name, &self.child.id().to_string()])
            .status()
            .expect("kill runs")
            .success();
        assert!(ok, "kill -s {name}");
    }
}

impl Server {
    /// Sends `request` (a request head, and whatever of a body) over a raw connection,
    /// ignoring a failed write (the server may answer and close before reading a refused
    /// body), and returns all it answers until it closes (20 s at most).
    pub fn exchange_raw(&self, request: &[u8]) -> String {
        use std::io::{Read, Write};
        let addr = self.base.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(addr).expect("connecting");
        let _ = stream.write_all(request);
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .expect("a read timeout");
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).into_owned()
    }

    /// POSTs `body` over a raw connection and returns the status and body of the answer.
    pub fn post_raw(&self, path: &str, key: &str, body: &[u8]) -> (u16, String) {
        let addr = self.base.trim_start_matches("http://");
        let mut request = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {key}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(body);
        let answer = self.exchange_raw(&request);
        let status = answer
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status line in {answer:?}"));
        // The JSON body, whether sent whole or in chunks.
        let body = match (answer.find('{'), answer.rfind('}')) {
            (Some(a), Some(b)) if a < b => answer[a..=b].to_owned(),
            _ => String::new(),
        };
        (status, body)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn answer(result: Result<ureq::Response, ureq::Error>) -> (u16, String) {
    match result {
        Ok(r) => (r.status(), r.into_string().expect("a text body")),
        Err(ureq::Error::Status(code, r)) => (code, r.into_string().expect("a text body")),
        Err(e) => panic!("transport error: {e}"),
    }
}

pub fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

/// Checks `body` is a Google-shaped error with `code` and a message containing `needle`.
pub fn assert_error(status: u16, body: &str, code: u16, needle: &str) {
    assert_eq!(status, code, "{body}");
    let v = json(body);
    assert_eq!(v["error"]["code"], code, "{body}");
    assert!(v["error"]["status"].is_string(), "{body}");
    let message = v["error"]["message"].as_str().expect("a message");
    assert!(message.contains(needle), "{needle:?} not in {message:?}");
}
