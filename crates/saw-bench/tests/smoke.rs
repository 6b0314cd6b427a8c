//! The benchmarks run end to end on a few hundred messages, so they never rot (no timing is
//! checked: figures depend on the machine). The loop benchmark runs the `saw` binary built
//! beside it (`cargo test --workspace` builds it).

use std::process::Command;

use serde_json::Value;

fn bench(args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_saw-bench"))
        .args(args)
        .arg("--json")
        .output()
        .expect("run saw-bench");
    assert!(
        out.status.success(),
        "saw-bench {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("saw-bench --json prints JSON")
}

fn figure(report: &Value, name: &str) -> f64 {
    report["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"].as_str().is_some_and(|n| n.starts_with(name)))
        .unwrap_or_else(|| panic!("{name} in {report}"))["value"]
        .as_f64()
        .unwrap_or(f64::NAN)
}

fn setup<'a>(report: &'a Value, what: &str) -> &'a str {
    report["setup"]
        .as_array()
        .unwrap()
        .iter()
        .find(|pair| pair[0] == what)
        .unwrap_or_else(|| panic!("{what} in {report}"))[1]
        .as_str()
        .unwrap()
}

#[test]
fn the_whole_loop_runs_on_a_few_hundred_webhooks() {
    let report = bench(&["--messages", "300", "--agents", "4", "--rate", "200"]);
    assert_eq!(report["scenario"], "loop");
    assert_eq!(setup(&report, "not acknowledged"), "0", "{report}");
    assert_eq!(
        setup(&report, "never seen on a live stream"),
        "0 flat out, 0 at rate",
        "every customer message reaches the admin's stream: {report}"
    );
    assert!(figure(&report, "acknowledged webhooks, flat out") > 0.0);
    assert!(
        figure(&report, "bot replies sent") > 0.0,
        "the bot answered"
    );
    assert!(figure(&report, "webhook → agent event p99").is_finite());
    assert!(figure(&report, "server RSS peak") > 0.0);
}

#[test]
fn the_dashboard_benchmark_runs_on_a_small_history() {
    let report = bench(&[
        "--scenario",
        "dashboard",
        "--messages",
        "3000",
        "--days",
        "3",
    ]);
    assert_eq!(report["scenario"], "dashboard");
    assert_eq!(setup(&report, "messages"), "3000", "{report}");
    assert!(figure(&report, "summary (") > 0.0);
}

#[test]
fn start_and_connection_benchmarks_run_small() {
    let start = bench(&["--scenario", "startup", "--tickets", "500"]);
    assert_eq!(setup(&start, "tickets"), "500", "{start}");
    assert!(figure(&start, "start to ready, 500 tickets") > 0.0);
    let streams = bench(&["--scenario", "connections", "--connections", "40"]);
    assert_eq!(setup(&streams, "streams open"), "40", "{streams}");
    assert!(figure(&streams, "server RSS with 40 idle streams") > 0.0);
}
