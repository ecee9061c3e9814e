//! Checks of config-linux.md.

use std::collections::HashMap;

use serde_json::Value;

use ocicheck_catalog::ids;

use super::{is_abs_posix, Ctx, Finding, Platform};

fn linux(ctx: &Ctx) -> bool {
    ctx.platform() == Platform::Linux
}

pub fn namespaces(ctx: &Ctx, out: &mut Vec<Finding>) {
    if !linux(ctx) {
        return;
    }
    let mut seen: HashMap<&str, String> = HashMap::new();
    for (ptr, ns) in ctx.items("/linux/namespaces") {
        if let Some(t) = ns.get("type").and_then(Value::as_str) {
            if let Some(first) = seen.get(t) {
                out.push(Finding::new(
                    ids::LINUX_NAMESPACES_TYPE_UNIQUE,
                    format!("{ptr}/type"),
                    format!("namespace type {t:?} is listed twice (first at {first}); a runtime must reject this config"),
                ));
            } else {
                seen.insert(t, ptr.clone());
            }
        }
        if let Some(p) = ns.get("path").and_then(Value::as_str) {
            if !is_abs_posix(p) {
                out.push(Finding::new(
                    ids::LINUX_NAMESPACES_PATH_ABSOLUTE,
                    format!("{ptr}/path"),
                    format!("namespace path {p:?} is not an absolute path"),
                ));
            }
        }
    }
}

pub fn devices(ctx: &Ctx, out: &mut Vec<Finding>) {
    if !linux(ctx) {
        return;
    }
    let mut seen: HashMap<(String, i64, i64), String> = HashMap::new();
    for (ptr, d) in ctx.items("/linux/devices") {
        let Some(t) = d.get("type").and_then(Value::as_str) else {
            continue;
        };
        let major = d.get("major").and_then(Value::as_i64);
        let minor = d.get("minor").and_then(Value::as_i64);
        if t != "p" {
            for (field, v) in [("major", major), ("minor", minor)] {
                if v.is_none() && d.get(field).is_none() {
                    out.push(Finding::new(
                        ids::LINUX_DEVICES_MAJOR_MINOR_REQUIRED,
                        format!("{ptr}/{field}"),
                        format!("device of type {t:?} needs {field}"),
                    ));
                }
            }
        }
        if let (Some(ma), Some(mi)) = (major, minor) {
            let key = (t.to_string(), ma, mi);
            if let Some(first) = seen.get(&key) {
                out.push(Finding::new(
                    ids::LINUX_DEVICES_TYPE_MAJOR_MINOR_UNIQUE,
                    ptr.clone(),
                    format!("device {t} {ma}:{mi} is listed twice (first at {first})"),
                ));
            } else {
                seen.insert(key, ptr.clone());
            }
        }
    }
}

pub fn masked_readonly(ctx: &Ctx, out: &mut Vec<Finding>) {
    for (field, id) in [
        ("maskedPaths", ids::LINUX_MASKED_PATHS_ABSOLUTE),
        ("readonlyPaths", ids::LINUX_READONLY_PATHS_ABSOLUTE),
    ] {
        for (ptr, v) in ctx.items(&format!("/linux/{field}")) {
            if let Some(p) = v.as_str() {
                if !is_abs_posix(p) {
                    out.push(Finding::new(
                        id,
                        ptr,
                        format!("{field} entry {p:?} is not an absolute path"),
                    ));
                }
            }
        }
    }
}

pub fn resources(ctx: &Ctx, out: &mut Vec<Finding>) {
    let quota = ctx.at("/linux/resources/cpu/quota").and_then(Value::as_i64);
    let burst = ctx.at("/linux/resources/cpu/burst").and_then(Value::as_u64);
    if let (Some(q), Some(b)) = (quota, burst) {
        if q > 0 && b > q as u64 {
            out.push(Finding::new(
                ids::LINUX_RESOURCES_CPU_BURST_NOT_ABOVE_QUOTA,
                "/linux/resources/cpu/burst",
                format!("cpu.burst {b} exceeds cpu.quota {q}"),
            ));
        }
    }
    for (ptr, wd) in ctx.items("/linux/resources/blockIO/weightDevice") {
        let has = |k: &str| wd.get(k).is_some_and(|v| !v.is_null());
        if wd.is_object() && !has("weight") && !has("leafWeight") {
            out.push(Finding::new(
                ids::LINUX_RESOURCES_BLOCK_IO_WEIGHT_DEVICE_WEIGHT_PRESENT,
                ptr,
                "weightDevice entry sets neither weight nor leafWeight",
            ));
        }
    }
    // hugepageLimits[].pageSize: its format is a pattern of the schema.
    for (name, ptr, entry) in ctx.entries("/linux/resources/rdma") {
        let has = |k: &str| entry.get(k).is_some_and(|v| !v.is_null());
        if entry.is_object() && !has("hcaHandles") && !has("hcaObjects") {
            out.push(Finding::new(
                ids::LINUX_RESOURCES_RDMA_ENTRY_LIMIT_PRESENT,
                ptr,
                format!("rdma device {name:?} sets neither hcaHandles nor hcaObjects"),
            ));
        }
    }
    for (field, id) in [
        ("kernel", ids::LINUX_RESOURCES_MEMORY_KERNEL_NOT_RECOMMENDED),
        (
            "kernelTCP",
            ids::LINUX_RESOURCES_MEMORY_KERNEL_TCP_NOT_RECOMMENDED,
        ),
    ] {
        if ctx
            .at(&format!("/linux/resources/memory/{field}"))
            .is_some_and(|v| !v.is_null())
        {
            out.push(Finding::new(
                id,
                format!("/linux/resources/memory/{field}"),
                format!("memory.{field} is not recommended (deprecated by the kernel)"),
            ));
        }
    }
}

const ERRNO_ACTIONS: [&str; 2] = ["SCMP_ACT_ERRNO", "SCMP_ACT_TRACE"];

pub fn seccomp(ctx: &Ctx, out: &mut Vec<Finding>) {
    let Some(sec) = ctx.at("/linux/seccomp").filter(|v| v.is_object()) else {
        return;
    };
    if sec.get("defaultErrnoRet").is_some_and(Value::is_number) {
        if let Some(action) = sec.get("defaultAction").and_then(Value::as_str) {
            if !ERRNO_ACTIONS.contains(&action) {
                out.push(Finding::new(
                    ids::LINUX_SECCOMP_DEFAULT_ERRNO_RET_UNSUPPORTED_ACTION_ERROR,
                    "/linux/seccomp/defaultErrnoRet",
                    format!("defaultErrnoRet is set but defaultAction {action} returns no errno; a runtime must fail"),
                ));
            }
        }
    }
    let has = |k: &str| sec.get(k).is_some_and(|v| !v.is_null());
    if has("listenerMetadata") && !has("listenerPath") {
        out.push(Finding::new(
            ids::LINUX_SECCOMP_LISTENER_METADATA_REQUIRES_LISTENER_PATH,
            "/linux/seccomp/listenerMetadata",
            "listenerMetadata is set without listenerPath",
        ));
    }
    for (ptr, sc) in ctx.items("/linux/seccomp/syscalls") {
        if let Some(names) = sc.get("names").and_then(Value::as_array) {
            if names.is_empty() {
                out.push(Finding::new(
                    ids::LINUX_SECCOMP_SYSCALLS_NAMES_NON_EMPTY,
                    format!("{ptr}/names"),
                    "syscalls entry names no syscall",
                ));
            }
            for (i, n) in names.iter().enumerate() {
                if n.as_str() == Some("") {
                    out.push(Finding::new(
                        ids::LINUX_SECCOMP_SYSCALLS_NAMES_NON_EMPTY,
                        format!("{ptr}/names/{i}"),
                        "a syscall name is the empty string",
                    ));
                }
            }
        }
        if sc.get("errnoRet").is_some_and(Value::is_number) {
            if let Some(action) = sc.get("action").and_then(Value::as_str) {
                if !ERRNO_ACTIONS.contains(&action) {
                    out.push(Finding::new(
                        ids::LINUX_SECCOMP_SYSCALLS_ERRNO_RET_UNSUPPORTED_ACTION_ERROR,
                        format!("{ptr}/errnoRet"),
                        format!("errnoRet is set but action {action} returns no errno; a runtime must fail"),
                    ));
                }
            }
        }
    }
}

pub fn cgroups_path(ctx: &Ctx, out: &mut Vec<Finding>) {
    if let Some(p) = ctx.at("/linux/cgroupsPath").and_then(Value::as_str) {
        if p.trim().is_empty() {
            out.push(Finding::new(
                ids::LINUX_CGROUPS_PATH_FORM,
                "/linux/cgroupsPath",
                "cgroupsPath is empty: give an absolute or a relative path, or leave it out",
            ));
        }
    }
}
