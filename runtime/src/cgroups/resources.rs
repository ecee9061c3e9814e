//! `linux.resources` on the container's cgroup: for each controller, the directory that holds
//! it (the v1 hierarchy that has it, else the v2 hierarchy if its root offers the controller)
//! and the controller module of that version that writes it. What the host lacks is an error.

use std::collections::HashMap;
use std::path::Path;

use oci_spec::runtime::{LinuxDevice, LinuxDeviceCgroup, LinuxResources};

use super::{checks, devices, v1, v2, Cgroup, CgroupError};
use crate::mutation::{active, Flaw};

/// Where a resource is written: the v1 controller name and the v2 one (if v2 has an equivalent).
#[derive(Clone, Copy)]
struct Ctrl {
    v1: &'static str,
    v2: Option<&'static str>,
}

const PIDS: Ctrl = Ctrl {
    v1: v1::pids::CONTROLLER,
    v2: Some(v2::pids::CONTROLLER),
};
const MEMORY: Ctrl = Ctrl {
    v1: v1::memory::CONTROLLER,
    v2: Some(v2::memory::CONTROLLER),
};
const CPU: Ctrl = Ctrl {
    v1: v1::cpu::CONTROLLER,
    v2: Some(v2::cpu::CONTROLLER),
};
const CPUSET: Ctrl = Ctrl {
    v1: v1::cpuset::CONTROLLER,
    v2: Some(v2::cpuset::CONTROLLER),
};
const BLKIO: Ctrl = Ctrl {
    v1: v1::blkio::CONTROLLER,
    v2: Some(v2::io::CONTROLLER),
};
const HUGETLB: Ctrl = Ctrl {
    v1: v1::hugetlb::CONTROLLER,
    v2: Some(v2::hugetlb::CONTROLLER),
};
const NET_CLS: Ctrl = Ctrl {
    v1: v1::net_cls::CONTROLLER,
    v2: None,
};
const NET_PRIO: Ctrl = Ctrl {
    v1: v1::net_prio::CONTROLLER,
    v2: None,
};
const RDMA: Ctrl = Ctrl {
    v1: v1::rdma::CONTROLLER,
    v2: Some(v2::rdma::CONTROLLER),
};

/// The v2 controllers whose files this runtime writes from the typed resources.
const KNOWN_V2: &[&str] = &["pids", "memory", "cpu", "cpuset", "io", "hugetlb", "rdma"];

/// The controller a unified key belongs to (`memory` for `memory.high`); `cgroup.*` files
/// belong to the core, no controller.
fn unified_controller(key: &str) -> Option<&str> {
    key.split_once('.')
        .map(|(c, _)| c)
        .filter(|c| *c != "cgroup")
}

/// A controller's directory and the cgroup version of its hierarchy.
struct Target<'a> {
    dir: &'a Path,
    v2: bool,
}

impl Cgroup {
    /// cgroup v2: the runtime MUST ensure the needed controllers are enabled for the cgroup
    /// (config-linux "Unified"): each one is added to `cgroup.subtree_control` of every ancestor
    /// between the hierarchy root and the container's directory.
    pub(super) fn prepare_v2(&self, resources: Option<&LinuxResources>) -> Result<(), CgroupError> {
        let Some(dir) = self.v2_dir() else {
            return Ok(());
        };
        let Some(r) = resources else {
            return Ok(());
        };
        let mut needed: Vec<(String, String)> = Vec::new();
        let mut need = |ctrl: Ctrl, field: &str| {
            // Only controllers that live in v2 (not in a v1 hierarchy) need enabling there.
            if self.v1_dir(ctrl.v1).is_none() {
                if let Some(c) = ctrl.v2 {
                    needed.push((c.to_string(), field.to_string()));
                }
            }
        };
        if r.pids().is_some() {
            need(PIDS, "linux.resources.pids");
        }
        if r.memory().is_some() {
            need(MEMORY, "linux.resources.memory");
        }
        if let Some(cpu) = r.cpu() {
            if cpu.shares().is_some()
                || cpu.quota().is_some()
                || cpu.period().is_some()
                || cpu.burst().is_some()
                || cpu.idle().is_some()
            {
                need(CPU, "linux.resources.cpu");
            }
            if cpu.cpus().is_some() || cpu.mems().is_some() {
                need(CPUSET, "linux.resources.cpu");
            }
        }
        if r.block_io().is_some() {
            need(BLKIO, "linux.resources.blockIO");
        }
        if r.hugepage_limits().as_ref().is_some_and(|h| !h.is_empty()) {
            need(HUGETLB, "linux.resources.hugepageLimits");
        }
        if r.rdma().as_ref().is_some_and(|h| !h.is_empty()) {
            need(RDMA, "linux.resources.rdma");
        }
        if let Some(unified) = self
            .unified(r)
            .filter(|_| !active(Flaw::SkipUnifiedControllers))
        {
            let mut keys: Vec<&String> = unified.keys().collect();
            keys.sort();
            for key in keys {
                if let Some(ctrl) = unified_controller(key) {
                    needed.push((
                        ctrl.to_string(),
                        format!("linux.resources.unified[{key:?}]"),
                    ));
                }
            }
        }
        let Some(base) = self.v2_mount_base() else {
            return Ok(());
        };
        v2::enable_controllers(base, dir, &needed)
    }

    /// `linux.resources.unified` as it is applied. Two defects drop keys here: keys of no
    /// controller the runtime knows (`drop-unknown-unified-keys`), and keys of a controller
    /// the host's v2 hierarchy does not offer (`ignore-absent-unified-controller`).
    fn unified(&self, r: &LinuxResources) -> Option<HashMap<String, String>> {
        let mut unified = r.unified().clone()?;
        if active(Flaw::DropUnknownUnifiedKeys) {
            unified.retain(|k, _| unified_controller(k).is_some_and(|c| KNOWN_V2.contains(&c)));
        }
        if active(Flaw::IgnoreAbsentUnifiedController) {
            unified.retain(|k, _| {
                unified_controller(k).is_none_or(|c| self.v2_controllers.iter().any(|x| x == c))
            });
        }
        Some(unified)
    }

    /// The directory for a controller: the v1 hierarchy that has it, else the v2 hierarchy if
    /// its root offers the v2 equivalent.
    fn target(&self, ctrl: Ctrl, field: &str, file: &str) -> Result<Target<'_>, CgroupError> {
        if let Some(dir) = self.v1_dir(ctrl.v1) {
            return Ok(Target { dir, v2: false });
        }
        if let (Some(c), Some(dir)) = (ctrl.v2, self.v2_dir()) {
            if self.v2_controllers.iter().any(|x| x == c) {
                return Ok(Target { dir, v2: true });
            }
        }
        // config-linux: the runtime MUST generate an error if it cannot apply a configured
        // resource; here the host lacks the controller altogether.
        Err(CgroupError::MissingController {
            field: field.to_string(),
            controller: ctrl
                .v2
                .filter(|_| self.unified_only)
                .unwrap_or(ctrl.v1)
                .to_string(),
            file: file.to_string(),
        })
    }

    /// Writes every part of `r`, controller by controller.
    pub(super) fn apply(
        &self,
        r: &LinuxResources,
        extra_devices: &[LinuxDevice],
    ) -> Result<(), CgroupError> {
        self.apply_devices(r.devices().as_deref(), extra_devices)?;
        if let Some(m) = r
            .memory()
            .as_ref()
            .filter(|_| !active(Flaw::IgnoreMemoryResources))
        {
            let t = self.target(MEMORY, "linux.resources.memory", "memory.limit_in_bytes")?;
            if t.v2 {
                v2::memory::apply(t.dir, m)?;
            } else {
                v1::memory::apply(t.dir, m)?;
            }
        }
        if let Some(c) = r
            .cpu()
            .as_ref()
            .filter(|_| !active(Flaw::IgnoreCpuResources))
        {
            checks::cpu_burst(c)?;
            let uses_cpu = c.shares().is_some()
                || c.quota().is_some()
                || c.period().is_some()
                || c.burst().is_some()
                || c.idle().is_some()
                || c.realtime_runtime().is_some()
                || c.realtime_period().is_some();
            if uses_cpu {
                let t = self.target(CPU, "linux.resources.cpu", "cpu.shares")?;
                if t.v2 {
                    v2::cpu::apply(t.dir, c)?;
                } else {
                    v1::cpu::apply(t.dir, c)?;
                }
            }
            // cpus and mems resolve to the same controller: it is looked up for the first one
            // set, so a missing cpuset is reported for that field.
            let first = if c.cpus().is_some() {
                Some((v1::cpuset::CPUS_FIELD, v1::cpuset::CPUS))
            } else if c.mems().is_some() {
                Some((v1::cpuset::MEMS_FIELD, v1::cpuset::MEMS))
            } else {
                None
            };
            if let Some((field, file)) = first {
                let t = self.target(CPUSET, field, file)?;
                if t.v2 {
                    v2::cpuset::apply(t.dir, c)?;
                } else {
                    v1::cpuset::apply(t.dir, c)?;
                }
            }
        }
        if let Some(b) = r.block_io() {
            let t = self.target(BLKIO, "linux.resources.blockIO", "blkio.weight")?;
            if t.v2 {
                v2::io::apply(t.dir, b)?;
            } else {
                v1::blkio::apply(t.dir, b)?;
            }
        }
        if let Some(limits) = r.hugepage_limits().as_deref().filter(|l| !l.is_empty()) {
            // The first entry is checked before the controller is looked up, as each entry is
            // by the controller module.
            let size = checks::hugepage_size(0, &limits[0])?;
            let t = self.target(
                HUGETLB,
                &checks::hugepage_field(0),
                &v1::hugetlb::limit_file(size),
            )?;
            let rsvd = !active(Flaw::SkipHugetlbRsvd);
            if t.v2 {
                v2::hugetlb::apply(t.dir, limits, rsvd)?;
            } else {
                v1::hugetlb::apply(t.dir, limits, rsvd)?;
            }
        }
        // config-linux unified: a v1 setting that cannot be converted for a v2 host MUST be an
        // error; network has no v2 equivalent, so target() refuses it there.
        let skip_v1_only = self.unified_only && active(Flaw::IgnoreUnconvertibleV1Resources);
        if let Some(n) = r.network().as_ref().filter(|_| !skip_v1_only) {
            if n.class_id().is_some() {
                let t = self.target(NET_CLS, v1::net_cls::FIELD, v1::net_cls::FILE)?;
                v1::net_cls::apply(t.dir, n)?;
            }
            if n.priorities().as_ref().is_some_and(|p| !p.is_empty()) {
                let t = self.target(NET_PRIO, &v1::net_prio::field(0), v1::net_prio::FILE)?;
                v1::net_prio::apply(t.dir, n)?;
            }
        }
        if let Some(rdma) = r.rdma() {
            if let Some(first) = rdma.keys().min() {
                let t = self.target(RDMA, &checks::rdma_field(first), v1::rdma::FILE)?;
                if t.v2 {
                    v2::rdma::apply(t.dir, rdma)?;
                } else {
                    v1::rdma::apply(t.dir, rdma)?;
                }
            }
        }
        if let Some(unified) = self.unified(r).filter(|u| !u.is_empty()) {
            let Some(dir) = self.v2_dir() else {
                return Err(CgroupError::InvalidValue {
                    field: "linux.resources.unified".into(),
                    reason: "the host has no cgroup v2 hierarchy mounted".into(),
                });
            };
            v2::unified::apply(dir, &unified)?;
        }
        Ok(())
    }

    /// `linux.resources.pids`, written once the runtime's own processes that set the container
    /// up have forked (a limit of 0 or 1 would otherwise stop the runtime itself):
    /// config-linux pids, a limit of 0 is a real limit.
    pub fn apply_pids(&self, r: &LinuxResources) -> Result<(), CgroupError> {
        if let Some(pids) = r
            .pids()
            .as_ref()
            .filter(|_| !active(Flaw::IgnorePidsResources))
            .filter(|p| p.limit() != 0 || !active(Flaw::PidsZeroUnlimited))
        {
            let t = self.target(PIDS, "linux.resources.pids.limit", "pids.max")?;
            if t.v2 {
                v2::pids::apply(t.dir, pids)?;
            } else {
                v1::pids::apply(t.dir, pids)?;
            }
        }
        Ok(())
    }

    /// config-linux "Allowed Device list": the container's device rules (`devices.rs`: deny
    /// all, `linux.resources.devices` in order, the default devices, mknod of `linux.devices`)
    /// go to the v1 devices controller when a v1 hierarchy has it, else into a device program
    /// attached to the v2 directory. A host where neither can be done (no devices controller, no
    /// cgroup v2, or BPF refused) is an error when the config has device rules, never skipped.
    pub(super) fn apply_devices(
        &self,
        config: Option<&[LinuxDeviceCgroup]>,
        extra: &[LinuxDevice],
    ) -> Result<(), CgroupError> {
        let config = config.unwrap_or_default();
        let rules = devices::rules(config, extra)?;
        if let Some(dir) = self.v1_dir(v1::devices::CONTROLLER) {
            return v1::devices::apply(dir, &rules);
        }
        let configured = !config.is_empty();
        let Some(dir) = self.v2_dir() else {
            if configured {
                return Err(CgroupError::MissingController {
                    field: "linux.resources.devices".into(),
                    controller: "devices".into(),
                    file: "devices.allow".into(),
                });
            }
            return Ok(());
        };
        match v2::devices::apply(dir, &rules) {
            Ok(()) => Ok(()),
            // Nothing configured: the host's lack of BPF takes nothing the config asked for.
            Err(_) if !configured => Ok(()),
            Err(source) => Err(CgroupError::DeviceProgram {
                path: dir.to_path_buf(),
                source,
            }),
        }
    }
}
