//! `linux.netDevices` (config-linux.md "Network Devices"): host interfaces moved into the
//! container's network namespace, renamed, their permanent global addresses kept, set up.
//!
//! [`plan`] runs before anything is made: each listed interface must exist on the host and be
//! movable (linux.netDevices.move.checked), and the container must have a network namespace of
//! its own. [`move_all`] runs once the container's init is in its namespaces: a name already
//! used there is refused before anything moves (linux.netDevices.name.conflict.error), then one
//! RTM_NEWLINK moves and renames each interface (the kernel fills a `%d` template,
//! linux.netDevices.name.template.allowed); the move flushes its addresses, so they are added
//! again in the new namespace (linux.netDevices.attributes.preserved), and the interface is set
//! up (linux.netDevices.state.up). Nothing moves them back: they leave with the namespace
//! (linux.netDevices.delete.not-moved-back).

mod netlink;

use std::fs::File;
use std::os::fd::AsRawFd;

use nix::errno::Errno;
use nix::sched::{setns, CloneFlags};
use oci_spec::runtime::{LinuxNamespaceType, Spec};

use crate::error::{Error, Result};
use crate::mutation::{self, Flaw};
use netlink::{Address, Link, Socket};

/// The name template the kernel fills with the first free number.
const NAME_TEMPLATE: &str = "%d";

/// One interface to move, as checked on the host.
#[derive(Debug)]
pub struct Planned {
    /// Its name on the host (the key of linux.netDevices).
    host_name: String,
    /// Its name in the container.
    target: String,
    link: Link,
    /// Its permanent global addresses, added again after the move.
    addresses: Vec<Address>,
}

/// The interfaces of linux.netDevices, in name order, each with its name in the container.
fn listed(spec: &Spec) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = spec
        .linux()
        .as_ref()
        .and_then(|l| l.net_devices().clone())
        .unwrap_or_default()
        .into_iter()
        .map(|(host, d)| {
            let target = d.name().clone().unwrap_or_else(|| host.clone());
            (host, target)
        })
        .collect();
    v.sort();
    v
}

fn netlink_error(what: String) -> impl FnOnce(Errno) -> Error {
    move |e| Error::sys(format!("linux.netDevices: {what}"), e)
}

/// Checks linux.netDevices on the host, before anything is made.
pub fn plan(spec: &Spec) -> Result<Vec<Planned>> {
    let listed = listed(spec);
    if listed.is_empty() || mutation::active(Flaw::IgnoreNetDevices) {
        return Ok(Vec::new());
    }
    let has_netns = spec
        .linux()
        .as_ref()
        .and_then(|l| l.namespaces().clone())
        .unwrap_or_default()
        .iter()
        .any(|n| n.typ() == LinuxNamespaceType::Network);
    if !has_netns {
        return Err(Error::msg(
            "linux.netDevices: the container has no network namespace of its own to move \
             interfaces into (list one in linux.namespaces)",
        ));
    }
    let mut sock = Socket::open().map_err(netlink_error("netlink socket".into()))?;
    let mut planned = Vec::new();
    for (host_name, target) in listed {
        if target.contains(NAME_TEMPLATE) && mutation::active(Flaw::RefuseNetDeviceNameTemplate) {
            return Err(Error::msg(format!(
                "linux.netDevices[{host_name}].name: {target:?} is not a valid interface name"
            )));
        }
        let link = sock
            .link_by_name(&host_name)
            .map_err(netlink_error(format!("looking up {host_name}")))?;
        let Some(link) = link else {
            if mutation::active(Flaw::SkipMissingNetDevices) {
                continue;
            }
            return Err(Error::msg(format!(
                "linux.netDevices: the host has no network interface {host_name:?} to move"
            )));
        };
        if link.flags & nix::libc::IFF_LOOPBACK as u32 != 0 {
            return Err(Error::msg(format!(
                "linux.netDevices: {host_name:?} is a loopback interface, which cannot leave its network namespace"
            )));
        }
        let addresses = sock
            .addresses(link.index)
            .map_err(netlink_error(format!(
                "listing the addresses of {host_name}"
            )))?
            .into_iter()
            .filter(Address::permanent_global)
            .collect();
        planned.push(Planned {
            host_name,
            target,
            link,
            addresses,
        });
    }
    Ok(planned)
}

/// Runs `f` with the calling thread in the network namespace `netns`, then returns to the one
/// it was in.
fn in_netns<T>(netns: &File, f: impl FnOnce() -> T) -> Result<T> {
    let own = File::open("/proc/thread-self/ns/net")
        .map_err(|e| Error::io("cannot open /proc/thread-self/ns/net", e))?;
    setns(netns, CloneFlags::CLONE_NEWNET)
        .map_err(|e| Error::sys("setns into the container's network namespace", e))?;
    let r = f();
    setns(&own, CloneFlags::CLONE_NEWNET)
        .map_err(|e| Error::sys("setns back into the runtime's network namespace", e))?;
    Ok(r)
}

fn open_netns(pid: i32) -> Result<File> {
    let path = format!("/proc/{pid}/ns/net");
    File::open(&path).map_err(|e| Error::io(format!("cannot open {path}"), e))
}

/// Moves the planned interfaces into the network namespace of process `pid` (the container's
/// init), renamed, with their addresses, up.
pub fn move_all(planned: &[Planned], pid: i32) -> Result<()> {
    if planned.is_empty() {
        return Ok(());
    }
    let netns = open_netns(pid)?;
    let mut host = Socket::open().map_err(netlink_error("netlink socket".into()))?;
    let mut inside = in_netns(&netns, Socket::open)?
        .map_err(netlink_error("netlink socket in the container".into()))?;
    let conflict = |p: &Planned| {
        Error::msg(format!(
            "linux.netDevices[{}]: the container's network namespace already has an interface named {:?}",
            p.host_name, p.target
        ))
    };
    for p in planned {
        // linux.netDevices.name.conflict.error: checked before the move, which is not atomic
        // (the kernel moves the interface, then fails to rename it).
        let mut target = p.target.clone();
        if !target.contains(NAME_TEMPLATE) {
            let taken = inside.link_by_name(&target).map_err(netlink_error(format!(
                "looking up {target} in the container"
            )))?;
            if taken.is_some() {
                if !mutation::active(Flaw::NetDeviceConflictRenamed) {
                    return Err(conflict(p));
                }
                target.push_str(NAME_TEMPLATE);
            }
        }
        match host.move_to(p.link.index, netns.as_raw_fd(), &target) {
            Ok(()) => {}
            Err(Errno::EEXIST) => return Err(conflict(p)),
            Err(e) => {
                return Err(netlink_error(format!(
                    "moving {} into the container's network namespace",
                    p.host_name
                ))(e))
            }
        }
    }
    for p in planned {
        // The kernel keeps the interface's index unless the namespace already uses it; the
        // hardware address tells it is the same interface.
        let link = inside
            .link_by_index(p.link.index)
            .map_err(netlink_error(format!("looking up {} after the move", p.host_name)))?
            .filter(|l| l.mac == p.link.mac)
            .ok_or_else(|| {
                Error::msg(format!(
                    "linux.netDevices[{}]: cannot find it in the container's network namespace after the move",
                    p.host_name
                ))
            })?;
        if !mutation::active(Flaw::DropNetDeviceAddresses) {
            for a in &p.addresses {
                inside
                    .add_address(link.index, a)
                    .map_err(netlink_error(format!(
                        "adding an address of {} again",
                        p.host_name
                    )))?;
            }
        }
        if !mutation::active(Flaw::NetDeviceLeftDown) {
            inside
                .set_up(link.index)
                .map_err(netlink_error(format!("setting {} up", p.host_name)))?;
        }
    }
    Ok(())
}

/// The `move-net-devices-back-on-delete` defect: each interface of linux.netDevices found in
/// the network namespace of `pid` goes back to the runtime's under its host name.
pub fn move_back(config: &serde_json::Value, pid: i32) -> Result<()> {
    let spec: Spec = serde_json::from_value(config.clone())
        .map_err(|e| Error::msg(format!("config.json: {e}")))?;
    let netns = open_netns(pid)?;
    let own = File::open("/proc/thread-self/ns/net")
        .map_err(|e| Error::io("cannot open /proc/thread-self/ns/net", e))?;
    let mut inside = in_netns(&netns, Socket::open)?
        .map_err(netlink_error("netlink socket in the container".into()))?;
    for (host_name, target) in listed(&spec) {
        if let Ok(Some(link)) = inside.link_by_name(&target) {
            inside
                .move_to(link.index, own.as_raw_fd(), &host_name)
                .map_err(netlink_error(format!("moving {target} back")))?;
        }
    }
    Ok(())
}
