//! The real `saw` binary, as operators run it: `saw serve` on a fresh data dir (pinned to
//! one core where the machine allows), the CLI beside it, and the server's memory read from
//! `/proc`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

pub const ADMIN_EMAIL: &str = "bench@loja.com.br";
pub const PASSWORD: &str = "senha-do-benchmark-1";

/// The `saw` binary built beside this one (`cargo build --release` builds both).
pub fn default_binary() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("saw")))
        .unwrap_or_else(|| PathBuf::from("saw"))
}

/// Whether `taskset` can pin processes to cores here (two cores or more).
pub fn can_pin() -> bool {
    std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2)
        && Command::new("taskset")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
}

/// Pins this process (the load generator) to the last core, away from the server's.
pub fn pin_self_to_last_core() -> bool {
    let last = std::thread::available_parallelism().map_or(1, |n| n.get()) - 1;
    Command::new("taskset")
        .args([
            "-a",
            "-cp",
            &last.to_string(),
            &std::process::id().to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A command that runs `program` on core 0 when `pin`.
pub fn pinned(program: &Path, pin: bool) -> Command {
    if pin {
        let mut cmd = Command::new("taskset");
        cmd.arg("-c").arg("0").arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

/// A free TCP port on the loopback.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

pub struct Saw {
    pub binary: PathBuf,
    pub data_dir: PathBuf,
    pub database_url: String,
}

/// Lets the benchmark read the server's `/metrics` (the outbox's depth).
const METRICS_TOKEN: &str = "saw-bench-metrics";

pub struct Serving {
    child: Child,
    pub base: String,
    /// From spawning to `/readyz` answering 200.
    pub start_to_ready: Duration,
}

impl Saw {
    /// The binary `args` name (or the one beside this benchmark) on `db`.
    pub fn on(args: &crate::Args, db: &crate::database::Fresh) -> Saw {
        Saw {
            binary: args.saw_binary.clone().unwrap_or_else(default_binary),
            data_dir: db.data_dir.clone(),
            database_url: db.url_arg(),
        }
    }

    fn command(&self, program_pin: bool) -> Command {
        let mut cmd = pinned(&self.binary, program_pin);
        cmd.env("SAW_DATA_DIR", &self.data_dir)
            .env("SAW_DATABASE_URL", &self.database_url)
            .env("SAW_ADMIN_EMAIL", ADMIN_EMAIL)
            .env("SAW_ADMIN_PASSWORD", PASSWORD)
            .env("SAW_LOG", "warn")
            .env("SAW_METRICS_TOKEN", METRICS_TOKEN)
            .stdin(Stdio::null());
        cmd
    }

    /// Runs a CLI command; answers its standard output.
    pub fn cli(&self, args: &[&str]) -> anyhow::Result<String> {
        let out = self
            .command(false)
            .args(args)
            .output()
            .with_context(|| format!("running {} {args:?}", self.binary.display()))?;
        if !out.status.success() {
            bail!(
                "saw {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Starts `saw serve` and waits until it is ready.
    pub async fn serve(&self, pin: bool) -> anyhow::Result<Serving> {
        if !self.binary.exists() {
            bail!(
                "{} is missing: build it first with `cargo build --release` (or pass --saw-binary)",
                self.binary.display()
            );
        }
        let port = free_port()?;
        let started = Instant::now();
        let child = self
            .command(pin)
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting saw serve")?;
        let base = format!("http://127.0.0.1:{port}");
        let mut serving = Serving {
            child,
            base,
            start_to_ready: Duration::ZERO,
        };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ready = client
                .get(format!("{}/readyz", serving.base))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ready {
                serving.start_to_ready = started.elapsed();
                return Ok(serving);
            }
            if let Some(status) = serving.child.try_wait()? {
                bail!("saw serve exited before it was ready ({status})");
            }
            if Instant::now() > deadline {
                bail!("saw serve was not ready within a minute");
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
}

impl Serving {
    /// Outbound messages still queued (`saw_outbox_depth`), or `None` if `/metrics` does
    /// not answer.
    pub async fn outbox_depth(&self, client: &reqwest::Client) -> Option<u64> {
        let text = client
            .get(format!("{}/metrics", self.base))
            .bearer_auth(METRICS_TOKEN)
            .timeout(std::time::Duration::from_secs(5))
            .send()
            .await
            .ok()?
            .error_for_status()
            .ok()?
            .text()
            .await
            .ok()?;
        text.lines()
            .find_map(|line| line.strip_prefix("saw_outbox_depth "))
            .and_then(|n| n.trim().parse().ok())
    }

    /// The server's (resident now, peak) memory in bytes. With `taskset` in front, the
    /// server is taskset's child only until taskset execs it: the pid is the same.
    pub fn memory(&self) -> Option<(u64, u64)> {
        Some((self.status_bytes("VmRSS:")?, self.status_bytes("VmHWM:")?))
    }

    /// The part of the resident memory that is the server's own (heap, stacks), in bytes.
    /// The rest is the binary's code and the libraries, mapped from the page cache: how
    /// much of that counts depends on how the kernel cached the file (the same binary,
    /// copied two ways, showed 16.3 and 18.6 MB), not on what the server does.
    pub fn own_memory(&self) -> Option<u64> {
        self.status_bytes("RssAnon:")
    }

    /// A `/proc/{pid}/status` field given in kB, in bytes.
    fn status_bytes(&self, name: &str) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find(|l| l.starts_with(name))?
            .split_whitespace()
            .nth(1)?
            .parse::<u64>()
            .ok()
            .map(|kb| kb * 1024)
    }

    /// CPU time the server has used so far, all its threads together (user and system).
    /// Unlike throughput, CPU per message hardly moves when another program shares the
    /// machine.
    pub fn cpu_time(&self) -> Option<Duration> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).ok()?;
        // After the command name in parentheses: state is field 3, utime 14, stime 15.
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        let ticks = |index: usize| fields.get(index)?.parse::<u64>().ok();
        // Linux counts these in USER_HZ, 100 per second on every architecture it exposes.
        let total = ticks(11)? + ticks(12)?;
        Some(Duration::from_millis(total * 10))
    }

    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
