//! Network devices (config-linux.md "Network Devices"): what the probe sees of an interface
//! inside the container, and the host interface the harness makes for a case that moves one
//! (`{netdev}`), removed afterwards whatever happened.
//!
//! The probe reads with ioctls on a datagram socket (flags, MTU, the IPv4 address and netmask)
//! and `/proc/net/if_inet6` (IPv6 addresses), so it needs no netlink and no sysfs. The harness
//! makes the host interface with iproute2's `ip`: a `dummy` link, or an `ifb` link on kernels
//! built without dummy (both are virtual, carry addresses, and vanish with the network
//! namespace they are in).

use std::collections::BTreeMap;
use std::ffi::CString;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

/// What the probe saw of one interface.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct NetDeviceInfo {
    /// Administratively up (IFF_UP).
    pub up: bool,
    pub mtu: u32,
    /// `address/prefix` of every IPv4 and global IPv6 address.
    pub addresses: Vec<String>,
}

/// The MTU the harness gives its interface: not a kernel default (1500 for dummy, ifb).
pub const HOST_MTU: u32 = 1400;
/// The addresses the harness gives its interface (documentation ranges, RFC 5737 and 3849).
pub const HOST_ADDRESSES: [&str; 2] = ["192.0.2.77/24", "2001:db8::77/64"];
/// The link types tried, in order.
const LINK_TYPES: [&str; 2] = ["dummy", "ifb"];
/// Where iproute2's `ip` may be.
const IP_PATHS: [&str; 4] = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"];
/// /proc/net/if_inet6's scope column for global addresses.
const IPV6_SCOPE_GLOBAL: &str = "00";

/// Looks at the interface `name` of the probe's network namespace (`None`: there is none).
pub fn observe(name: &str) -> Option<NetDeviceInfo> {
    let ifname = CString::new(name).ok()?;
    // SAFETY: if_nametoindex reads a NUL-terminated string; 0 means no such interface.
    if unsafe { nix::libc::if_nametoindex(ifname.as_ptr()) } == 0 {
        return None;
    }
    // SAFETY: socket(2) with constant arguments; the result is checked and owned.
    let raw = unsafe { nix::libc::socket(nix::libc::AF_INET, nix::libc::SOCK_DGRAM, 0) };
    if raw < 0 {
        return Some(NetDeviceInfo::default());
    }
    // SAFETY: a descriptor socket(2) just returned, owned here only.
    let sock = unsafe { OwnedFd::from_raw_fd(raw) };
    let mut info = NetDeviceInfo::default();
    if let Some(r) = ifreq(&sock, name, nix::libc::SIOCGIFFLAGS) {
        // SAFETY: SIOCGIFFLAGS filled the flags member of the union.
        let flags = unsafe { r.ifr_ifru.ifru_flags };
        info.up = i32::from(flags) & nix::libc::IFF_UP != 0;
    }
    if let Some(r) = ifreq(&sock, name, nix::libc::SIOCGIFMTU) {
        // SAFETY: SIOCGIFMTU filled the mtu member of the union.
        info.mtu = u32::try_from(unsafe { r.ifr_ifru.ifru_mtu }).unwrap_or(0);
    }
    let v4 = |req| {
        ifreq(&sock, name, req).map(|r| {
            // SAFETY: these requests fill a sockaddr_in in the addr member.
            let sin: nix::libc::sockaddr_in = unsafe {
                std::ptr::read_unaligned(
                    std::ptr::addr_of!(r.ifr_ifru.ifru_addr).cast::<nix::libc::sockaddr_in>(),
                )
            };
            Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr))
        })
    };
    if let (Some(addr), Some(mask)) = (v4(nix::libc::SIOCGIFADDR), v4(nix::libc::SIOCGIFNETMASK)) {
        info.addresses
            .push(format!("{addr}/{}", u32::from(mask).count_ones()));
    }
    let inet6 = std::fs::read_to_string("/proc/net/if_inet6").unwrap_or_default();
    info.addresses.extend(ipv6_addresses(&inet6, name));
    Some(info)
}

/// An ioctl of the `ifreq` family on `name`.
fn ifreq(sock: &OwnedFd, name: &str, request: nix::libc::Ioctl) -> Option<nix::libc::ifreq> {
    // SAFETY: ifreq is plain data; all zeroes is a valid value.
    let mut r: nix::libc::ifreq = unsafe { std::mem::zeroed() };
    let bytes = name.as_bytes();
    if bytes.len() >= r.ifr_name.len() {
        return None;
    }
    for (d, s) in r.ifr_name.iter_mut().zip(bytes) {
        *d = *s as nix::libc::c_char;
    }
    // SAFETY: the request reads ifr_name and writes the union of an ifreq we own.
    let rc = unsafe { nix::libc::ioctl(sock.as_raw_fd(), request, &mut r) };
    (rc == 0).then_some(r)
}

/// The global IPv6 addresses of `name` in /proc/net/if_inet6 text (address, index, prefix
/// length, scope, flags, name; hexadecimal).
pub fn ipv6_addresses(text: &str, name: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let [hex, _, prefix, scope, _, dev] = f.as_slice() else {
                return None;
            };
            if *dev != name || *scope != IPV6_SCOPE_GLOBAL {
                return None;
            }
            let addr = Ipv6Addr::from(u128::from_str_radix(hex, 16).ok()?);
            let prefix = u8::from_str_radix(prefix, 16).ok()?;
            Some(format!("{addr}/{prefix}"))
        })
        .collect()
}

/// Why the harness cannot make a host interface here, if it cannot: `ip` is missing, or the
/// kernel makes neither link type.
pub fn unavailable() -> Option<String> {
    let Some(ip) = ip_binary() else {
        return Some("iproute2's ip is not installed".into());
    };
    let name = format!("ocprobe{}", std::process::id() % 100_000);
    for kind in LINK_TYPES {
        if run(ip, &["link", "add", &name, "type", kind]).is_ok() {
            let _ = run(ip, &["link", "del", &name]);
            return None;
        }
    }
    Some("the kernel makes neither dummy nor ifb network devices".into())
}

fn ip_binary() -> Option<&'static str> {
    IP_PATHS.into_iter().find(|p| Path::new(p).exists())
}

/// Runs `ip ARGS`, registered with the harness's reaper (which would otherwise take its exit
/// status).
fn run(ip: &str, args: &[&str]) -> Result<(), String> {
    let mut cmd = Command::new(ip);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let child = crate::reaper::spawn(&mut cmd).map_err(|e| format!("cannot run {ip}: {e}"))?;
    let pid = child.id();
    let out = child.wait_with_output();
    crate::reaper::waited(pid);
    let out = out.map_err(|e| format!("cannot run {ip}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`ip {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Whether the harness's network namespace has an interface called `name`.
pub fn on_host(name: &str) -> bool {
    let Ok(c) = CString::new(name) else {
        return false;
    };
    // SAFETY: if_nametoindex reads a NUL-terminated string; 0 means no such interface.
    unsafe { nix::libc::if_nametoindex(c.as_ptr()) != 0 }
}

/// A host interface made for one case, left down, with [`HOST_MTU`] and [`HOST_ADDRESSES`].
/// It is removed by [`remove`] unless the runtime moved it into a network namespace that is
/// gone since (which destroys it).
pub fn make(name: &str) -> Result<(), String> {
    let ip = ip_binary().ok_or("iproute2's ip is not installed")?;
    let mut made = Err(String::new());
    for kind in LINK_TYPES {
        made = run(ip, &["link", "add", name, "type", kind]);
        if made.is_ok() {
            break;
        }
    }
    made?;
    let mtu = HOST_MTU.to_string();
    let setup = run(ip, &["link", "set", "dev", name, "mtu", &mtu])
        .and_then(|()| run(ip, &["-4", "addr", "add", HOST_ADDRESSES[0], "dev", name]))
        .and_then(|()| {
            // nodad: the address is usable at once (no duplicate address detection).
            run(
                ip,
                &["-6", "addr", "add", HOST_ADDRESSES[1], "dev", name, "nodad"],
            )
        });
    if let Err(e) = setup {
        let _ = remove(name);
        return Err(e);
    }
    Ok(())
}

/// Removes the host interface `name` if it is on the host; says whether it was.
pub fn remove(name: &str) -> Result<bool, String> {
    if !on_host(name) {
        return Ok(false);
    }
    let ip = ip_binary().ok_or("iproute2's ip is not installed")?;
    run(ip, &["link", "del", "dev", name])?;
    Ok(true)
}

/// The interfaces of `names` the probe sees.
pub fn observe_all(names: &[String]) -> BTreeMap<String, NetDeviceInfo> {
    names
        .iter()
        .filter_map(|n| observe(n).map(|i| (n.clone(), i)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_ipv6_addresses_of_one_interface_are_read() {
        let text = "\
20010db8000000000000000000000077 0b 40 00 80     ctr0
fe80000000000000f47ba2fffe8eb311 0b 40 20 80     ctr0
20010db8000000000000000000000078 0c 30 00 80     other
";
        assert_eq!(ipv6_addresses(text, "ctr0"), ["2001:db8::77/64"]);
        assert_eq!(ipv6_addresses(text, "other"), ["2001:db8::78/48"]);
        assert!(ipv6_addresses(text, "none").is_empty());
    }

    /// A host interface the harness made is gone after `remove`, and `remove` of one that is
    /// not there (moved into a namespace that has since vanished) is no error.
    #[test]
    fn a_host_interface_made_for_a_case_is_removed() {
        // SAFETY: geteuid(2) cannot fail.
        if unsafe { nix::libc::geteuid() } != 0 || unavailable().is_some() {
            eprintln!("skipped: needs root and a dummy or ifb link");
            return;
        }
        let name = format!("octest{}", std::process::id() % 100_000);
        make(&name).expect("made"); // ok: test code
        assert!(on_host(&name));
        let seen = observe(&name).expect("seen"); // ok: test code
        assert_eq!(seen.mtu, HOST_MTU);
        assert!(!seen.up);
        assert_eq!(seen.addresses, HOST_ADDRESSES);
        assert_eq!(remove(&name), Ok(true));
        assert!(!on_host(&name));
        assert_eq!(remove(&name), Ok(false));
    }
}
