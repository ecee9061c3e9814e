//! The seccomp agent's judge: each problem with what arrived at `listenerPath` concerns the
//! requirement it breaks, so a case paints only that one.

use serde_json::{json, Value};

use crate::runner::judge::{self, Concerning, Failure};
use crate::sockets::AgentRecord;

const ID: &str = "ctr";

/// A container process state as the spec's example has it, for container `ID`.
fn good_state() -> Value {
    json!({
        "ociVersion": "1.3.0",
        "fds": ["seccompFd"],
        "pid": 4422,
        "metadata": "ocicheck",
        "state": {
            "ociVersion": "1.3.0",
            "id": ID,
            "status": "created",
            "pid": 4422,
            "bundle": "/containers/redis"
        }
    })
}

fn record(state: &str) -> AgentRecord {
    AgentRecord {
        state: state.to_string(),
        fds_per_message: vec![1],
        closed: true,
    }
}

/// The requirements a judgement of `records` concerns (empty: it held).
fn concerns(records: &[AgentRecord]) -> Vec<String> {
    match judge::agent(1, records, ID) {
        Ok(()) => Vec::new(),
        Err(Concerning { ids, failure }) => {
            assert!(matches!(failure, Failure::Fail(_)), "{failure:?}");
            ids
        }
    }
}

fn without(key: &str) -> String {
    let mut s = good_state();
    s.as_object_mut().map(|o| o.remove(key));
    s.to_string()
}

#[test]
fn a_good_state_holds() {
    assert_eq!(
        concerns(&[record(&good_state().to_string())]),
        Vec::<String>::new()
    );
}

#[test]
fn each_missing_field_concerns_its_own_requirement() {
    assert_eq!(
        concerns(&[record(&without("ociVersion"))]),
        ["linux.container-process-state.ociVersion.required"]
    );
    assert_eq!(
        concerns(&[record(&without("pid"))]),
        ["linux.container-process-state.pid.required"]
    );
    assert_eq!(
        concerns(&[record(&without("state"))]),
        ["linux.container-process-state.state.required"]
    );
    let mut s = good_state();
    s["state"]["id"] = json!("another");
    assert_eq!(
        concerns(&[record(&s.to_string())]),
        ["linux.container-process-state.state.required"]
    );
    // A state that breaks the state schema is no state of the container.
    let mut s = good_state();
    s["state"]["bundle"] = json!(["containers", "redis"]);
    assert_eq!(
        concerns(&[record(&s.to_string())]),
        ["linux.container-process-state.state.required"]
    );
    assert_eq!(
        concerns(&[record(&without("fds"))]),
        ["linux.seccomp.listener.seccompFd.required"]
    );
}

#[test]
fn a_payload_that_is_not_json_concerns_the_payload_rule() {
    let framed = format!("\u{1}\0\0\0{}", good_state());
    assert_eq!(
        concerns(&[record(&framed)]),
        ["linux.container-process-state.payload.json"]
    );
}

#[test]
fn two_states_on_a_connection_concern_one_state_per_connection_and_reuse_if_they_differ() {
    let one = good_state().to_string();
    assert_eq!(
        concerns(&[record(&format!("{one}{one}"))]),
        ["linux.seccomp.listener.one-state-per-connection"]
    );
    let mut later = good_state();
    later["state"]["status"] = json!("running");
    assert_eq!(
        concerns(&[record(&format!("{one}{later}"))]),
        [
            "linux.seccomp.listener.one-state-per-connection",
            "linux.seccomp.listener.connection.no-reuse"
        ]
    );
}

#[test]
fn descriptors_and_closing_concern_their_requirements() {
    let one = good_state().to_string();
    let mut r = record(&one);
    r.fds_per_message = vec![0, 0];
    assert_eq!(
        concerns(&[r]),
        ["linux.container-process-state.fds.scm-rights"]
    );
    let mut r = record(&one);
    r.fds_per_message = vec![1, 1];
    assert_eq!(
        concerns(&[r]),
        ["linux.container-process-state.sendmsg.fds-first-only"]
    );
    let mut r = record(&one);
    r.closed = false;
    assert_eq!(concerns(&[r]), ["linux.seccomp.listener.connection.closed"]);
    assert_eq!(
        concerns(&[]),
        ["linux.seccomp.listener.one-state-per-connection"]
    );
}
