//! Semantic checks: every static requirement the JSON Schema cannot express.
//!
//! Each [`Check`] names, in [`CHECKS`], the catalog ids it implements. That table is the only
//! place the validator claims requirements (besides the schemas' `x-requirement` annotations);
//! `ocicheck matrix` reads it to derive each requirement's status.

mod config;
mod host;
mod linux;

use std::path::Path;

use ocicheck_catalog::SpecVersion;
use serde_json::Value;

use crate::position::escape_token;
use crate::Severity;

/// What a check sees.
pub struct Ctx<'a> {
    pub config: &'a Value,
    /// The release whose rules apply.
    pub version: SpecVersion,
    /// The bundle directory (None for a config read from stdin).
    pub bundle_dir: Option<&'a Path>,
    /// Host-dependent checks are enabled.
    pub host: bool,
}

/// The platform a config targets, from its platform-specific objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    Linux,
    Windows,
    Solaris,
    Zos,
    FreeBsd,
    Vm,
}

impl Ctx<'_> {
    pub fn at(&self, pointer: &str) -> Option<&Value> {
        self.config.pointer(pointer)
    }

    pub fn platform(&self) -> Platform {
        let has = |k: &str| self.config.get(k).is_some_and(Value::is_object);
        if has("windows") {
            Platform::Windows
        } else if has("solaris") {
            Platform::Solaris
        } else if has("zos") {
            Platform::Zos
        } else if has("freebsd") {
            Platform::FreeBsd
        } else if has("vm") && !has("linux") {
            Platform::Vm
        } else {
            Platform::Linux
        }
    }

    pub fn is_posix(&self) -> bool {
        !matches!(self.platform(), Platform::Windows | Platform::Vm)
    }

    /// The array at `pointer` with each element's pointer.
    pub fn items<'s>(&'s self, pointer: &str) -> Vec<(String, &'s Value)> {
        match self.at(pointer) {
            Some(Value::Array(a)) => a
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("{pointer}/{i}"), v))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The object at `pointer` as (key, pointer, value).
    pub fn entries<'s>(&'s self, pointer: &str) -> Vec<(&'s str, String, &'s Value)> {
        match self.at(pointer) {
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| (k.as_str(), format!("{pointer}/{}", escape_token(k)), v))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// One finding of a check.
#[derive(Debug, Clone)]
pub struct Finding {
    pub requirement: &'static str,
    pub pointer: String,
    pub message: String,
    /// Overrides the severity derived from the requirement's level.
    pub severity: Option<Severity>,
}

impl Finding {
    pub fn new(
        requirement: &'static str,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Finding {
            requirement,
            pointer: pointer.into(),
            message: message.into(),
            severity: None,
        }
    }

    pub fn warning(mut self) -> Self {
        self.severity = Some(Severity::Warning);
        self
    }
}

/// A semantic check and the requirements it implements.
pub struct Check {
    /// Stable name, shown in WIP.md as `check:<name>`.
    pub name: &'static str,
    /// Every catalog id the check can report.
    pub requirements: &'static [&'static str],
    /// Needs the host (`--host`): looks at paths outside the bundle or at the kernel.
    pub host_only: bool,
    pub run: fn(&Ctx, &mut Vec<Finding>),
}

/// Every semantic check.
pub static CHECKS: &[Check] = &[
    Check {
        name: "oci-version",
        requirements: &["config.ociVersion.semver"],
        host_only: false,
        run: config::oci_version,
    },
    Check {
        name: "root",
        requirements: &[
            "config.root.required",
            "config.root.windows-server.required",
            "config.root.hyperv.absent",
            "config.root.path.windows.volume-guid",
            "config.root.path.rootfs",
            "config.root.path.exists",
            "config.root.readonly.windows",
            "bundle.artifacts.single-directory",
        ],
        host_only: false,
        run: config::root,
    },
    Check {
        name: "mounts",
        requirements: &[
            "config.mounts.destination.linux.must-be-absolute",
            "config.mounts.destination.linux.absolute",
            "config.mounts.destination.windows.absolute",
            "config.mounts.destination.windows.not-nested",
            "config.mounts.destination.solaris.absolute",
            "config.mounts.destination.other.absolute",
            "config.mounts.uidMappings.with-gidMappings",
            "config.mounts.gidMappings.with-uidMappings",
            "config.mounts.uidMappings.idmap-option",
            "config.mounts.gidMappings.idmap-option",
        ],
        host_only: false,
        run: config::mounts,
    },
    Check {
        name: "process",
        requirements: &[
            "config.process.cwd.absolute",
            "config.process.args.non-windows.min-one",
            "config.process.args.required-all-platforms",
            "config.process.args.windows.commandLine-if-absent",
            "config.process.rlimits.type.duplicate-error",
            "config.process.user.uid.required",
            "config.process.user.gid.required",
        ],
        host_only: false,
        run: config::process,
    },
    Check {
        name: "capabilities",
        requirements: &[
            "config.process.capabilities.unmappable-error",
            "config.process.capabilities.ungrantable-warn",
        ],
        host_only: false,
        run: config::capabilities,
    },
    Check {
        name: "hooks",
        requirements: &[
            "config.hooks.prestart.path.absolute",
            "config.hooks.createRuntime.path.absolute",
            "config.hooks.createContainer.entry-schema",
            "config.hooks.startContainer.entry-schema",
            "config.hooks.poststart.entry-schema",
            "config.hooks.poststop.entry-schema",
            "config.hooks.prestart.timeout.positive",
            "config.hooks.createRuntime.timeout.positive",
        ],
        host_only: false,
        run: config::hooks,
    },
    Check {
        name: "annotations",
        requirements: &[
            "config.annotations.keys.non-empty",
            "config.annotations.keys.reverse-domain",
            "config.annotations.org-opencontainers.as-defined",
            "config.annotations.image.created.valid",
            "config.annotations.image.os.valid",
            "config.annotations.image.architecture.valid",
            "config.annotations.image.stopSignal.valid",
        ],
        host_only: false,
        run: config::annotations,
    },
    Check {
        name: "namespaces",
        requirements: &[
            "linux.namespaces.type.unique",
            "linux.namespaces.path.absolute",
        ],
        host_only: false,
        run: linux::namespaces,
    },
    Check {
        name: "devices",
        requirements: &[
            "linux.devices.type-major-minor.unique",
            "linux.devices.major-minor.required",
        ],
        host_only: false,
        run: linux::devices,
    },
    Check {
        name: "masked-readonly-paths",
        requirements: &["linux.maskedPaths.absolute", "linux.readonlyPaths.absolute"],
        host_only: false,
        run: linux::masked_readonly,
    },
    Check {
        name: "cgroups-path",
        requirements: &["linux.cgroupsPath.form"],
        host_only: false,
        run: linux::cgroups_path,
    },
    Check {
        name: "resources",
        requirements: &[
            "linux.resources.cpu.burst.not-above-quota",
            "linux.resources.blockIO.weightDevice.weight-present",
            "linux.resources.hugepageLimits.pageSize.format",
            "linux.resources.rdma.entry.limit-present",
            "linux.resources.memory.kernel.not-recommended",
            "linux.resources.memory.kernelTCP.not-recommended",
        ],
        host_only: false,
        run: linux::resources,
    },
    Check {
        name: "seccomp",
        requirements: &[
            "linux.seccomp.syscalls.names.non-empty",
            "linux.seccomp.listenerMetadata.requires-listenerPath",
            "linux.seccomp.defaultErrnoRet.unsupported-action.error",
            "linux.seccomp.syscalls.errnoRet.unsupported-action.error",
        ],
        host_only: false,
        run: linux::seccomp,
    },
    Check {
        name: "intel-rdt",
        requirements: &[
            "linux.intelRdt.l3CacheSchema.prefix",
            "linux.intelRdt.l3CacheSchema.no-newlines",
            "linux.intelRdt.memBwSchema.prefix",
            "linux.intelRdt.memBwSchema.no-newlines",
            "linux.intelRdt.schemata.no-newlines",
        ],
        host_only: false,
        run: linux::intel_rdt,
    },
    Check {
        name: "host-hooks",
        requirements: &[
            "config.hooks.prestart.path.runtime-namespace",
            "config.hooks.createRuntime.path.runtime-namespace",
            "config.hooks.createContainer.path.runtime-namespace",
            "config.hooks.poststart.path.runtime-namespace",
            "config.hooks.poststop.path.runtime-namespace",
        ],
        host_only: true,
        run: host::hooks,
    },
    Check {
        name: "host-namespaces",
        requirements: &["linux.namespaces.path.type-mismatch.error"],
        host_only: true,
        run: host::namespaces,
    },
    Check {
        name: "host-capabilities",
        requirements: &["config.process.capabilities.ungrantable-warn"],
        host_only: true,
        run: host::capabilities,
    },
];

/// Whether `p` is an absolute POSIX path.
pub fn is_abs_posix(p: &str) -> bool {
    p.starts_with('/')
}

/// Whether `p` is an absolute Windows path (`C:\...`, `\\?\...`, `\\server\share`).
pub fn is_abs_windows(p: &str) -> bool {
    let b = p.as_bytes();
    (b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && (b[2] == b'\\' || b[2] == b'/'))
        || p.starts_with("\\\\")
}
